"""Datasets: a JSON array of objects or JSON Lines (optionally gzip), one article per item.

The file is streamed: JSON Lines line by line, a JSON array item by item with
``json.JSONDecoder.raw_decode`` over a bounded buffer, so memory holds one item (at most
``max_size`` bytes, the per-article limit) and never the whole file. Each item's keys are
mapped onto the front-matter names by the guesses in :data:`GUESSES` (case-insensitive;
NewsAPI v2 rows map exactly) and built by :func:`newsidx.parse.parse_mapping`; keys not
mapped stay in ``extra``. A bad item fails alone as ``path:line: reason`` and the rest is
read; in an array, a syntax error ends the reading (nothing after it can be trusted).
"""

from __future__ import annotations

import codecs
import gzip
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import IO, Any
from urllib.parse import urlsplit

from newsidx.errors import ParseError
from newsidx.model import Article

# field -> the item keys that may hold it, best first (compared lower-cased)
GUESSES: dict[str, tuple[str, ...]] = {
    "title": ("title", "headline", "name"),
    "url": ("url", "link", "weburl", "originalurl", "canonical_url"),
    "published": ("publisheddatetime", "publishedat", "published", "pubdate", "date",
                  "datetime", "timestamp", "seendate", "time", "created_at"),
    "provider": ("source", "publisher", "site", "sitename"),
    "domain": ("domain",),
    "excerpt": ("description", "summary", "excerpt", "lead", "abstract"),
    "body": ("content", "body", "text", "article"),
    "topics": ("category", "categories", "section", "topics", "tags", "keywords"),
    "author": ("author", "authors", "byline", "creator"),
    "language": ("lang", "language"),
    "image": ("urltoimage", "image", "image_url"),
}
_LOOKUP = {key: (name, rank) for name, keys in GUESSES.items() for rank, key in enumerate(keys)}
# NewsAPI cuts ``content`` to ~200 characters and says how many are left
_TRUNCATED = re.compile(r"\s*(?:…|\.\.\.)\s*\[\+(\d+) chars\]\s*$")
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_CHUNK = 1024 * 1024


@dataclass
class DatasetResult:
    """The articles of one dataset (first copy of each id), warnings and item failures."""

    records: list[Article] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)


def open_dataset(path: str, gz: bool) -> IO[bytes]:
    if gz:
        return gzip.open(path, "rb")  # type: ignore[return-value]
    return open(path, "rb")


def read_dataset(path: str, kind: str, gz: bool, max_size: int) -> DatasetResult:
    """Every item of the dataset at ``path`` as an article; never raises for an item."""
    out = DatasetResult()
    seen: dict[str, tuple[int, int]] = {}  # id -> line, place in out.records
    with open_dataset(path, gz) as stream:
        items = _jsonl_items(stream, path, max_size) if kind == "jsonl" else _array_items(
            stream, path, max_size)
        try:
            for where, line, value in items:
                _add(out, seen, path, where, line, value)
        except (OSError, EOFError, gzip.BadGzipFile) as exc:
            out.failures.append(f"{path}: cannot read on: {exc}")
    return out


def _add(out: DatasetResult, seen: dict[str, tuple[int, int]], path: str, where: Mapping[str, int],
         line: int, value: Any) -> None:
    if isinstance(value, ParseError):
        out.failures.append(str(value))
        return
    if not isinstance(value, dict):
        out.failures.append(f"{path}:{line}: item is {_kind_of(value)}, not a JSON object")
        return
    try:
        record = item_record(value, path, where)
    except ParseError as exc:
        out.failures.append(f"{path}:{line}: {exc.reason}")
        return
    if record is None:
        out.failures.append(f"{path}:{line}: item has no title and no URL")
        return
    first = seen.get(record.id)
    if first is not None:
        from newsidx.merging import absorb

        out.records[first[1]] = absorb(out.records[first[1]], record)
        out.warnings.append(f"line {line}: same article as line {first[0]} (same URL): merged, "
                            f"the first kept, this headline kept as an alt title")
        return
    seen[record.id] = (line, len(out.records))
    out.warnings.extend(f"line {line}: {w}" for w in record.warnings)
    out.records.append(record)


def _kind_of(value: Any) -> str:
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "a string"
    return "null" if value is None else f"a {type(value).__name__}"


# -- mapping ------------------------------------------------------------------------


