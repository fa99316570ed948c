"""Highlighting and snippets (issue 14, item 7): whole words marked, the snippet taken
from the field that matched best, highlight offsets in JSON hits, and ``--color
auto|always|never`` with ``NO_COLOR``. End to end through real subprocesses, and a
pseudo-terminal for what a terminal gets."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest
from test_workflows import on_terminal, run

from newsidx.analysis import snippet
from newsidx.color import MARK_OFF, MARK_ON, paint, wants_color
from newsidx.hits import split_at

FILLER = "Ships come and go at the quay every single morning. " * 8
ESC = "\x1b"
SGR = re.compile(r"\x1b\[[0-9;]*m")
MARKED = re.compile(re.escape(MARK_ON) + r"(.*?)" + re.escape(MARK_OFF))
COLOUR_TERMINAL = {"TERM": "xterm-256color", "NO_COLOR": ""}


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
        # "warns" must never be marked for the query "war"; "wars" is the same word.
        "words.md": _md("Navy warns of wars: the harbour war", "He warns that the war "
                        "goes on."),
        # The excerpt names both words; the body names them far apart: the excerpt wins.
        "excerpt.md": _md("Inquiry report", f"The lighthouse stood. {FILLER} Then Iraq.",
                          excerpt="The Iraq lighthouse inquiry, in full", date="2024-03-02"),
        # The body names both words together; the excerpt one: the body wins.
        "body.md": _md("Second report", "In Iraq the lighthouse keeper waited.",
                       excerpt="A lighthouse story", date="2024-03-03"),
        # Code points, not bytes or UTF-16 units, before the word.
        "wide.md": _md("Zürich 😀 战争 war diary", "A diary.", date="2024-03-04"),
        # Escape sequences in the text: only newsidx's own codes may reach a terminal.
        "hostile.md": "---\ntitle: \"Harbour \\e]0;pwned\\a war \\e[31mred\\e[0m\"\n"
                      "date: 2024-03-05\n---\n\nThe \x1b]0;pwned\x07war at the "
                      "\x1b[31mred\x1b[0m quay.\n",
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


def _sliced(hit: dict[str, object], field: str) -> list[str]:
    spans = hit["highlights"][field]  # type: ignore[index]
    text = hit[field]
    assert isinstance(text, str) and isinstance(spans, list)
    assert all(0 <= a < b <= len(text) for a, b in spans)
    assert spans == sorted(spans)
    return [text[a:b] for a, b in spans]


# ----------------------------------------------------------------- JSON offsets


@pytest.mark.parametrize("fmt", ["json", "jsonl"])
def test_json_hits_carry_offsets_of_whole_words(archive: Path, fmt: str) -> None:
    hits = _hits(archive, "war", fmt=fmt)
    assert len(hits) == 3
    for hit in hits:
        title, snip = _sliced(hit, "title"), _sliced(hit, "snippet")
        assert title and snip
        assert {w.lower() for w in title + snip} <= {"war", "wars"}
    words = next(h for h in hits if str(h["title"]).startswith("Navy"))
    assert _sliced(words, "title") == ["wars", "war"]  # never the "war" in "warns"
    assert _sliced(words, "snippet") == ["war"]


def test_offsets_count_code_points(archive: Path) -> None:
    hit = _hits(archive, "war", "diary")[0]
    assert hit["title"] == "Zürich 😀 战争 war diary"
    assert hit["highlights"]["title"] == [[12, 15], [16, 21]]  # type: ignore[index]
    assert _sliced(hit, "title") == ["war", "diary"]
    cjk = _hits(archive, "战争")[0]
    assert _sliced(cjk, "title") == ["战争"]


def test_listings_and_exports_carry_no_highlights(archive: Path) -> None:
    listed = run(archive, "list", "--format", "jsonl").stdout.splitlines()
    assert listed and all("highlights" not in json.loads(line) for line in listed)
    exported = run(archive, "export", "--format", "jsonl").stdout.splitlines()
    assert exported and all("highlights" not in json.loads(line) for line in exported)


def test_search_output_reads_back_as_records(archive: Path, tmp_path: Path) -> None:
    out = tmp_path / "hits.jsonl"
    out.write_text(run(archive, "search", "war", "--format", "jsonl").stdout)
    done = run(tmp_path / "copy", "ingest", "--from-jsonl", str(out))
    assert done.returncode == 0, done.stderr
    assert run(tmp_path / "copy", "count").stdout.strip() == "3"


def test_terminal_table_marks_whole_words(archive: Path) -> None:
    code, out, err = on_terminal(archive, "search", "war", env=COLOUR_TERMINAL)
    assert code == 0, err
    marked = re.findall(r"\x1b\[[0-9;]*33m(\w+)\x1b\[0m", out)
    assert {"wars", "war"} <= set(marked) and {w.lower() for w in marked} <= {"war", "wars"}
    assert "warns" in SGR.sub("", out)


# ----------------------------------------------------------------- the snippet's field


def test_snippet_comes_from_the_field_that_matched_best(archive: Path) -> None:
    hits = {h["title"]: h for h in _hits(archive, "iraq", "lighthouse")}
    from_excerpt = hits["Inquiry report"]
    assert from_excerpt["snippet"] == "The Iraq lighthouse inquiry, in full"
    assert _sliced(from_excerpt, "snippet") == ["Iraq", "lighthouse"]
    from_body = hits["Second report"]
    assert from_body["snippet"] == "In Iraq the lighthouse keeper waited."
    assert _sliced(from_body, "snippet") == ["Iraq", "lighthouse"]


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


# ----------------------------------------------------------------- --color


def test_color_always_piped_marks_the_matched_words(archive: Path) -> None:
    done = run(archive, "search", "war", "--color", "always")
    assert done.returncode == 0, done.stderr
    rows = [line.split("\t") for line in done.stdout.splitlines()]
    titles = {SGR.sub("", row[5]): MARKED.findall(row[5]) for row in rows}
    assert titles["Navy warns of wars: the harbour war"] == ["wars", "war"]
    assert all(w.lower() in ("war", "wars") for row in rows for w in MARKED.findall(row[6]))
    assert SGR.sub("", done.stdout) == run(archive, "search", "war").stdout  # only colour added
    for choice in ("auto", "never"):
        assert ESC not in run(archive, "search", "war", "--color", choice).stdout
    shown = run(archive, "show", _hits(archive, "warns")[0]["id"], "--query",  # type: ignore[arg-type]
                "war", "--color", "always")
    assert set(MARKED.findall(shown.stdout)) == {"wars", "war"}


_SCORE = re.compile(r'("score": ?)-?[0-9][0-9.e+-]*|^([0-9]+,)-?[0-9][0-9.e+-]*,', re.M)


def _scoreless(text: str) -> str:
    """``text`` with JSON and CSV scores blanked: the recency boost counts from the
    moment of the search, so two runs a second apart may differ in the last digits."""
    return _SCORE.sub(lambda m: (m[1] or m[2]) + "_" + ("" if m[1] else ","), text)


@pytest.mark.parametrize("fmt", ["json", "jsonl", "csv", "ids", "paths"])
def test_color_always_never_colours_formats_for_programs(archive: Path, fmt: str) -> None:
    done = run(archive, "search", "war", "--format", fmt, "--color", "always")
    assert done.returncode == 0, done.stderr
    plain = run(archive, "search", "war", "--format", fmt).stdout
    assert _scoreless(done.stdout) == _scoreless(plain)
    assert MARK_ON not in done.stdout
    if fmt == "csv":
        assert len(list(csv.reader(io.StringIO(done.stdout)))) == 4


def test_color_auto_on_a_terminal_and_no_color(archive: Path) -> None:
    code, out, err = on_terminal(archive, "search", "war", env=COLOUR_TERMINAL)
    assert code == 0, err
    marked = re.findall(r"\x1b\[1;33m(\w+)\x1b\[0m", out)
    assert marked and {w.lower() for w in marked} <= {"war", "wars"}  # never "warns"
    for env in ({**COLOUR_TERMINAL, "NO_COLOR": "1"}, {"TERM": "dumb", "NO_COLOR": ""}):
        code, plain, _ = on_terminal(archive, "search", "war", env=env)
        assert code == 0 and ESC not in plain and "warns" in plain
    code, never, _ = on_terminal(archive, "search", "war", "--color", "never",
                                 env=COLOUR_TERMINAL)
    assert code == 0 and ESC not in never and "warns" in never
    code, forced, _ = on_terminal(archive, "search", "war", "--color", "always",
                                  env={"TERM": "dumb", "NO_COLOR": "1"})
    assert code == 0 and re.search(r"\x1b\[1;33mwars?\x1b\[0m", forced)


@pytest.mark.slow
@pytest.mark.parametrize("command", [
    ["search", "war"], ["list"], ["count", "war", "--by", "provider"], ["providers"],
    ["topics", "war"], ["timeline"], ["stats"], ["show", "REF", "--no-pager", "--query", "war"],
])
def test_every_result_command_takes_color(archive: Path, command: list[str]) -> None:
    ref = str(_hits(archive, "warns")[0]["id"])
    command = [ref if arg == "REF" else arg for arg in command]
    for choice in ("never", "always", "auto"):
        piped = run(archive, *command, "--color", choice)
        assert piped.returncode == 0, piped.stderr
        assert (ESC in piped.stdout) == (choice == "always" and command[0] in ("search",
                                                                               "show"))
    code, out, err = on_terminal(archive, *command, "--color", "never", env=COLOUR_TERMINAL)
    assert code == 0 and ESC not in out, err
    if command[0] not in ("timeline", "stats"):  # they have no colour to give
        code, out, err = on_terminal(archive, *command, env=COLOUR_TERMINAL)
        assert code == 0 and "\x1b[" in out, err


def test_only_newsidx_codes_reach_the_terminal(archive: Path) -> None:
    piped = run(archive, "search", "war", "--color", "always").stdout
    assert ESC not in MARKED.sub(r"\1", piped) and "pwned" in piped
    code, out, _ = on_terminal(archive, "search", "war", env=COLOUR_TERMINAL)
    assert code == 0 and "\x1b[" in out
    assert ESC not in SGR.sub("", out) and "\x1b[31mred" not in out and "\x07" not in out
    ref = _hits(archive, "pwned")[0]["id"]
    code, shown, _ = on_terminal(archive, "show", str(ref), "--no-pager", "--query", "war",
                                 env=COLOUR_TERMINAL)
    assert code == 0 and "pwned" in shown
    assert ESC not in SGR.sub("", shown) and "\x1b[31mred" not in shown


def test_color_choices_and_painting() -> None:
    piped = io.StringIO()
    assert wants_color("always", piped) and not wants_color("auto", piped)
    assert not wants_color("never", piped)
    with pytest.raises(ValueError):
        wants_color("sometimes", piped)
    assert paint(split_at("a war b", [(2, 5)])) == f"a {MARK_ON}war{MARK_OFF} b"
    assert split_at("abc", [(2, 9), (1, 0)]) == [("abc", False)]  # never a wrong mark


def test_show_query_marks_cjk_words_too(archive: Path) -> None:
    ref = str(_hits(archive, "diary")[0]["id"])
    shown = run(archive, "show", ref, "--query", "战争 war", "--color", "always")
    assert shown.returncode == 0, shown.stderr
    assert MARKED.findall(shown.stdout) == ["战争", "war"]
    code, out, err = on_terminal(archive, "show", ref, "--no-pager", "--query", "战争",
                                 env=COLOUR_TERMINAL)
    assert code == 0 and re.search(r"\x1b\[[0-9;]*33m战争\x1b\[0m", out), err
