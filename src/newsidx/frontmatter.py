"""Front-matter text → loaded data, bounded against hostile input.

Tells the format from the content (YAML between ``---`` lines, Hugo TOML between ``+++``
lines, a leading JSON object, else plain text) and loads the header with a safe C YAML
loader (YAML 1.2 booleans, numbers and dates kept as written, bounded merges), tomllib or
json. Nesting depth and alias expansion are checked before or while a parser runs, so no
file can crash, hang or exhaust the process; duplicate keys become one warning. Kept apart
from :mod:`newsidx.fieldmap` (data → ``Article``) because this is the only part that
knows a parser.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable, Sequence
from typing import Any, Literal

import yaml
from yaml.constructor import ConstructorError, SafeConstructor

from .errors import ParseError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]

__all__ = ["MAX_DEPTH", "MAX_MERGED_KEYS", "TOO_BIG", "TOO_DEEP", "VALUE_BUDGET", "Format",
           "Hostile", "OddKey", "split"]

MAX_DEPTH = 100
VALUE_BUDGET = 100_000
MAX_MERGED_KEYS = 10_000

Format = Literal["yaml", "toml", "json", "text", "html"]


class Hostile(Exception):
    """Front matter refused before or while loading; the message is the reason."""


TOO_DEEP = f"front matter nested deeper than {MAX_DEPTH} levels"
TOO_BIG = f"front matter expands to more than {VALUE_BUDGET:,} values (YAML aliases?)"

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


class OddKey(str):
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
            raise Hostile(TOO_BIG)

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        """Like PyYAML's, but a key that is not text keeps its source spelling as text.

        So ``1:`` and ``true:`` stay two keys (as ints/bools they would collide) and a
        list key no longer makes the whole file unreadable.
        """
        if not isinstance(node, yaml.MappingNode):
            return super().construct_mapping(node, deep=deep)
        written = list(node.value)
        self.flatten_mapping(node)
        mapping: dict[Any, Any] = {}
        keys: list[Any] = []
        for key_node, value_node in node.value:
            if key_node.tag == _STR_TAG and isinstance(key_node, yaml.ScalarNode):
                key: Any = key_node.value
            else:
                key = self.construct_object(key_node, deep=True)
                if not isinstance(key, str):
                    key = OddKey(_node_text(key_node))
            keys.append(key)
            if value_node.tag == _STR_TAG and isinstance(value_node, yaml.ScalarNode):
                mapping[key] = value_node.value
            else:
                mapping[key] = self.construct_object(value_node, deep=deep)
        if len(mapping) < len(keys):  # a key twice (rare): say which, if the file wrote it
            self._note_duplicates(keys, written)
        return mapping

    def _note_duplicates(self, keys: list[Any], written: list[Any]) -> None:
        """Note the keys a mapping's own pairs give twice; merged pairs come first and
        may be overridden by the mapping's own."""
        own = sum(1 for key_node, _ in written if key_node.tag != _MERGE_TAG)
        seen: set[Any] = set()
        for key in keys[len(keys) - own:]:
            if key in seen:
                self.__dict__.setdefault("duplicate_keys", []).append(str(key))
            seen.add(key)


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
                raise Hostile(TOO_DEEP)
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
                    raise Hostile(TOO_DEEP)
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
    except Hostile as exc:
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
        raise ParseError(source, TOO_DEEP, first_line - 1) from None
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


def split(text: str, source: str, warnings: list[str]
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
            raise ParseError(source, TOO_DEEP, fence_line) from None
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
        raise ParseError(source, TOO_DEEP, fence_line) from None
    except ValueError as exc:
        raise ParseError(source, f"invalid TOML: {_first_line(str(exc))}", fence_line) from None