# ``--map FIELD=KEY.PATH`` overrides for this process (a worker gets the parent's through
# :func:`newsidx.formats.work.init_worker`): field -> path, or None to map nothing
_OVERRIDES: dict[str, tuple[str, ...] | None] = {}
_MAPPED = "\x00mapped:"  # the key an override's value is put under in a working copy


def parse_overrides(specs: Iterable[str]) -> dict[str, tuple[str, ...] | None]:
    """``["title=meta.headline", "image="]`` as overrides; UsageError naming a bad one."""
    from newsidx.errors import UsageError

    out: dict[str, tuple[str, ...] | None] = {}
    for spec in specs:
        name, eq, path = spec.partition("=")
        name = name.strip().lower()
        if not eq or name not in GUESSES:
            raise UsageError(f"--map {spec!r}: expected FIELD=KEY.PATH with FIELD one of "
                             f"{', '.join(GUESSES)}")
        parts = tuple(p for p in path.strip().split(".")) if path.strip() else None
        if parts is not None and not all(parts):
            raise UsageError(f"--map {spec!r}: an empty key in the path {path!r}")
        out[name] = parts
    return out


def set_overrides(overrides: Mapping[str, tuple[str, ...] | None]) -> None:
    _OVERRIDES.clear()
    _OVERRIDES.update(overrides)


def overrides() -> dict[str, tuple[str, ...] | None]:
    return dict(_OVERRIDES)


def _take(item: Mapping[str, Any], path: tuple[str, ...]) -> tuple[Any, dict[str, Any]]:
    """The value at the dotted ``path`` (keys matched exactly, else case-insensitively)
    and a copy of ``item`` without it (containers emptied by that are dropped); the
    value is None when the path leads nowhere."""
    def key_in(mapping: Mapping[str, Any], key: str) -> str | None:
        if key in mapping:
            return key
        low = key.lower()
        return next((k for k in mapping if isinstance(k, str) and k.lower() == low), None)

    key = key_in(item, path[0])
    if key is None:
        return None, dict(item)
    rest = dict(item)
    if len(path) == 1:
        return rest.pop(key), rest
    inner = item[key]
    if not isinstance(inner, dict):
        return None, rest
    value, remaining = _take(inner, path[1:])
    if remaining:
        rest[key] = remaining
    else:
        rest.pop(key)
    return value, rest


