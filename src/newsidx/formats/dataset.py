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

import gzip
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import IO, Any
from urllib.parse import urlsplit

from newsidx.errors import ParseError
from newsidx.formats.jsonstream import array_items, jsonl_items
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
    for part in iter_dataset(path, kind, gz, max_size):
        out.records.extend(part.records)
        out.warnings.extend(part.warnings)
        out.failures.extend(part.failures)
    return out


def iter_dataset(path: str, kind: str, gz: bool, max_size: int, chunk: int = 1000,
                 chunk_chars: int = 1 << 20) -> Iterator[DatasetResult]:
    """The dataset at ``path`` in pieces of at most ``chunk`` articles or about
    ``chunk_chars`` characters of text, each with the warnings and failures of its items,
    the last piece possibly empty: a file of any size flows through in bounded memory.
    An item with the URL of an earlier one is merged into it (a warning), across pieces
    too."""
    out = DatasetResult()
    seen: dict[str, tuple[int, int, int]] = {}  # id -> line, piece, place in its records
    piece = chars = 0
    with open_dataset(path, gz) as stream:
        items = jsonl_items(stream, path, max_size) if kind == "jsonl" else array_items(
            stream, path, max_size)
        try:
            for where, line, value in items:
                if _add(out, seen, piece, path, where, line, value):
                    last = out.records[-1]
                    chars += len(last.body) + len(last.title) + len(last.excerpt) + 256
                if len(out.records) >= chunk or chars >= chunk_chars:
                    yield out
                    out, chars, piece = DatasetResult(), 0, piece + 1
        except (OSError, EOFError, gzip.BadGzipFile) as exc:
            out.failures.append(f"{path}: cannot read on: {exc}")
    yield out


def _add(out: DatasetResult, seen: dict[str, tuple[int, int, int]], piece: int, path: str,
         where: Mapping[str, int], line: int, value: Any) -> bool:
    if isinstance(value, ParseError):
        out.failures.append(str(value))
        return False
    if not isinstance(value, dict):
        out.failures.append(f"{path}:{line}: item is {_kind_of(value)}, not a JSON object")
        return False
    try:
        record = item_record(value, path, where)
    except ParseError as exc:
        out.failures.append(f"{path}:{line}: {exc.reason}")
        return False
    if record is None:
        out.failures.append(f"{path}:{line}: item has no title and no URL")
        return False
    first = seen.get(record.id)
    if first is not None:
        if first[1] != piece:  # in a piece of a big file already sent: too late to add to
            out.warnings.append(f"line {line}: same article as line {first[0]} (same URL): "
                                f"merged, the first kept")
            return False
        from newsidx.merging import absorb

        out.records[first[2]] = absorb(out.records[first[2]], record)
        out.warnings.append(f"line {line}: same article as line {first[0]} (same URL): merged, "
                            f"the first kept, this headline kept as an alt title")
        return False
    seen[record.id] = (line, piece, len(out.records))
    out.warnings.extend(f"line {line}: {w}" for w in record.warnings)
    out.records.append(record)
    return True


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
