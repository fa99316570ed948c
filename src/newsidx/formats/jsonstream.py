"""JSON Lines and JSON array items from a byte stream, one bounded buffer at a time.

JSON Lines are read line by line; a JSON array item by item with
``json.JSONDecoder.raw_decode`` over a buffer of at most about ``max_size`` (the
per-article limit) plus one read. An item over the limit is passed over without being
decoded (its brackets and strings followed through the stream) and fails alone as
``path:line: item over the N-byte size limit``; a syntax error in an array ends the
reading, as nothing after it can be trusted. Each item comes as ``(where, line,
value or ParseError)``, ``where`` being ``{"source_line": n}`` or ``{"source_index": i}``.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Iterator
from typing import IO, Any

from newsidx.errors import ParseError

_CHUNK = 1024 * 1024
_STRUCTURE = re.compile(r'["{}\[\]]')  # what changes the depth outside a string
_IN_STRING = re.compile(r'["\\]')  # what ends a string or escapes the next character


class _Oversized(Exception):
    """An array item over the size limit, passed over."""


_Item = tuple[dict[str, int], int, Any]


def jsonl_items(stream: IO[bytes], path: str, max_size: int) -> Iterator[_Item]:
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
                    self.skip_value()
                    raise _Oversized from None
                if not at_end or not self.fill():
                    line = self.line + self.buf.count("\n", self.pos, exc.pos)
                    raise ParseError(self.path, f"not JSON: {exc.msg}; the rest of the array "
                                     "is not read", line) from None
                continue
            if end == len(self.buf) and self.fill():
                continue  # a number or literal may go on in the next chunk
            start = self.pos
            self.advance(end)
            if end - start > self.max_size:  # whole in the buffer, still over the limit
                raise _Oversized
            return value


    def skip_value(self) -> None:
        """Pass over the object, array or string at ``pos`` without decoding it, reading
        on chunk by chunk (the buffer holds one chunk beyond ``pos``)."""
        depth, in_string, i = 0, False, self.pos
        while True:
            found = (_IN_STRING if in_string else _STRUCTURE).search(self.buf, i)
            if found is None or (found.group() == "\\" and found.end() == len(self.buf)):
                self.advance(found.start() if found else len(self.buf))
                if not self.fill():
                    raise ParseError(self.path, "item over the size limit never ends; the "
                                     "rest of the array is not read", self.line)
                i = self.pos
                continue
            mark, i = found.group(), found.end()
            if mark == "\\":
                i += 1  # the escaped character, whatever it is
            elif mark == '"':
                in_string = not in_string
                if not in_string and depth == 0:
                    break
            elif mark in "{[":
                depth += 1
            else:
                depth -= 1
                if depth == 0:
                    break
        self.advance(i)


def array_items(stream: IO[bytes], path: str, max_size: int) -> Iterator[_Item]:
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
            except _Oversized:
                yield {}, line, ParseError(path, f"item over the {max_size:,}-byte size limit",
                                           line)
            else:
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
