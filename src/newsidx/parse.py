"""One file's bytes → a ``ParseResult``: the article record and its related records.

The format is read from the content, never the extension: YAML front matter between
``---`` lines, Hugo TOML between ``+++`` lines, a leading JSON object, else plain text
whose first non-empty line is the title. Hostile input is bounded before a parser sees
it (nesting depth, alias expansion, merge keys, size), so no file can crash, hang or
exhaust the process. docs/format.md describes every field and odd case.
"""

from __future__ import annotations

import base64
import json
import math
import os
import re
import stat
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import PurePath
from typing import Any, Literal
from urllib.parse import unquote, urlsplit

import yaml
from yaml.constructor import ConstructorError, SafeConstructor

from . import attribution, dates, identity
from .clean import fold_title, is_web_url
from .decode import decode
from .errors import ParseError, SkippedFile
from .model import (
    Article,
    Image,
    JSONValue,
    Provider,
    RelatedRef,
    canonical_url,
    clean,
)

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]

__all__ = ["DEFAULT_MAX_SIZE", "MAX_DEPTH", "ParseResult", "parse_bytes", "parse_file",
           "parse_mapping"]

DEFAULT_MAX_SIZE = 10 * 1024 * 1024
MAX_DEPTH = 100
MAX_LINE = 1024 * 1024
VALUE_BUDGET = 100_000
MAX_MERGED_KEYS = 10_000
_MIB = 1024 * 1024

Format = Literal["yaml", "toml", "json", "text", "html"]


@dataclass(frozen=True, slots=True)
class ParseResult:
    """``records[0]`` is the article, then its related records; one-line warnings."""

    records: tuple[Article, ...]
    warnings: tuple[str, ...]
    format: Format


class _Hostile(Exception):
    """Front matter refused before or while loading; the message is the reason."""


_TOO_DEEP = f"front matter nested deeper than {MAX_DEPTH} levels"
_TOO_BIG = f"front matter expands to more than {VALUE_BUDGET:,} values (YAML aliases?)"

# --- YAML loader -------------------------------------------------------------------

_BaseLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_BOOL_TAG = "tag:yaml.org,2002:bool"
_STR_TAG = "tag:yaml.org,2002:str"


class _RawInt(int):
    """An int that remembers how it was written (``0o17``, ``1_000``)."""

    raw: str


class _RawFloat(float):
    """A float that remembers how it was written (``.inf``, ``1:20``)."""

    raw: str


class _OddKey(str):
    """A mapping key that was not text in the source (a list, a mapping)."""


def _construct_int(loader: Any, node: yaml.ScalarNode) -> int:
    value = _RawInt(SafeConstructor.construct_yaml_int(loader, node))
    value.raw = node.value
    return value


def _construct_float(loader: Any, node: yaml.ScalarNode) -> float:
    value = _RawFloat(SafeConstructor.construct_yaml_float(loader, node))
    value.raw = node.value
    return value


def _construct_timestamp(loader: Any, node: yaml.ScalarNode) -> str:
    """Timestamps stay text as written: ``dates`` reads them, and year 0 cannot crash."""
    return str(node.value)


def _node_text(node: yaml.Node, limit: int = 200) -> str:
    """A short YAML-like spelling of a (complex key) node, without expanding aliases."""
    parts: list[str] = []
    size = 0
    stack: list[Any] = [node]
    while stack and size < limit:
        item = stack.pop()
        if isinstance(item, str):
            text = item
        elif isinstance(item, yaml.ScalarNode):
            text = str(item.value)
        elif isinstance(item, yaml.SequenceNode):
            stack.append("]")
            for i, child in enumerate(reversed(item.value)):
                stack.append(child)
                if i < len(item.value) - 1:
                    stack.append(", ")
            text = "["
        else:
            stack.append("}")
            pairs = list(reversed(item.value))
            for i, (key, value) in enumerate(pairs):
                stack.extend((value, ": ", key))
                if i < len(pairs) - 1:
                    stack.append(", ")
            text = "{"
        parts.append(text)
        size += len(text)
    return "".join(parts)[:limit]


_MERGE_TAG = "tag:yaml.org,2002:merge"
_FLATTENED_TAGS = (_MERGE_TAG, "tag:yaml.org,2002:value")


