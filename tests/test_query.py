"""The query language: lexing, parsing to an AST, and compiling without surprises."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest
import tantivy
from heldindex import HeldIndex
from hypothesis import given, settings
from hypothesis import strategies as st

from newsidx.errors import QueryError
from newsidx.indexdoc import schema
from newsidx.query import And, DateFilter, Filter, Not, Or, Text, build, parse

NOW = datetime(2024, 3, 31, 12, tzinfo=timezone.utc)
SCHEMA = schema()


def test_words_are_anded() -> None:
    assert parse("alibaba minimax") == And((Text("alibaba"), Text("minimax")))


def test_or_binds_looser_than_and() -> None:
    assert parse("a b OR c") == Or((And((Text("a"), Text("b"))), Text("c")))


def test_lowercase_or_is_a_word() -> None:
    assert parse("a or b") == And((Text("a"), Text("or"), Text("b")))


def test_negation_forms() -> None:
    assert parse("a -b NOT c") == And((Text("a"), Not(Text("b")), Not(Text("c"))))


def test_phrase_prefix_exact_and_title() -> None:
    node = parse('"big deal" inv* =Alibaba title:AI title:"new model"')
    assert node == And(
        (
            Text("big deal", phrase=True),
            Text("inv", prefix=True),
            Text("Alibaba", exact=True),
            Text("AI", field="title"),
            Text("new model", field="title", phrase=True),
        )
    )


def test_filters_are_case_insensitive() -> None:
    assert parse("provider:SCMP.com topic:AI kind:related") == And(
        (Filter("provider", "scmp.com"), Filter("topic", "ai"), Filter("kind", "related"))
    )
    assert parse('provider:"Business  Times"') == Filter("provider", "business times")


def test_date_filters_cover_partial_dates() -> None:
    node = parse("on:2024-03", now=NOW)
    assert isinstance(node, DateFilter)
    assert node.span.start == datetime(2024, 3, 1, tzinfo=timezone.utc)
    assert node.span.end == datetime(2024, 4, 1, tzinfo=timezone.utc)


def test_unknown_field_prefix_is_text() -> None:
    assert parse("a:b") == Text("a:b")
    assert build("a:b", SCHEMA).understood == '"a b"'


@pytest.mark.parametrize(
    ("text", "understood"),
    [
        ("Alibaba's", '"alibaba s"'),
        ("MiniMax-01", '"minimax 01"'),
        ("C.AI", '"c ai"'),
        ("US$2.5", '"us 2 5"'),
        ('Alibaba "', "alibaba"),
        ("Running", "run"),
        ("Zürich", "zurich"),
    ],
)
def test_punctuation_is_text(text: str, understood: str) -> None:
    assert build(text, SCHEMA).understood == understood


@pytest.mark.parametrize("text", ['"', "!!!", "- -- ?", "()", "OR", "NOT"])
def test_queries_of_nothing_match_nothing(text: str) -> None:
    compiled = build(text, SCHEMA)
    assert compiled.matches_nothing or compiled.understood == "or"


def test_blank_query_is_everything() -> None:
    assert parse("   ") is None
    assert build("", SCHEMA).understood == "everything"


@pytest.mark.parametrize(("text", "column"), [("(a b", 1), ("a b)", 4), ("x (a (b) c", 3)])
def test_unbalanced_parenthesis(text: str, column: int) -> None:
    with pytest.raises(QueryError, match=f"unbalanced parenthesis at column {column}") as info:
        parse(text)
    assert info.value.position == column


def test_bad_kind_and_bad_date_are_query_errors() -> None:
    with pytest.raises(QueryError, match="unknown kind 'blog'"):
        parse("kind:blog")
    with pytest.raises(QueryError, match="unreadable date 'soon'"):
        parse("after:soon")


def test_understood_shows_cjk_bigrams_and_filters() -> None:
    text = build("阿里巴巴 provider:scmp.com -after:2024", SCHEMA, now=NOW).understood
    assert text == "阿里巴巴[阿里 里巴 巴巴] AND provider:scmp.com AND NOT published >= 2024-01-01"


def test_negated_words_are_not_highlighted() -> None:
    compiled = build("dogs -cats", SCHEMA)
    assert compiled.highlights.stems == {"dog"}


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_characters="()"), max_size=60))
def test_any_text_without_parentheses_compiles(text: str) -> None:
    """Free text never raises unless it uses a filter field with a bad value."""
    try:
        compiled = build(text, SCHEMA, now=NOW)
    except QueryError as exc:
        assert any(f in text.lower() for f in ("kind:", "after:", "before:", "on:")), exc
        return
    assert isinstance(compiled.query, tantivy.Query)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet='ab ()-"*:=OR', max_size=30))
def test_operators_only_raise_query_errors(text: str) -> None:
    try:
        build(text, SCHEMA, now=NOW)
    except QueryError as exc:
        assert "unbalanced parenthesis" in str(exc)
        assert exc.position is not None and text[exc.position - 1] in "()"


def test_lone_surrogates_from_undecodable_argv_are_plain_text() -> None:
    compiled = build("\udcff caf\udce9 dog", SCHEMA, now=NOW)
    assert compiled.highlights.stems == {"dog", "caf"}
    assert build("\ud800", SCHEMA, now=NOW).understood.startswith("nothing")


@pytest.mark.parametrize("text", ["after:1500", "before:9999", "on:2300", "after:0001-01-01",
                                  "before:1000 x", "on:9999-12-31"])
def test_dates_outside_the_index_span_are_exact(tmp_path: Path, text: str) -> None:
    """Query dates beyond tantivy's 1677-2262 date field filter exactly, without error."""
    from datetime import datetime, timezone

    from newsidx.index import SearchRequest
    from newsidx.model import Article, make_id

    far = Article(id=make_id(url="https://x.org/far"), kind="article", title="x far",
                  published=datetime(9999, 12, 31, tzinfo=timezone.utc))
    old = Article(id=make_id(url="https://x.org/old"), kind="article", title="x old",
                  published=datetime(1, 1, 1, tzinfo=timezone.utc))
    index = HeldIndex(tmp_path / "index")
    index.rebuild([far, old], 1)
    found = {h.record.id for h in index.search(SearchRequest(text=text)).hits}
    expected = {
        "after:1500": {far.id}, "before:9999": {old.id}, "on:2300": set(),
        "after:0001-01-01": {far.id, old.id}, "before:1000 x": {old.id},
        "on:9999-12-31": {far.id},
    }[text]
    assert found == expected