def apply_overrides(item: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """The item as mapped (override values under placeholder keys) and its mapping:
    the guesses, with each ``--map`` field replaced (or removed, for ``FIELD=``)."""
    if not _OVERRIDES:
        return item, guess_mapping(item)
    work = dict(item)
    chosen: dict[str, str] = {}
    for name, path in _OVERRIDES.items():
        if path is None:
            continue
        value, work = _take(work, path)
        if value not in (None, "", [], {}):
            work[_MAPPED + name] = value
            chosen[name] = _MAPPED + name
    mapping = {name: key for name, key in guess_mapping(work).items()
               if name not in _OVERRIDES and key not in chosen.values()}
    mapping.update(chosen)
    return work, mapping


def _plain(key: str) -> str:
    """An item key as kept in ``extra``: an override's placeholder by its field name."""
    return key.removeprefix(_MAPPED)


def guess_mapping(item: Mapping[str, Any]) -> dict[str, str]:
    """Field -> the item key it is read from, for the keys this item has."""
    best: dict[str, tuple[int, str]] = {}
    for key in item:
        hit = _LOOKUP.get(key.lower()) if isinstance(key, str) else None
        if hit is not None and item[key] not in (None, "", [], {}):
            name, rank = hit
            if name not in best or rank < best[name][0]:
                best[name] = (rank, key)
    return {name: key for name, (_, key) in best.items()}


def item_record(item: dict[str, Any], path: str, where: Mapping[str, int]) -> Article | None:
    """One item as an article, or None when it has neither a title nor a URL."""
    item, mapping = apply_overrides(item)
    if "title" not in mapping and "url" not in mapping:
        return None
    header = {k: v for k, v in item.items() if k not in mapping.values()}
    competing = _competing(header) if _OVERRIDES else {}
    for name in ("title", "url", "published", "excerpt", "topics", "author", "language"):
        if name in mapping:
            header[name] = item[mapping[name]]
    truncated: int | None = None
    if "body" in mapping:
        body = item[mapping["body"]]
        if isinstance(body, str):
            match = _TRUNCATED.search(body)
            if match:
                truncated = int(match.group(1))
                body = body[:match.start()]
        header["body"] = body
    if "image" in mapping and isinstance(item[mapping["image"]], str):
        header["images"] = [item[mapping["image"]]]
    elif "image" in mapping:
        header[_plain(mapping["image"])] = item[mapping["image"]]
    provider = _provider(item, mapping, header)
    if provider:
        header["provider"] = provider
    if truncated is not None:
        header["truncated"] = True
        header["truncated_chars"] = truncated
    header.update(where)
    from newsidx.parse import parse_mapping

    record = parse_mapping(header, path)
    if competing:  # kept in extra, its strings cleaned as every record's are
        from newsidx.model import from_json, to_json

        record = from_json({**to_json(record), "extra": {**record.extra, **competing}})
    if record.date_source == "published" and "published" in mapping:  # the item's key
        mapped = _OVERRIDES.get("published")
        record = replace(record, date_source=".".join(mapped) if mapped else
                         mapping["published"])
    if record.published == _EPOCH:
        warning = f"date {record.published_raw!r} is the epoch placeholder: left undated"
        record = replace(record, published=None, published_offset=None, date_source=None,
                         warnings=(*record.warnings, warning))
    return record


# the front-matter keys parse_mapping reads for each field (see docs/format.md)
_FRONT_MATTER = {
    "title": ("title",), "url": ("webUrl", "url", "link", "originalUrl"),
    "published": ("publishedDateTime", "publishedAt", "published", "pubDate", "date"),
    "excerpt": ("excerpt", "description", "summary"), "body": ("body", "content", "text"),
    "topics": ("topics", "tags", "categories"), "provider": ("provider", "source", "publisher"),
    "author": ("author", "authors", "byline", "creator"), "language": ("lang", "language"),
}


def _competing(header: dict[str, Any]) -> dict[str, Any]:
    """Under ``--map``, the item keys that parse_mapping would prefer to a mapped field's
    value (``publishedAt`` over ``published``), taken out of ``header``, to keep in
    ``extra``: the user's mapping decides, and ``FIELD=`` leaves the field empty."""
    out: dict[str, Any] = {}
    for name in _OVERRIDES:
        for key in _FRONT_MATTER.get(name, ()):
            if key in header:
                out[key] = header.pop(key)
    return out


def _provider(item: Mapping[str, Any], mapping: Mapping[str, str],
              header: dict[str, Any]) -> dict[str, str] | None:
    """``{name, domain}``: the source's name, the domain key, else the URL's host."""
    name = domain = None
    key = mapping.get("provider")
    if key is not None:
        value = item[key]
        if isinstance(value, dict):
            name = _text(value.get("name")) or _text(value.get("id"))
            domain = _text(value.get("domain"))
            if set(value) <= {"name", "domain"}:
                header.pop(key, None)
            else:
                header[_plain(key)] = value  # its other keys (NewsAPI's source.id) stay in extra
        elif _text(value):
            name = _text(value)
            header.pop(key, None)
    if "domain" in mapping:
        domain = _text(item[mapping["domain"]]) or domain
        header.pop(mapping["domain"], None)
    if domain is None and isinstance(header.get("url"), str):
        domain = _host(header["url"])
    if not name and not domain:
        return None
    return {k: v for k, v in (("name", name), ("domain", domain)) if v}


def _text(value: Any) -> str | None:
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        text = str(value).strip()
        return text or None
    return None


def _host(url: str) -> str | None:
    try:
        host = urlsplit(url.strip()).hostname
    except ValueError:
        return None
    if not host:
        return None
    return host[4:] if host.startswith("www.") else host


# -- streaming ----------------------------------------------------------------------

_Item = tuple[dict[str, int], int, Any]


def _jsonl_items(stream: IO[bytes], path: str, max_size: int) -> Iterator[_Item]:
    """``({"source_line": n}, n, value or ParseError)`` for each non-blank line."""
    number = 0
    while True:
        raw = stream.readline(max_size + 1)
        if not raw:
            return
        number += 1
        if len(raw) > max_size and not raw.endswith(b"\n"):
            while raw and not raw.endswith(b"\n"):  # skip the rest of the line, bounded
                raw = stream.readline(_CHUNK)
            yield {}, number, ParseError(path, f"item over the {max_size:,}-byte size limit",
                                         number)
            continue
        if not raw.strip():
            continue
        if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        try:
            value = json.loads(raw)
        except UnicodeDecodeError as exc:
            yield {}, number, ParseError(path, f"not UTF-8 text ({exc.reason})", number)
            continue
        except ValueError as exc:
            yield {}, number, ParseError(path, f"not JSON: {_reason(exc)}", number)
            continue
        except RecursionError:
            yield {}, number, ParseError(path, "nested too deeply to read", number)
            continue
        yield {"source_line": number}, number, value


def _reason(exc: ValueError) -> str:
    return exc.msg if isinstance(exc, json.JSONDecodeError) else str(exc)


class _ArrayReader:
    """The items of a JSON array from a byte stream, one bounded buffer at a time."""

    def __init__(self, stream: IO[bytes], path: str, max_size: int) -> None:
        self.stream, self.path, self.max_size = stream, path, max_size
        self.decoder = json.JSONDecoder()
        self.buf = ""
        self.pos = 0
        self.line = 1  # the line of ``pos``
        self.eof = False
        self.utf8 = codecs.getincrementaldecoder("utf-8")()

    def fill(self) -> bool:
        """Read one more chunk; False at the end of the stream."""
        if self.eof:
            return False
        chunk = self.stream.read(_CHUNK)
        if not chunk:
            self.eof = True
            try:
                self.utf8.decode(b"", True)
            except UnicodeDecodeError:
                raise ParseError(self.path, "not UTF-8 text (cut character at the end)",
                                 self.line) from None
            return False
        try:
            text = self.utf8.decode(chunk)
        except UnicodeDecodeError as exc:
            raise ParseError(self.path, f"not UTF-8 text ({exc.reason})", self.line) from None
        if self.pos:
            self.buf = self.buf[self.pos:]
            self.pos = 0
        self.buf += text
        return True

    def advance(self, end: int) -> None:
        self.line += self.buf.count("\n", self.pos, end)
        self.pos = end

    def skip_space(self) -> str:
        """The next character that is not white space ('' at the end)."""
        while True:
            while self.pos < len(self.buf) and self.buf[self.pos] in " \t\r\n\ufeff":
                if self.buf[self.pos] == "\n":
                    self.line += 1
                self.pos += 1
            if self.pos < len(self.buf):
                return self.buf[self.pos]
            if not self.fill():
                return ""

    def value(self) -> Any:
        """Decode the value at ``pos``, reading on while it is incomplete."""
        while True:
            try:
                value, end = self.decoder.raw_decode(self.buf, self.pos)
            except json.JSONDecodeError as exc:
                at_end = exc.msg.startswith("Unterminated") or exc.pos >= len(self.buf) - 32
                if at_end and len(self.buf) - self.pos > self.max_size:
                    raise ParseError(self.path, f"item over the {self.max_size:,}-byte size "
                                     "limit; the rest of the array is not read",
                                     self.line) from None
                if not at_end or not self.fill():
                    line = self.line + self.buf.count("\n", self.pos, exc.pos)
                    raise ParseError(self.path, f"not JSON: {exc.msg}; the rest of the array "
                                     "is not read", line) from None
                continue
            if end == len(self.buf) and self.fill():
                continue  # a number or literal may go on in the next chunk
            self.advance(end)
            return value


def _array_items(stream: IO[bytes], path: str, max_size: int) -> Iterator[_Item]:
    """``({"source_index": i}, line, value or ParseError)`` for each item of the array."""
    reader = _ArrayReader(stream, path, max_size)
    try:
        if reader.skip_space() != "[":
            raise ParseError(path, "not a JSON array", reader.line)
        reader.pos += 1
        index = 0
        if reader.skip_space() == "]":
            return
        while True:
            line = reader.line
            try:
                value = reader.value()
            except RecursionError:
                raise ParseError(path, "item nested too deeply to read; the rest of the "
                                 "array is not read", line) from None
            yield {"source_index": index}, line, value
            index += 1
            following = reader.skip_space()
            if following == "]":
                return
            if following != ",":
                what = f"{following!r}" if following else "the end of the file"
                raise ParseError(path, f"expected ',' or ']' after item {index - 1}, found "
                                 f"{what}; the rest of the array is not read", reader.line)
            reader.pos += 1
            reader.skip_space()
    except ParseError as exc:
        yield {}, exc.line or reader.line, exc