class _Loader(_BaseLoader):  # type: ignore[misc]
    """Safe loader: YAML 1.2 booleans, raw-text numbers and dates, bounded merges.

    The C parser calls ``resolve`` and the path-resolver hooks in Python for every
    node; this loader has no path resolvers, so those are reduced to what it needs.
    """

    def resolve(self, kind: type, value: Any, implicit: tuple[bool, bool]) -> str:
        if kind is yaml.ScalarNode:
            if implicit[0]:
                for tag, match in _SCALAR_RESOLVERS.get(value[:1], ()):
                    if match(value):
                        return tag
            return _STR_TAG
        if kind is yaml.SequenceNode:
            return "tag:yaml.org,2002:seq"
        return "tag:yaml.org,2002:map"

    def descend_resolver(self, current_node: Any, current_index: Any) -> None:
        pass

    def ascend_resolver(self) -> None:
        pass

    def flatten_mapping(self, node: yaml.MappingNode) -> None:
        for key_node, _ in node.value:
            if key_node.tag in _FLATTENED_TAGS:
                super().flatten_mapping(node)
                break
        if len(node.value) > MAX_MERGED_KEYS:
            raise _Hostile(_TOO_BIG)

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        """Like PyYAML's, but a key that is not text keeps its source spelling as text.

        So ``1:`` and ``true:`` stay two keys (as ints/bools they would collide) and a
        list key no longer makes the whole file unreadable.
        """
        if not isinstance(node, yaml.MappingNode):
            return super().construct_mapping(node, deep=deep)
        own = sum(1 for key_node, _ in node.value if key_node.tag != _MERGE_TAG)
        self.flatten_mapping(node)
        first_own = len(node.value) - own  # merged pairs come first and may be overridden
        mapping: dict[Any, Any] = {}
        seen: set[Any] = set()
        for n, (key_node, value_node) in enumerate(node.value):
            if key_node.tag == _STR_TAG and isinstance(key_node, yaml.ScalarNode):
                key: Any = key_node.value
            else:
                key = self.construct_object(key_node, deep=True)
                if not isinstance(key, str):
                    key = _OddKey(_node_text(key_node))
            if n >= first_own:
                if key in seen:
                    self.__dict__.setdefault("duplicate_keys", []).append(str(key))
                seen.add(key)
            if value_node.tag == _STR_TAG and isinstance(value_node, yaml.ScalarNode):
                mapping[key] = value_node.value
            else:
                mapping[key] = self.construct_object(value_node, deep=deep)
        return mapping


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != _BOOL_TAG]
    for first, resolvers in _BaseLoader.yaml_implicit_resolvers.items()
}
for _first in "tTfF":
    _Loader.yaml_implicit_resolvers.setdefault(_first, []).insert(
        0, (_BOOL_TAG, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"))
    )
_SCALAR_RESOLVERS: dict[str, tuple[tuple[str, Any], ...]] = {
    first: tuple((tag, rx.match) for tag, rx in resolvers)
    for first, resolvers in _Loader.yaml_implicit_resolvers.items()
}
if _Loader.yaml_path_resolvers or None in _SCALAR_RESOLVERS:  # pragma: no cover
    raise ImportError("PyYAML resolvers changed: _Loader.resolve no longer matches them")
_Loader.add_constructor("tag:yaml.org,2002:int", _construct_int)
_Loader.add_constructor("tag:yaml.org,2002:float", _construct_float)
_Loader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)

_OPEN_EVENTS = (yaml.SequenceStartEvent, yaml.MappingStartEvent)
_CLOSE_EVENTS = (yaml.SequenceEndEvent, yaml.MappingEndEvent)


def _check_depth(text: str) -> None:
    """Refuse YAML nested deeper than MAX_DEPTH before the (recursive, C) composer runs.

    Every block collection is opened by a ``-``, ``?`` or ``:`` token, and one still
    open when a line starts sits left of that line's indentation; so flow brackets plus
    twice (indentless sequences) the indicators of the whole text, or else the worst line's
    indentation plus its indicators, bound the depth. Only when that cheap bound is too
    high are the parser's events (iterative, no recursion) counted exactly.
    """
    bound = text.count("[") + text.count("{")
    if bound <= MAX_DEPTH:
        every = text.count("-") + text.count("?") + text.count(":")
        if bound + 2 * every + 5 <= MAX_DEPTH:
            return
        block = 0
        for line in text.split("\n"):
            width = len(line)
            indicators = line.count("-") + line.count("?") + line.count(":")
            if indicators > MAX_DEPTH // 2 and line.count("- - ") * 2 >= MAX_DEPTH:
                raise _Hostile(_TOO_DEEP)
            level = width - len(line.lstrip(" ")) + indicators
            if level > block:
                block = level
        if bound + 2 * block + 5 <= MAX_DEPTH:
            return
    # The pure-Python parser, not libyaml: libyaml's scanner counts flow levels ahead of
    # the events and stops at its own limit, so only Python's events reach ours.
    loader: Any = yaml.BaseLoader(text)
    try:
        depth = 0
        while loader.check_event():
            event = loader.get_event()
            if isinstance(event, _OPEN_EVENTS):
                depth += 1
                if depth > MAX_DEPTH:
                    raise _Hostile(_TOO_DEEP)
            elif isinstance(event, _CLOSE_EVENTS):
                depth -= 1
    finally:
        loader.dispose()


