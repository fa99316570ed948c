"""A query's AST compiled to a tantivy query, with how it was understood and what to
highlight; the request-level filters (keywords, date ranges) too.

User text never reaches tantivy's query parser: every word goes through the same
analyzer as the index, so punctuation is plain text. A word that analyzes to nothing
is dropped, and a query left with nothing matches nothing. The language itself (lexer,
parser, AST) lives in :mod:`newsidx.queryparse`; its names stay importable from here,
the long-standing path (``from newsidx.query import parse, Text``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from datetime import datetime, timezone
from typing import NamedTuple

import tantivy

from newsidx.analysis import EXACT, STEMMED, bigrams, cjk_runs, keyword, nfc
from newsidx.analysis import analyze as _analyze
from newsidx.errors import QueryError
from newsidx.queryparse import (
    DATE_OPS,
    FILTER_FIELDS,
    MAX_DEPTH,
    And,
    DateFilter,
    Filter,
    Node,
    Not,
    Or,
    Text,
    parse,
)

__all__ = [
    "CJK_SUFFIX", "DATE_MAX", "DATE_MIN", "DATE_OPS", "EXACT_FIELDS", "EXACT_SUFFIX",
    "FIELD_BOOSTS", "FILTER_FIELDS", "MAX_DEPTH", "And", "Compiled", "DateFilter", "Filter",
    "Highlights", "Node", "Not", "Or", "QueryError", "Text", "build", "compile_query", "date_range",
    "describe_filters", "keyword_filter", "parse",
]

FIELD_BOOSTS: dict[str, float] = {"title": 3.0, "excerpt": 1.5, "body": 1.0}
EXACT_SUFFIX = "_x"
EXACT_FIELDS = ("title", "excerpt")
"""The fields that also hold unstemmed words (``title_x``, ``excerpt_x``) for ``=word``
and ``prefix*``. Bodies hold stemmed words only: an unstemmed copy of every body halved
the indexing rate, so in bodies ``=word`` matches every form of the word and
``prefix*`` matches stems that begin with the prefix or with its stem."""
CJK_SUFFIX = "_cjk"


class Highlights:
    """The terms of a query's positive words, to highlight them in snippets."""

    __slots__ = ("cjk", "exact", "prefixes", "stems")

    def __init__(self) -> None:
        self.stems: set[str] = set()
        self.exact: set[str] = set()
        self.prefixes: set[str] = set()
        self.cjk: set[str] = set()

    def __bool__(self) -> bool:
        return bool(self.stems or self.exact or self.prefixes or self.cjk)


class Compiled(NamedTuple):
    """A query ready for tantivy, with how it was understood and what to highlight."""

    query: tantivy.Query
    understood: str
    highlights: Highlights
    matches_nothing: bool = False


def _words(tokens: list[str]) -> list[str | tuple[int, str]]:
    return list(tokens)


def _fields(fld: str | None, suffix: str) -> list[tuple[str, float]]:
    names = [fld] if fld else list(FIELD_BOOSTS)
    return [(n + suffix, FIELD_BOOSTS[n]) for n in names]


def _split_fields(fld: str | None) -> list[tuple[str, float, bool]]:
    """Fields for an unstemmed word: ``(name, boost, holds unstemmed words)``; the
    ``_x`` copy where there is one, else the stemmed field (see EXACT_FIELDS)."""
    names = [fld] if fld else list(FIELD_BOOSTS)
    return [(n + EXACT_SUFFIX, FIELD_BOOSTS[n], True) if n in EXACT_FIELDS
            else (n, FIELD_BOOSTS[n], False) for n in names]


def _any_field(queries: list[tuple[tantivy.Query, float]]) -> tantivy.Query:
    if len(queries) == 1:
        return queries[0][0]
    return tantivy.Query.boolean_query(
        [(tantivy.Occur.Should, tantivy.Query.boost_query(q, b)) for q, b in queries]
    )


def _all(parts: list[tantivy.Query]) -> tantivy.Query:
    if len(parts) == 1:
        return parts[0]
    return tantivy.Query.boolean_query([(tantivy.Occur.Must, p) for p in parts])


def keyword_filter(schema: tantivy.Schema, fld: str, values: Iterable[str]) -> tantivy.Query:
    """Records whose keyword field ``fld`` holds any of ``values`` (case-insensitive)."""
    terms = sorted({keyword(v) for v in values})
    if len(terms) == 1:
        return tantivy.Query.term_query(schema, fld, terms[0])
    return tantivy.Query.term_set_query(schema, fld, terms)


