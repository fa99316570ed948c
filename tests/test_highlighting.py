"""Highlighting and snippets (issue 14, item 7): whole words marked and the snippet taken
from the field that matched best. End to end through real subprocesses."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_workflows import run

from newsidx.analysis import snippet

FILLER = "Ships come and go at the quay every single morning. " * 8


def _md(title: str, body: str, excerpt: str = "", date: str = "2024-03-01") -> str:
    lines = ["---", f"title: {json.dumps(title, ensure_ascii=False)}", f"date: {date}",
             "provider: Port News", "topics: [harbour]"]
    if excerpt:
        lines.append(f"excerpt: {json.dumps(excerpt)}")
    return "\n".join([*lines, "---", "", body, ""])


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("highlighting")
    news = root / "news"
    news.mkdir()
    files = {
        # The excerpt names both words; the body names them far apart: the excerpt wins.
        "excerpt.md": _md("Inquiry report", f"The lighthouse stood. {FILLER} Then Iraq.",
                          excerpt="The Iraq lighthouse inquiry, in full", date="2024-03-02"),
        # The body names both words together; the excerpt one: the body wins.
        "body.md": _md("Second report", "In Iraq the lighthouse keeper waited.",
                       excerpt="A lighthouse story", date="2024-03-03"),
    }
    for name, text in files.items():
        (news / name).write_text(text, encoding="utf-8")
    cat = root / "cat"
    done = run(cat, "ingest", str(news))
    assert done.returncode == 0, done.stderr
    return cat


def _hits(cat: Path, *query: str, fmt: str = "jsonl") -> list[dict[str, object]]:
    done = run(cat, "search", *query, "--format", fmt)
    assert done.returncode == 0, done.stderr
    if fmt == "json":
        return list(json.loads(done.stdout)["results"])
    return [json.loads(line) for line in done.stdout.splitlines()]


# ----------------------------------------------------------------- the snippet's field


def test_snippet_comes_from_the_field_that_matched_best(archive: Path) -> None:
    hits = {h["title"]: h for h in _hits(archive, "iraq", "lighthouse")}
    assert hits["Inquiry report"]["snippet"] == "The Iraq lighthouse inquiry, in full"
    assert hits["Second report"]["snippet"] == "In Iraq the lighthouse keeper waited."


def test_snippet_prefers_distinct_words_then_more_matches() -> None:
    body = "war " * 5 + FILLER + " iraq"
    excerpt = "Iraq and the war"
    assert "".join(t for t, _ in snippet([body, excerpt], stems={"war", "iraq"})) == excerpt
    # One word each: the body's window holds more matches, and the body comes first.
    assert snippet([body, "a war"], stems={"war"})[0] == ("war", True)
    # A tie goes to the earlier text; the title is used only when nothing else matches.
    assert snippet(["a war", "the war"], stems={"war"}) == (("a ", False), ("war", True))
    assert snippet(["peace", "calm"], stems={"war"}, fallback=["war title"]) == (
        ("war", True), (" title", False))
    assert snippet(["war"], stems={"war"}, fallback=["war title"]) == (("war", True),)
    # A word longer than the window: a passage, and nothing marked but the word.
    long = "x" * 30
    segs = snippet([f"a {long} b {long}"], stems={long}, width=10)
    assert segs and all(text == long for text, marked in segs if marked)


def test_snippet_marks_whole_words_only() -> None:
    segs = snippet(["He warns that wars and war go on, warily."], stems={"war"})
    assert [t for t, marked in segs if marked] == ["wars", "war"]