def _load_yaml(text: str, source: str, first_line: int, warnings: list[str]) -> Any:
    try:
        _check_depth(text)
        loader = _Loader(text)
        try:
            data = loader.get_single_data()
            _note_duplicates(getattr(loader, "duplicate_keys", ()), warnings)
            return data
        finally:
            loader.dispose()
    except _Hostile as exc:
        raise ParseError(source, str(exc), first_line - 1) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.context_mark or exc.problem_mark
        line = first_line + mark.line if mark is not None else first_line - 1
        problem = exc.problem or "invalid YAML"
        if exc.context and exc.context_mark is not None:
            problem = f"{problem} {exc.context}"
        if isinstance(exc, ConstructorError) and "constructor for the tag" in problem:
            tag = problem.rsplit(" ", 1)[-1].strip("'")
            kind = "unsafe" if "python/" in tag else "unsupported"
            raise ParseError(source, f"{kind} YAML tag {tag!r}", line) from None
        raise ParseError(source, f"invalid YAML: {problem}", line) from None
    except yaml.YAMLError as exc:
        raise ParseError(source, f"invalid YAML: {_first_line(str(exc))}", first_line) from None
    except RecursionError:
        raise ParseError(source, _TOO_DEEP, first_line - 1) from None
    except Exception as exc:  # PyYAML's constructors leak IndexError, ValueError...
        raise ParseError(
            source, f"invalid YAML value: {_first_line(str(exc)) or type(exc).__name__}",
            first_line - 1,
        ) from None


def _note_duplicates(keys: Sequence[str], warnings: list[str]) -> None:
    """One warning naming the keys given twice in one mapping (the last value wins)."""
    if keys:
        unique = list(dict.fromkeys(keys))
        shown = ", ".join(repr(k) for k in unique[:5])
        more = f" and {len(unique) - 5} more" if len(unique) > 5 else ""
        warnings.append(f"duplicate front-matter key {shown}{more}: the last value is kept")


def _json_pairs(duplicates: list[str]) -> Callable[[list[tuple[str, Any]]], dict[str, Any]]:
    def hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        mapping = dict(pairs)
        if len(mapping) != len(pairs):
            seen: set[str] = set()
            for key, _ in pairs:
                if key in seen:
                    duplicates.append(key)
                seen.add(key)
        return mapping

    return hook


def _first_line(text: str) -> str:
    return text.strip().split("\n", 1)[0][:200]


# --- text → (format, header, body) ---------------------------------------------------

_YAML_END = re.compile(r"^(?:---|\.\.\.)[ \t]*$", re.M)
_TOML_END = re.compile(r"^\+\+\+[ \t]*$", re.M)
_TOML_LINE = re.compile(r"at line (\d+)")


def _split(text: str, source: str, warnings: list[str]
           ) -> tuple[Format, Any, str, str | None]:
    """Format, loaded header mapping (or None), body, and the plain-text title line."""
    start = len(text) - len(text.lstrip())
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", line_start)
    if line_end < 0:
        line_end = len(text)
    first = text[line_start:line_end].rstrip()
    fence_line = text.count("\n", 0, line_start) + 1
    if first in ("---", "+++"):
        closing = _YAML_END if first == "---" else _TOML_END
        end = closing.search(text, line_end + 1) if line_end < len(text) else None
        if end is None:
            raise ParseError(source, "unterminated front matter", fence_line)
        header_text = text[line_end + 1 : end.start()]
        body = text[end.end() :]
        body = body[1:] if body.startswith("\n") else body
        body = body[1:] if body.startswith("\n") else body
        if first == "---":
            header = _load_yaml(header_text, source, fence_line + 1, warnings)
            return "yaml", header, body.rstrip(), None
        return "toml", _load_toml(header_text, source, fence_line), body.rstrip(), None
    if text[start] == "{" and text[start + 1 : start + 64].lstrip()[:1] in ('"', "}"):
        try:
            duplicates: list[str] = []
            decoder = json.JSONDecoder(object_pairs_hook=_json_pairs(duplicates))
            header, end_index = decoder.raw_decode(text, start)
            _note_duplicates(duplicates, warnings)
        except json.JSONDecodeError as exc:
            raise ParseError(source, f"invalid JSON: {exc.msg}", exc.lineno) from None
        except RecursionError:
            raise ParseError(source, _TOO_DEEP, fence_line) from None
        except ValueError as exc:
            raise ParseError(source, f"invalid JSON: {_first_line(str(exc))}") from None
        return "json", header, text[end_index:].strip(), None
    return "text", None, text[line_end + 1 :].strip("\n").rstrip(), first.strip()


