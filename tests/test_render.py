"""Renderers: plain text, rich tables on a forced terminal, JSON/JSONL/CSV, safe text."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import datetime, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from newsidx.model import Article, Provider, RelatedRef, clean, from_json
from newsidx.render import (
    CSV_COLUMNS,
    FORMAT_VERSION,
    Hit,
    bar,
    csv_safe,
    human_size,
    query_terms,
    write_counts,
    write_hits,
    write_mapping,
    write_record,
    write_timeline,
)

HOSTILE = "[bold red]x[/] \x1b]0;pwned\x07 \x1b[31mred\u202egnp.exe"


def article(i: int = 1, title: str = "Alibaba backs MiniMax", **kw: object) -> Article:
    fields: dict[str, object] = {
        "id": f"{i:016x}",
        "kind": "article",
        "title": title,
        "excerpt": "An excerpt.",
        "body": "Body text.",
        "published": datetime(2024, 3, 5, 9, 10, tzinfo=timezone.utc),
        "published_raw": "2024-03-05T09:10:00Z",
        "provider": Provider("Benzinga.com", "benzinga.com"),
        "topics": ("AI", "China"),
        "url": f"https://example.com/{i}",
        "sources": (f"/archive/{i}.md",),
    }
    fields.update(kw)
    return Article(**fields)  # type: ignore[arg-type]


def render(hits: list[Hit], fmt: str, **kw: object) -> str:
    out = io.StringIO()
    write_hits(hits, out, fmt=fmt, **kw)  # type: ignore[arg-type]
    return out.getvalue()


def test_plain_search_lines_are_tab_separated_and_stable() -> None:
    hits = [Hit(article(1), 3.5, (("Alibaba ", False), ("MiniMax", True), (" deal", False))),
            Hit(article(2, "Related one", kind="related", published=None), 1.0, "")]
    lines = render(hits, "table", query="MiniMax").splitlines()
    assert lines == [
        "1\t2024-03-05\tbenzinga.com\tarticle\t0000000000000001\tAlibaba backs MiniMax"
        "\tAlibaba MiniMax deal",
        "2\t-\tbenzinga.com\trelated\t0000000000000002\tRelated one\t-",
    ]


def test_plain_list_has_no_rank_or_snippet() -> None:
    assert render([Hit(article(1))], "table", ranked=False) == (
        "2024-03-05\tbenzinga.com\tarticle\t0000000000000001\tAlibaba backs MiniMax\n"
    )


def test_plain_text_never_carries_controls_or_tabs_from_articles() -> None:
    text = render([Hit(article(1, HOSTILE + "\tand\nmore"), 1.0, HOSTILE)], "table")
    assert "\x1b" not in text and "\x07" not in text and "\u202e" not in text
    assert text.count("\n") == 1
    assert text.count("\t") == 6
    assert "[bold red]x[/]" in text


def test_json_envelope_carries_full_records_and_intact_text() -> None:
    hits = [Hit(article(1, HOSTILE), 2.0, (("x", True),)), Hit(article(2), 1.0, "plain")]
    data = json.loads(render(hits, "json", query="q", total=7))
    assert data["newsidx_format"] == FORMAT_VERSION
    assert data["query"] == "q" and data["total"] == 7
    first = data["results"][0]
    assert first["title"] == HOSTILE
    assert (first["rank"], first["score"], first["snippet"]) == (1, 2.0, "x")
    assert from_json(first) == clean(article(1, HOSTILE))  # a read folds the title
    assert data["results"][1]["snippet"] == "plain"


def test_jsonl_is_one_record_per_line() -> None:
    lines = render([Hit(article(i), float(i)) for i in range(3)], "jsonl").splitlines()
    assert [json.loads(line)["id"] for line in lines] == [f"{i:016x}" for i in range(3)]


def test_csv_is_formula_safe_and_otherwise_intact() -> None:
    evil = article(1, "=HYPERLINK(\"http://x\")", excerpt="+1", body="line\r\nbreak",
                   topics=("@a", "b"))
    rows = list(csv.reader(io.StringIO(render([Hit(evil, 1.0, "-snip")], "csv"))))
    assert tuple(rows[0]) == CSV_COLUMNS
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["title"] == "'=HYPERLINK(\"http://x\")"
    assert row["excerpt"] == "'+1"
    assert row["snippet"] == "'-snip"
    assert row["topics"] == "'@a;b"
    assert row["body"] == "line\r\nbreak"
    assert row["provider_domain"] == "benzinga.com"
    assert json.loads(row["sources"]) == ["/archive/1.md"]


@given(st.text())
def test_csv_safe_never_leaves_a_formula_start(value: str) -> None:
    safe = csv_safe(value)
    assert not safe.startswith(("=", "+", "-", "@", "\t", "\r"))
    assert safe in (value, "'" + value)


def test_ids_and_paths_newline_or_nul_separated() -> None:
    hits = [Hit(article(1)), Hit(article(2, sources=("/archive/1.md", "/a/b c.md")))]
    assert render(hits, "ids") == "0000000000000001\n0000000000000002\n"
    assert render(hits, "ids", nul=True) == "0000000000000001\x000000000000000002\x00"
    assert render(hits, "paths", nul=True) == "/archive/1.md\x00/a/b c.md\x00"


@pytest.fixture
def colour(monkeypatch: pytest.MonkeyPatch) -> None:
    """A colour terminal, as people have (conftest sets NO_COLOR and TERM=dumb)."""
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")


@pytest.mark.usefixtures("colour")
def test_tty_table_shows_hostile_titles_literally() -> None:
    out = render([Hit(article(1, HOSTILE), 1.0, HOSTILE)], "table", tty=True, query="other")
    assert "[bold red]x[/]" in out
    assert "pwned" in out
    assert "\x1b]" not in out and "\x07" not in out and "\u202e" not in out
    assert "\x1b[31mred" not in out
    assert "\x1b[" in out  # styled by rich, so the check above means something


@pytest.mark.usefixtures("colour")
def test_tty_table_highlights_terms_and_marks_related() -> None:
    hits = [Hit(article(1), 2.0, (("backs ", False), ("MiniMax", True)),
                title_highlights=((14, 21),)),
            Hit(article(2, "Side story", kind="related"), 1.0, "")]
    out = render(hits, "table", tty=True, query="MiniMax")
    assert "\x1b[" in out  # a real terminal rendering
    assert "\x1b[1;33mMiniMax" in out  # the title's word the index marked
    assert "\x1b[1;2;33mMiniMax" in out  # the snippet's, dim
    assert render(hits, "table", tty=True, query="MiniMax", color=False).count("\x1b") == 0
    assert "(related)" in out and "Side story" in out


def test_query_terms_skip_operators_and_filters() -> None:
    assert query_terms('Alibaba "big deal" OR -x provider:scmp.com title:Zhipu ai*') == [
        "Alibaba", "big", "deal", "x", "Zhipu", "ai"]
    assert query_terms(None) == []


def test_record_text_and_json() -> None:
    main = article(1, related=(RelatedRef("0000000000000002", "Side"),))
    side = article(2, "Side", kind="related", parents=(main.id,))
    out = io.StringIO()
    write_record(main, out, fmt="text", related=[side])
    text = out.getvalue()
    assert "title: Alibaba backs MiniMax" in text
    assert "related: 0000000000000002 Side" in text
    assert text.index("Body text.") < text.index("id: ") < text.index("related: ")  # text first
    out = io.StringIO()
    write_record(side, out, fmt="json", parents=[main])
    data = json.loads(out.getvalue())
    assert data["parent_records"][0]["id"] == main.id
    assert data["newsidx_format"] == FORMAT_VERSION


@pytest.mark.usefixtures("colour")
def test_record_text_strips_controls_from_body_but_keeps_lines() -> None:
    out = io.StringIO()
    write_record(article(1, HOSTILE, body="one\n\x1b[2Jtwo"), out, fmt="text", tty=True)
    text = out.getvalue()
    assert "\x1b[2J" not in text and "\x07" not in text
    assert "one\n[2Jtwo" in re.sub(r"\x1b\[[0-9;]*m", "", text)


def test_counts_in_every_format() -> None:
    rows = [("scmp.com", 3), ("=cmd", 1)]
    for fmt, expected in (("table", "scmp.com\t3\n=cmd\t1\n"),
                          ("csv", "provider,count\nscmp.com,3\n'=cmd,1\n")):
        out = io.StringIO()
        assert write_counts(rows, out, fmt=fmt, name="provider") == 2
        assert out.getvalue() == expected
    out = io.StringIO()
    write_counts(rows, out, fmt="json", name="provider")
    assert json.loads(out.getvalue())["providers"][0] == {"provider": "scmp.com", "count": 3}


def test_bars_scale_to_the_largest_count() -> None:
    assert bar(10, 10, width=5) == "█████"
    assert bar(0, 10) == ""
    assert bar(1, 1000, width=5) == "▏"
    assert len(bar(5, 10, width=10)) == 5


def test_timeline_text_lines() -> None:
    out = io.StringIO()
    write_timeline([("2024-01", 2), ("2024-02", 4)], out, fmt="table", width=4, tty=True)
    assert out.getvalue() == "2024-01  2  ██\n2024-02  4  ████\n"
    piped = io.StringIO()
    write_timeline([("2024-01", 2), ("2024-02", 0)], piped, fmt="table", width=4)
    assert piped.getvalue() == "2024-01\t2\n2024-02\t0\n"


def test_mapping_and_sizes() -> None:
    out = io.StringIO()
    write_mapping({"records": 3, "first_date": None}, out, fmt="text")
    assert out.getvalue() == "records     3\nfirst date  -\n"
    assert human_size(512) == "512 B"
    assert human_size(1536) == "1.5 KiB"
    assert human_size(3 * 1024**3) == "3.0 GiB"
