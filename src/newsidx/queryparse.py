"""The search query language: lexer and recursive-descent parser to an AST.

Grammar (documented for users in docs/search.md)::

    query   := or_expr
    or_expr := and_expr ("OR" and_expr)*
    and_expr:= unary*                      # juxtaposition = AND; "AND" is accepted
    unary   := ("-" | "NOT") unary | primary
    primary := "(" or_expr ")" | term
    term    := [field ":"] ["="] (word | "phrase") ["*"]

Parsing is apart from compiling (:mod:`newsidx.query`) so that what a query means can
be read, hinted at (:mod:`newsidx.queryhints`) and tested without building tantivy
queries. Only unbalanced parentheses and nesting deeper than :data:`MAX_DEPTH` levels
(parentheses and ``NOT``/``-``, counted together) are errors, with an unknown ``kind:``
and an unreadable date. The depth bound keeps the recursive parser and compiler far from
Python's recursion limit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Literal, NamedTuple, Union

from newsidx.analysis import keyword
from newsidx.errors import QueryError
from newsidx.model import KINDS

if TYPE_CHECKING:
    from newsidx.timeparse import Span

FILTER_FIELDS = ("provider", "topic", "kind", "author", "lang", "folder", "story")
DATE_OPS = ("after", "before", "on")
MAX_DEPTH = 100
_FIELD_PREFIX = re.compile(r"^([A-Za-z]+):(.*)$", re.DOTALL)


@dataclass(frozen=True, slots=True)
class Text:
    """Words or a quoted phrase to find in the text fields (or only ``title``)."""

    text: str
    field: str | None = None
    phrase: bool = False
    exact: bool = False
    prefix: bool = False


@dataclass(frozen=True, slots=True)
class Filter:
    """``provider:``, ``topic:``, ``kind:``, ``author:``, ``lang:``, ``folder:`` or ``story:``:
    an exact keyword, case-insensitive (a folder also matches the folders under it)."""

    field: Literal["provider", "topic", "kind", "author", "lang", "folder", "story"]
    value: str


@dataclass(frozen=True, slots=True)
class DateFilter:
    """``after:`` (inclusive), ``before:`` (exclusive) or ``on:`` a date span."""

    op: Literal["after", "before", "on"]
    span: Span
    raw: str


@dataclass(frozen=True, slots=True)
class And:
    items: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Or:
    items: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Not:
    item: Node


Node = Union[Text, Filter, DateFilter, And, Or, Not]  # noqa: UP007 (runtime alias, py3.10)


# --------------------------------------------------------------------------- lexer


class _Tok(NamedTuple):
    kind: Literal["(", ")", "-", "word", "phrase"]
    text: str
    pos: int
    head: str = ""  # "field:" or "=" glued before a quoted phrase


def _lex(text: str) -> list[_Tok]:
    toks: list[_Tok] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c.isspace():
            i += 1
        elif c in "()":
            toks.append(_Tok(c, c, i))  # type: ignore[arg-type]
            i += 1
        elif c == "-" and i + 1 < n and not text[i + 1].isspace() and text[i + 1] != "-":
            toks.append(_Tok("-", c, i))
            i += 1
        elif c == '"':
            end = text.find('"', i + 1)
            end = n if end < 0 else end
            toks.append(_Tok("phrase", text[i + 1 : end], i))
            i = end + 1
        else:
            start = i
            while i < n and not text[i].isspace() and text[i] not in '()"':
                i += 1
            word = text[start:i]
            if i < n and text[i] == '"' and (word.endswith(":") or word == "="):
                end = text.find('"', i + 1)
                end = n if end < 0 else end
                toks.append(_Tok("phrase", text[i + 1 : end], start, head=word))
                i = end + 1
            else:
                toks.append(_Tok("word", word, start))
    return toks


# --------------------------------------------------------------------------- parser


class _Parser:
    def __init__(self, toks: list[_Tok], now: datetime | None) -> None:
        self.toks = toks
        self.i = 0
        self.now = now
        self.depth = 0

    def descend(self, tok: _Tok) -> None:
        """Enter one more level of parentheses or negation; refuse one too many."""
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise QueryError(
                f"query nests deeper than {MAX_DEPTH} levels of parentheses and NOT "
                f"at column {tok.pos + 1}",
                position=tok.pos + 1,
            )

    def peek(self) -> _Tok | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def _is_op(self, tok: _Tok | None, op: str) -> bool:
        return tok is not None and tok.kind == "word" and tok.text == op

    def _ends_group(self, tok: _Tok | None) -> bool:
        return tok is None or tok.kind == ")"

    def parse(self) -> Node:
        node = self.parse_or()
        tok = self.peek()
        if tok is not None:  # only a stray ")" can stop parse_or early
            raise QueryError(
                f"unbalanced parenthesis at column {tok.pos + 1}", position=tok.pos + 1
            )
        return node

    def parse_or(self) -> Node:
        items = [self.parse_and()]
        while self._is_op(self.peek(), "OR"):
            self.i += 1
            if self._ends_group(self.peek()):
                break
            items.append(self.parse_and())
        return items[0] if len(items) == 1 else Or(tuple(items))

    def parse_and(self) -> Node:
        items: list[Node] = []
        while True:
            tok = self.peek()
            if self._ends_group(tok) or (items and self._is_op(tok, "OR")):
                break
            if self._is_op(tok, "AND"):
                self.i += 1
                continue
            node = self.parse_unary()
            if node is not None:
                items.append(node)
        return items[0] if len(items) == 1 else And(tuple(items))

    def parse_unary(self) -> Node | None:
        tok = self.peek()
        assert tok is not None
        if tok.kind == "-" or self._is_op(tok, "NOT"):
            self.i += 1
            nxt = self.peek()
            if self._ends_group(nxt) or self._is_op(nxt, "OR"):
                return None
            self.descend(tok)
            inner = self.parse_unary()
            self.depth -= 1
            return Not(inner) if inner is not None else None
        return self.parse_primary()

    def parse_primary(self) -> Node:
        tok = self.peek()
        assert tok is not None
        self.i += 1
        if tok.kind == "(":
            self.descend(tok)
            node = self.parse_or()
            self.depth -= 1
            close = self.peek()
            if close is None:
                raise QueryError(
                    f"unbalanced parenthesis at column {tok.pos + 1}", position=tok.pos + 1
                )
            self.i += 1
            return node
        if tok.kind == "phrase":
            return self.term(tok.head + '"', tok.text, phrase=True)
        return self.term("", tok.text, phrase=False)

    def term(self, head: str, body: str, *, phrase: bool) -> Node:
        """A word or phrase with its optional ``field:`` and ``=`` markers."""
        raw = head + body
        fld: str | None = None
        if phrase:
            head = head[:-1]
            if head.endswith(":"):
                fld = head[:-1].lower()
                head = ""
        else:
            m = _FIELD_PREFIX.match(body)
            if m and m[2] and m[1].lower() in (*FILTER_FIELDS, *DATE_OPS, "title"):
                fld, body = m[1].lower(), m[2]
        if fld is not None and fld not in (*FILTER_FIELDS, *DATE_OPS, "title"):
            return Text(raw, phrase=False)
        if fld in FILTER_FIELDS:
            from newsidx.fieldterms import value_key
            from newsidx.filters import provider_value

            value = (keyword(provider_value(body)) if fld == "provider"
                     else value_key(fld, body) if fld in ("lang", "folder") else keyword(body))
            if fld == "kind" and value not in KINDS:
                raise QueryError(
                    f"unknown kind {body!r} in {raw!r}: use kind:article or kind:related"
                )
            return Filter(fld, value)  # type: ignore[arg-type]
        if fld in DATE_OPS:
            from newsidx.timeparse import parse_span  # only a date filter needs it

            return DateFilter(fld, parse_span(body, now=self.now), body)  # type: ignore[arg-type]
        exact = head == "=" or (body.startswith("=") and len(body) > 1 and not phrase)
        if exact and not phrase and head != "=":
            body = body[1:]
        prefix = not phrase and body.endswith("*") and body.strip("*") != ""
        if prefix:
            body = body.rstrip("*")
        return Text(body, field=fld, phrase=phrase, exact=exact, prefix=prefix)


def parse(text: str, *, now: datetime | None = None) -> Node | None:
    """The AST of a query string; ``None`` for a blank query (which means everything).

    Raises :class:`QueryError` for unbalanced parentheses, nesting deeper than
    :data:`MAX_DEPTH`, an unknown ``kind:`` or an unreadable date in ``after:``/``before:``/``on:``.
    """
    toks = _lex(text)
    if not toks:
        return None
    return _Parser(toks, now).parse()