def _load_toml(text: str, source: str, fence_line: int) -> dict[str, Any]:
    try:
        loaded: dict[str, Any] = tomllib.loads(text)
        return loaded
    except tomllib.TOMLDecodeError as exc:
        match = _TOML_LINE.search(str(exc))
        line = fence_line + int(match.group(1)) if match else fence_line
        raise ParseError(source, f"invalid TOML: {_first_line(str(exc))}", line) from None
    except RecursionError:
        raise ParseError(source, _TOO_DEEP, fence_line) from None
    except ValueError as exc:
        raise ParseError(source, f"invalid TOML: {_first_line(str(exc))}", fence_line) from None


# --- loaded values → fields ----------------------------------------------------------

_DATE_KEYS = ("publishedDateTime", "publishedAt", "published", "pubDate", "date")
_URL_KEYS = (("webUrl", "web_url"), ("originalUrl", "original_url"),
             ("ampWebUrl", "amp_url"), ("cdnAmpWebUrl", "cdn_amp_url"))
_EXCERPT_KEYS = ("excerpt", "description", "summary")
_PROVIDER_KEYS = ("provider", "source", "publisher")
_BODY_KEYS = ("body", "content", "text")
_HEADING = re.compile(r"^#{1,6}[ \t]", re.M)
_SENTENCE = re.compile(r"[.!?。！？](?=\s|$)")
_URL_WORDS = re.compile(r"[-_+\s]+")
_MARKUP_START = re.compile(r"[<&\[\]{}*_`#|\\>~=]")  # plaintext._STARTS: markup may follow