DATE_MIN = datetime(1677, 9, 22, tzinfo=timezone.utc)
DATE_MAX = datetime(2262, 4, 11, tzinfo=timezone.utc)
_I64_MIN, _I64_MAX = -(2**63), 2**63 - 1


def date_range(
    schema: tantivy.Schema,
    start: datetime | None,
    end: datetime | None,
    *,
    end_inclusive: bool = False,
) -> tantivy.Query:
    """Dated records published in ``[start, end)`` (either side open when ``None``).

    Ranges run over ``t_old``, the publication instant in whole epoch seconds, which
    holds every year from 1 to 9999 exactly (tantivy's date field stops at 1677-2262);
    undated records carry ``t_old`` = i64 max and so never fall in a range.
    """
    if start is None and end is None:
        return tantivy.Query.all_query()
    lower = _I64_MIN if start is None else math.floor(start.timestamp())
    upper = _I64_MAX if end is None else math.floor(end.timestamp())
    return tantivy.Query.range_query(
        schema,
        "t_old",
        tantivy.FieldType.Integer,
        lower,
        upper,
        include_lower=True,
        include_upper=end is not None and end_inclusive,
    )


class _Compiler:
    def __init__(self, schema: tantivy.Schema) -> None:
        self.schema = schema
        self.highlights = Highlights()

    def _prefix(self, node: Text, toks: list[str]) -> tantivy.Query:
        """``word*`` (or ``"a b*"``): unstemmed words where a field has them, else stems
        that begin with the prefix or with the prefix's own stem."""
        s = self.schema
        stems = _analyze(node.text, STEMMED)
        subs: list[tuple[tantivy.Query, float]] = []
        for f, b, exact in _split_fields(node.field):
            words = toks if exact or len(stems) != len(toks) else stems
            if len(words) == 1:
                heads = sorted({re.escape(toks[0]), re.escape(words[0])})
                pat = "(?:" + "|".join(heads) + ").*"
                subs.append((tantivy.Query.regex_query(s, f, pat), b))
            else:
                subs.append((tantivy.Query.phrase_prefix_query(s, f, _words(words)), b))
        return _any_field(subs)

    def _words(self, node: Text, toks: list[str]) -> tantivy.Query:
        """A word or phrase; ``=word`` unstemmed where a field has unstemmed words."""
        s = self.schema
        if node.exact:
            stems = _analyze(node.text, STEMMED)
            targets = _split_fields(node.field)
        else:
            stems = toks
            targets = [(f, b, False) for f, b in _fields(node.field, "")]
        subs: list[tuple[tantivy.Query, float]] = []
        for f, b, exact in targets:
            words = toks if exact else stems
            if not words:
                continue
            if len(words) == 1:
                subs.append((tantivy.Query.term_query(s, f, words[0]), b))
            else:
                subs.append((tantivy.Query.phrase_query(s, f, _words(words)), b))
        return _any_field(subs)

    def text(self, node: Text, positive: bool) -> tuple[tantivy.Query | None, str]:
        """One word or phrase; ``None`` when it analyzes to nothing."""
        s = self.schema
        parts: list[tantivy.Query] = []
        shown: list[str] = []
        where = f"{node.field}:" if node.field else ""
        if node.prefix:
            toks = _analyze(node.text, EXACT)
            # a prefix applies to the last Latin token only when the word ends with it
            if toks and not cjk_runs(node.text[-1:]):
                parts.append(self._prefix(node, toks))
                shown.append(f"{where}{' '.join(toks)}*")
                if positive:
                    self.highlights.prefixes.add(toks[-1])
                    self.highlights.exact.update(toks[:-1])
        else:
            toks = _analyze(node.text, EXACT if node.exact else STEMMED)
            if toks:
                parts.append(self._words(node, toks))
                mark = "=" if node.exact else ""
                body = toks[0] if len(toks) == 1 else '"' + " ".join(toks) + '"'
                shown.append(f"{where}{mark}{body}")
                if positive:
                    (self.highlights.exact if node.exact else self.highlights.stems).update(toks)
        for run in cjk_runs(nfc(node.text)):
            grams = bigrams(run)
            fields = _fields(node.field, CJK_SUFFIX)
            if len(run) == 1:
                pat = ".?" + re.escape(run) + ".?"
                subs = [(tantivy.Query.regex_query(s, f, pat), b) for f, b in fields]
            elif len(grams) == 1:
                subs = [(tantivy.Query.term_query(s, f, grams[0]), b) for f, b in fields]
            else:
                subs = [(tantivy.Query.phrase_query(s, f, _words(grams)), b) for f, b in fields]
            parts.append(_any_field(subs))
            shown.append(f"{where}{run}[{' '.join(grams)}]")
            if positive:
                self.highlights.cjk.add(run)
        if not parts:
            return None, ""
        return _all(parts), " ".join(shown)

    def node(self, node: Node, positive: bool = True) -> tuple[tantivy.Query | None, str]:
        s = self.schema
        if isinstance(node, Text):
            return self.text(node, positive)
        if isinstance(node, Filter):
            q = tantivy.Query.term_query(s, node.field, node.value)
            return tantivy.Query.const_score_query(q, 0.0), f"{node.field}:{node.value}"
        if isinstance(node, DateFilter):
            span = node.span
            if node.op == "after":
                q = date_range(s, span.start, None)
                shown = f"published >= {_iso(span.start)}"
            elif node.op == "before":
                q = date_range(s, None, span.start)
                shown = f"published < {_iso(span.start)}"
            else:
                q = date_range(s, span.start, span.end, end_inclusive=span.start == span.end)
                shown = f"{_iso(span.start)} <= published < {_iso(span.end)}"
            return tantivy.Query.const_score_query(q, 0.0), shown
        if isinstance(node, Not):
            inner, shown = self.node(node.item, not positive)
            if inner is None:
                return None, ""
            q = tantivy.Query.boolean_query(
                [(tantivy.Occur.Must, tantivy.Query.all_query()), (tantivy.Occur.MustNot, inner)]
            )
            return q, f"NOT {shown}"
        if isinstance(node, Or):
            subs = [self.node(item, positive) for item in node.items]
            kept = [(q, t) for q, t in subs if q is not None]
            if not kept:
                return None, ""
            if len(kept) == 1:
                return kept[0]
            q = tantivy.Query.boolean_query([(tantivy.Occur.Should, q) for q, _ in kept])
            return q, "(" + " OR ".join(t for _, t in kept) + ")"
        return self.conj(node, positive)

    def conj(self, node: And, positive: bool) -> tuple[tantivy.Query | None, str]:
        clauses: list[tuple[tantivy.Occur, tantivy.Query]] = []
        shown: list[str] = []
        for item in node.items:
            if isinstance(item, Not):
                inner, text = self.node(item.item, not positive)
                if inner is not None:
                    clauses.append((tantivy.Occur.MustNot, inner))
                    shown.append(f"NOT {text}")
                continue
            q, text = self.node(item, positive)
            if q is not None:
                clauses.append((tantivy.Occur.Must, q))
                shown.append(text)
        if not clauses:
            return None, ""
        if all(occ == tantivy.Occur.MustNot for occ, _ in clauses):
            clauses.insert(0, (tantivy.Occur.Must, tantivy.Query.all_query()))
        if len(clauses) == 1:
            return clauses[0][1], shown[0]
        return tantivy.Query.boolean_query(clauses), "(" + " AND ".join(shown) + ")"


def _iso(value: datetime) -> str:
    text = value.isoformat()
    return text[:10] if text[10:] in ("T00:00:00+00:00", "") else text.replace("+00:00", "Z")


def compile_query(node: Node | None, schema: tantivy.Schema) -> Compiled:
    """The tantivy query for an AST; ``None`` (blank query) matches every record."""
    if node is None:
        return Compiled(tantivy.Query.all_query(), "everything", Highlights())
    compiler = _Compiler(schema)
    q, shown = compiler.node(node)
    if q is None:
        return Compiled(
            tantivy.Query.empty_query(), "nothing (no searchable words)", Highlights(), True
        )
    if shown.startswith("(") and shown.endswith(")") and isinstance(node, And):
        shown = shown[1:-1]
    return Compiled(q, shown, compiler.highlights)


def build(text: str, schema: tantivy.Schema, *, now: datetime | None = None) -> Compiled:
    """Parse and compile a query string in one step."""
    return compile_query(parse(text, now=now), schema)


def describe_filters(parts: Sequence[str]) -> str:
    """Join the descriptions of request-level filters for ``understood``."""
    return " AND ".join(p for p in parts if p)