class _Context:
    """Per-file state: warnings, the shared value budget, odd keys seen."""

    __slots__ = ("budget", "markup", "odd_keys", "warnings")

    def __init__(self, *, markup: bool = False) -> None:
        self.budget = VALUE_BUDGET
        self.markup = markup  # titles and excerpts may hold HTML/Markdown (a post's file)
        self.warnings: list[str] = []
        self.odd_keys: list[str] = []

    def key_text(self, key: Any) -> str:
        if isinstance(key, str) and not isinstance(key, _OddKey):
            return key
        text = key if isinstance(key, str) else _scalar_text(key)
        if text is None:
            text = str(key)
        self.odd_keys.append(text)
        return str(text)

    def jsonable(self, value: Any, depth: int = 0) -> JSONValue:
        """``value`` as plain JSON data; shared (aliased) values count every time."""
        self.budget -= 1
        if self.budget < 0:
            raise _Hostile(_TOO_BIG)
        if isinstance(value, str):
            return str(value)
        if isinstance(value, bool) or value is None:
            return value
        if isinstance(value, int):
            return int(value)
        if isinstance(value, float):
            return float(value) if math.isfinite(value) else _scalar_text(value)
        if depth > 2 * MAX_DEPTH:
            raise _Hostile(_TOO_DEEP)
        if isinstance(value, dict):
            return {self.key_text(k): self.jsonable(v, depth + 1) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [self.jsonable(v, depth + 1) for v in value]
        if isinstance(value, (set, frozenset)):
            return sorted((self.jsonable(v, depth + 1) for v in value), key=str)
        if isinstance(value, (datetime, date, time)):
            return value.isoformat()
        if isinstance(value, bytes):
            return base64.b64encode(value).decode("ascii")
        return str(value)


def _scalar_text(value: Any) -> str | None:
    """A scalar as the author wrote it: ``2024``, ``no``, ``0o17``; None for collections."""
    if isinstance(value, str):
        return str(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    raw = getattr(value, "raw", None)
    if isinstance(raw, str):
        return raw
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else str(value).replace("inf", ".inf")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    return None


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return None
    else:
        return None
    return number if math.isfinite(number) else None


def _count(value: Any) -> int | None:
    number = _number(value)
    return int(number) if number is not None and number.is_integer() else None


def _first_sentence(text: str) -> str:
    match = _SENTENCE.search(text)
    sentence = text[: match.end()] if match else text
    return sentence.strip()


def _first_line_of(text: str) -> str:
    for line in text.split("\n", 50):
        if line.strip():
            return line.strip()
    return ""


def _heading(body: str) -> str:
    """The body's first Markdown heading: setext on the first line, else the first ATX."""
    head = body.lstrip("\n").split("\n", 2)
    if len(head) >= 2 and head[0].strip():
        underline = head[1].strip()
        if underline and (set(underline) == {"="} or set(underline) == {"-"}):
            return head[0].strip()
    match = _HEADING.search(body)
    if match is None:
        return ""
    end = body.find("\n", match.start())
    line = body[match.start() : end if end >= 0 else len(body)]
    return line.strip().strip("#").strip()


def _title_from_url(url: str) -> str:
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    segments = [s for s in parts.path.split("/") if s]
    if segments:
        last = unquote(segments[-1])
        stem, dot, ext = last.rpartition(".")
        if dot and stem and len(ext) <= 5:
            last = stem
        words = _URL_WORDS.sub(" ", last).strip()
        if words:
            return words
    return parts.hostname or url


class _Fields:
    """The modelled fields of one mapping (an article's front matter or a related item)."""

    __slots__ = ("args", "body", "title", "url")

    def __init__(self) -> None:
        self.args: dict[str, Any] = {}
        self.title = ""
        self.url: str | None = None
        self.body = ""


def _fields(ctx: _Context, data: Mapping[Any, Any], prefix: str, warnings: list[str],
            *, file_name: str | None = None, source: str | None = None) -> _Fields:
    """Map the known keys onto Article arguments; every other key goes to ``extra``."""
    rest = dict(data)
    out = _Fields()
    args = out.args
    extra: dict[str, JSONValue] = {}

    def unusable(key: str, value: Any, what: str) -> None:
        warnings.append(f"{prefix}{key} is not {what}: kept in extra")
        extra[key] = ctx.jsonable(value)

    def text(key: str) -> str | None:
        value = rest.pop(key, None)
        if value is None:
            return None
        result = _scalar_text(value)
        if result is None:
            unusable(key, value, "text")
        return result

    title = text("title")
    out.title = fold_title(_shown(ctx, title)) if title else ""
    for key in _EXCERPT_KEYS:
        if key in rest:
            excerpt = text(key)
            if excerpt and excerpt.strip():
                args["excerpt"] = _shown(ctx, excerpt.strip(), block=True)
                break
    for key in ("category", "type"):
        value = text(key)
        if value and value.strip():
            args[key] = value.strip()
    def web_url(key: str) -> str | None:
        value = text(key)
        if not value or not value.strip():
            return None
        if not is_web_url(value.strip()):
            warnings.append(f"{prefix}{key} is not an http(s) URL: kept in extra")
            extra[key] = value
            return None
        return value.strip()

    for key, name in _URL_KEYS:
        value = web_url(key)
        if value:
            args[name] = value
    for key in ("url", "link"):
        if "web_url" in args:
            break
        value = web_url(key)
        if value:
            args["web_url"] = value
    chosen = args.get("web_url") or args.get("original_url")
    if chosen:
        out.url = canonical_url(chosen)

    for key in ("quality", "heat"):
        if key in rest:
            value = rest.pop(key)
            number = _number(value)
            if number is None and value is not None:
                unusable(key, value, "a finite number")
            args[key] = number

    url_key = extra.get("url")  # a url kept in extra (not http) may still hold the date
    _date(ctx, rest, args, prefix, warnings, file_name, source,
          url_key if isinstance(url_key, str) else args.get("web_url"))
    _provider(ctx, rest, args, extra, prefix, warnings)
    _topics(ctx, rest, args, extra, prefix, warnings)
    attribution.take(rest, args, _scalar_text)
    if "images" in rest:
        args["images"] = _images(ctx, rest.pop("images"), extra, prefix, warnings)
    for key in _BODY_KEYS:
        value = rest.get(key)
        if isinstance(value, str) and value.strip():
            out.body = value.strip()
            del rest[key]
            break
    for key, value in rest.items():
        extra[ctx.key_text(key)] = ctx.jsonable(value)
    args["extra"] = extra
    return out


def _shown(ctx: _Context, text: str, *, block: bool = False) -> str:
    """A post's title or excerpt as a reader sees it (``NARA&#8217;s`` → ``NARA’s``):
    entities decoded, tags and Markdown removed (:mod:`newsidx.plaintext`). Datasets,
    feeds and pages have their own rules (a feed's plain-text title keeps ``<changes>``)."""
    if not ctx.markup or (not block and _MARKUP_START.search(text) is None):
        return text  # one C scan for most titles
    from newsidx import plaintext

    return (plaintext.body_text(text) or text) if block else plaintext.inline_text(text)


def _date(ctx: _Context, rest: dict[Any, Any], args: dict[str, Any], prefix: str,
          warnings: list[str], file_name: str | None, source: str | None,
          url: str | None) -> None:
    parsed: dates.ParsedDate | None = None
    where: str | None = None
    for key in _DATE_KEYS:
        value = rest.get(key)
        if value is None or isinstance(value, (bool, list, dict)):
            continue
        parsed = dates.parse_date(value)
        where = key
        del rest[key]
        if parsed.warning:
            warnings.append(prefix + parsed.warning)
        break
    if parsed is None or parsed.instant is None:  # the rest only for posts without a date
        from newsidx.datefallback import fallback

        found = fallback(rest, url, source, file_name)
        if found is not None:
            if parsed is not None and parsed.raw:
                rest.setdefault("published_unreadable", parsed.raw)
            parsed, where = found
    if parsed is None:
        return
    args["date_source"] = where if parsed.instant is not None else None
    args["published"] = parsed.instant
    args["published_raw"] = parsed.raw
    args["published_offset"] = parsed.offset
    args["published_zoneless"] = parsed.zoneless


def _provider(ctx: _Context, rest: dict[Any, Any], args: dict[str, Any],
              extra: dict[str, JSONValue], prefix: str, warnings: list[str]) -> None:
    for key in _PROVIDER_KEYS:
        value = rest.get(key)
        if value is None:
            continue
        if isinstance(value, dict):
            name = _scalar_text(value.get("name"))
            domain = _scalar_text(value.get("domain"))
            if set(value) - {"name", "domain"}:
                extra[key] = ctx.jsonable(value)
        else:
            name, domain = _scalar_text(value), None
            if name is None:
                continue
        del rest[key]
        name = name.strip() if name else None
        domain = domain.strip() if domain else None
        if name or domain:
            args["provider"] = Provider(name or None, domain or None)
        return


def _topics(ctx: _Context, rest: dict[Any, Any], args: dict[str, Any],
            extra: dict[str, JSONValue], prefix: str, warnings: list[str]) -> None:
    """Topics from every key sites use (:mod:`newsidx.topics`); ``category`` stays a field."""
    from newsidx import topics as t

    groups: list[list[str]] = []

    def take(key: str, value: Any, keep: dict[str, JSONValue]) -> None:
        found, dropped = t.values(value, _scalar_text)
        groups.append(found)
        if dropped:
            warnings.append(f"{prefix}{key}: {len(dropped)} value(s) that are not text kept in "
                            f"extra")
            keep[key] = ctx.jsonable(value)

    for key in t.TOPIC_KEYS:
        if key == "category" and "category" in args:
            groups.append([args["category"]])
            continue
        value = rest.pop(key, None)
        if value is not None:
            take(key, value, extra)
    table = rest.get(t.TAXONOMIES)
    names = t.taxonomy_keys(table)
    if names and isinstance(table, dict):
        kept: dict[str, JSONValue] = {}
        for name in names:
            take(name, table[name], kept)
        others = {k: v for k, v in table.items() if k not in names}
        del rest[t.TAXONOMIES]
        if others or kept:
            extra[t.TAXONOMIES] = ctx.jsonable({**others, **kept})
    if groups:
        args["topics"] = t.union(groups)


def _images(ctx: _Context, value: Any, extra: dict[str, JSONValue], prefix: str,
            warnings: list[str]) -> tuple[Image, ...]:
    items = value if isinstance(value, (list, tuple)) else [value]
    images: list[Image] = []
    dropped: list[Any] = []
    for item in items:
        if isinstance(item, str) and item.strip():
            images.append(Image(item.strip()))
            continue
        url = _scalar_text(item.get("url")) if isinstance(item, dict) else None
        if not isinstance(item, dict) or not url or not url.strip():
            dropped.append(item)
            continue
        rest = {ctx.key_text(k): ctx.jsonable(v) for k, v in item.items()
                if k not in ("url", "width", "height")}
        images.append(Image(url.strip(), _count(item.get("width")), _count(item.get("height")),
                            rest))
    if dropped:
        warnings.append(f"{prefix}{len(dropped)} image(s) without a URL kept in extra")
        extra["images"] = ctx.jsonable(dropped)
    return tuple(images)


# --- records ---------------------------------------------------------------------

def _related(ctx: _Context, value: Any, parent: Article, source: str,
             warnings: list[str]) -> list[Article]:
    items = [value] if isinstance(value, dict) else value
    records: list[Article] = []
    seen = {parent.id}
    for n, item in enumerate(items, 1):
        prefix = f"related item {n}: "
        if not isinstance(item, dict):
            warnings.append(f"{prefix}not a mapping ({_short(item)}): dropped")
            continue
        own: list[str] = []
        fields = _fields(ctx, item, prefix, own)
        args = fields.args
        title = fields.title or fold_title(_first_sentence(args.get("excerpt", "")))
        if not title and fields.url:
            title = fold_title(
                _title_from_url(args.get("web_url") or args.get("original_url") or ""))
        if not title and not fields.url:
            warnings.append(f"{prefix}neither a title nor a URL: dropped")
            continue
        if fields.body:
            args["extra"] = {**args["extra"], "body": fields.body}
        record_id = identity.related_id(fields.url, title, args.get("excerpt", ""))
        if record_id in seen:
            warnings.append(f"{prefix}same record as an earlier one ({record_id}): dropped")
            continue
        seen.add(record_id)
        records.append(Article(id=record_id, kind="related", title=title, url=fields.url,
                               sources=(source,), parents=(parent.id,),
                               warnings=tuple(own), **args))
    return records


def _short(value: Any) -> str:
    text = _scalar_text(value)
    if text is None:
        text = type(value).__name__
    return text if len(text) <= 40 else text[:37] + "..."


def _build(ctx: _Context, header: Mapping[Any, Any], body: str, source: str,
           file_name: str, warnings: list[str], position: str | None = None
           ) -> tuple[Article, list[Article]]:
    rest = dict(header)
    related_value = rest.pop("related", None)
    fields = _fields(ctx, rest, "", warnings, file_name=file_name,
                     source=source if file_name else None)
    args = fields.args
    if not body and fields.body:
        body = fields.body
    elif fields.body:
        args["extra"] = {**args["extra"], "body": fields.body}
    title = (fields.title or fold_title(_shown(ctx, _heading(body)))
             or fold_title(_first_sentence(args.get("excerpt", "")))
             or fold_title(_first_line_of(body)) or fold_title(PurePath(file_name).stem)
             or "untitled")
    related_items: list[Any] = []
    if isinstance(related_value, (list, tuple, dict)):
        related_items = list(related_value) if not isinstance(related_value, dict) else [
            related_value]
    elif related_value is not None:
        warnings.append(f"related is not a list or mapping ({_short(related_value)}): "
                        "kept in extra")
        args["extra"] = {**args["extra"], "related": ctx.jsonable(related_value)}
    record_id = identity.article_id(fields.url, source, position)
    stub = Article(id=record_id, kind="article", title=title)
    related = _related(ctx, related_items, stub, source, warnings)
    if ctx.odd_keys:
        shown = ", ".join(repr(k) for k in ctx.odd_keys[:5])
        warnings.append(f"keys that are not text read as text: {shown}")
    article = Article(
        id=record_id, kind="article", title=title, body=body, url=fields.url,
        related=tuple(RelatedRef(r.id, r.title, r.url) for r in related),
        sources=(source,), warnings=tuple(warnings), **args,
    )
    return article, related


def _check_line_lengths(data: bytes, source: str) -> None:
    """Reject a file with a line over MAX_LINE bytes: no article has one, and a
    multi-megabyte line (minified markup, a dump) would only bloat the index."""
    start = line = 0
    while start < len(data):
        end = data.find(b"\n", start)
        if end < 0:
            end = len(data)
        line += 1
        if end - start > MAX_LINE:
            raise ParseError(
                source,
                f"line {line} is {(end - start) / 1024 / 1024:.1f} MiB long, over the "
                f"{MAX_LINE // 1024 // 1024} MiB line limit",
                line,
            )
        start = end + 1


def parse_bytes(data: bytes, source: str, *, file_name: str | None = None) -> ParseResult:
    """Parse one file's bytes; ``source`` names it in records and errors.

    ``file_name`` (default: the last part of ``source``) supplies a Jekyll date
    (``2024-03-05-slug.md``) and the last-resort title. Raises ``ParseError`` for a
    file that cannot become an article and ``SkippedFile`` for binary or empty files.
    """
    name = file_name if file_name is not None else PurePath(source).name
    page = _is_page(data)
    if len(data) > MAX_LINE and not page:  # saved pages have minified lines
        _check_line_lengths(data, source)
    warnings: list[str] = []
    text = decode(data, source, warnings)
    if "\x00" in text:
        warnings.append(f"removed {text.count(chr(0))} NUL character(s)")
        text = text.replace("\x00", "")
    if not text or text.isspace():
        raise SkippedFile(source, "empty file")
    if page:
        from .formats.page import read_page

        article = read_page(text, source, warnings)
        return ParseResult((article,), article.warnings, "html")
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    fmt, header, body, first = _split(text, source, warnings)
    ctx = _Context(markup=True)
    if fmt == "text":
        title = first.lstrip("#").strip() if first and first.startswith("#") else first
        title = fold_title(title or "") or fold_title(PurePath(name).stem) or "untitled"
        record_id = identity.article_id(None, source)
        article = clean(Article(id=record_id, kind="article", title=title, body=body,
                                sources=(source,), warnings=tuple(warnings)))
        return ParseResult((article,), article.warnings, fmt)
    if header is None:
        header = {}
    if not isinstance(header, dict):
        raise ParseError(source, "front matter is not a mapping", 1)
    try:
        article, related = _build(ctx, header, body, source, name, warnings)
    except _Hostile as exc:
        raise ParseError(source, str(exc)) from None
    except RecursionError:
        raise ParseError(source, _TOO_DEEP) from None
    article = clean(article)
    related = [clean(record) for record in related]
    all_warnings = list(article.warnings)
    for record in related:
        all_warnings.extend(record.warnings)
    return ParseResult((article, *related), tuple(all_warnings), fmt)


def _is_page(data: bytes) -> bool:
    """A saved HTML page (:mod:`newsidx.formats.page`), told by its first bytes."""
    if data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] != b"<":
        return False
    from .formats.page import is_page

    return is_page(data)


def parse_mapping(data: Mapping[str, Any], source: str) -> Article:
    """One article from a mapping already read (a dataset item), by the front-matter
    field rules, so a dataset row and a front-matter file with the same keys give the
    same record. A ``related`` key is not followed (kept in ``extra``). Raises
    ParseError(source, reason) for a mapping too deep or too large to read."""
    header = dict(data)
    related = header.pop("related", None)
    ctx = _Context()
    warnings: list[str] = []
    try:
        article, _ = _build(ctx, header, "", source, "", warnings,
                            identity.position_of(data))
        if related is not None:
            extra = {**article.extra, "related": ctx.jsonable(related)}
            article = Article(**{**_shallow(article), "extra": extra})
    except _Hostile as exc:
        raise ParseError(source, str(exc)) from None
    except RecursionError:
        raise ParseError(source, _TOO_DEEP) from None
    return article


def _shallow(article: Article) -> dict[str, Any]:
    return {name: getattr(article, name) for name in Article.__dataclass_fields__}


def _size_text(size: int) -> str:
    return f"{size / _MIB:.1f}".removesuffix(".0")


def parse_file(path: str | os.PathLike[str], *, source: str | None = None,
               max_size: int = DEFAULT_MAX_SIZE) -> ParseResult:
    """Read and parse one file, refusing non-regular and oversized files before reading.

    The size is checked with ``stat`` first and the read is bounded by ``max_size``; the
    file is opened non-blocking, so a FIFO swapped in after the check cannot hang.
    """
    where = os.fspath(path)
    label = source if source is not None else where
    try:
        info = os.stat(where)
    except OSError as exc:
        raise ParseError(label, f"cannot read: {exc.strerror or exc}") from None
    kind = _file_kind(info.st_mode)
    if kind:
        raise SkippedFile(label, f"not a regular file ({kind})")
    if info.st_size > max_size:
        raise ParseError(label, f"file is {_size_text(info.st_size)} MiB, over the "
                                f"{_size_text(max_size)} MiB limit (--max-size)")
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(where, flags)
    except OSError as exc:
        raise ParseError(label, f"cannot read: {exc.strerror or exc}") from None
    try:
        kind = _file_kind(os.fstat(fd).st_mode)
        if kind:
            raise SkippedFile(label, f"not a regular file ({kind})")
        chunks: list[bytes] = []
        total = 0
        while True:
            chunk = os.read(fd, min(max_size + 1 - total, 1 << 20) or 1)
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
            if total > max_size:
                raise ParseError(label, f"file is over the {_size_text(max_size)} MiB limit "
                                        "(--max-size)")
    except OSError as exc:
        raise ParseError(label, f"cannot read: {exc.strerror or exc}") from None
    finally:
        os.close(fd)
    return parse_bytes(b"".join(chunks), label, file_name=PurePath(where).name)


def _file_kind(mode: int) -> str | None:
    if stat.S_ISREG(mode):
        return None
    for test, name in ((stat.S_ISDIR, "directory"), (stat.S_ISFIFO, "FIFO"),
                       (stat.S_ISCHR, "character device"), (stat.S_ISBLK, "block device"),
                       (stat.S_ISSOCK, "socket")):
        if test(mode):
            return name
    return "special file"
