"""Issue 16, item 4: titles and excerpts stored as a reader sees them, found by the title
typed with a straight apostrophe; ``show`` prints the body's text, ``show --raw`` the body
as written."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import clirun
from ptyrun import run_on_pty

from newsidx.api import Archive
from newsidx.parse import parse_bytes

POST = (b'---\ntitle: "NARA&#8217;s DocsTeach &amp; <em>the</em> Archives"\n'
        b'description: "Primary sources &amp; <b>lessons</b> from [NARA](https://nara.example/)"\n'
        b"---\n## Teaching with documents\n\n"
        b"The <b>DocsTeach</b> site &amp; its [activities](https://docsteach.example/) "
        b"help teachers.\n")


def _newsidx(*args: str, catalogue: Path) -> clirun.Done:
    return clirun.newsidx(*args, catalogue=catalogue, timeout=300)


def test_title_and_excerpt_are_decoded_and_the_body_kept_as_written() -> None:
    record = parse_bytes(POST, "nara.md").records[0]
    assert record.title == "NARA\u2019s DocsTeach & the Archives"
    assert record.excerpt == "Primary sources & lessons from NARA"
    assert record.body.startswith("## Teaching with documents")
    assert "&amp;" in record.body and "<b>DocsTeach</b>" in record.body


def test_a_title_from_the_first_heading_is_decoded_too() -> None:
    record = parse_bytes(b"---\nauthor: A\n---\n# Caf&eacute; <i>news</i>\n\nText.\n",
                         "cafe.md").records[0]
    assert record.title == "Caf\u00e9 news"


def test_plain_text_titles_and_literal_brackets_stay() -> None:
    record = parse_bytes(b"---\ntitle: Why 3 < 5 & 7 > 2\n---\nx", "m.md").records[0]
    assert record.title == "Why 3 < 5 & 7 > 2"
    text = parse_bytes(b"Fish &amp; Chips\n\nA plain text file.\n", "plain.txt").records[0]
    assert text.title == "Fish &amp; Chips"  # plain text is not markup: kept as written


def test_show_list_and_search_with_a_straight_apostrophe(tmp_path: Path) -> None:
    site, catalogue = tmp_path / "site", tmp_path / "cat"
    site.mkdir()
    (site / "nara.md").write_bytes(POST)
    (site / "other.md").write_bytes(b"---\ntitle: Unrelated\n---\nNothing to see.\n")
    assert _newsidx("ingest", str(site), catalogue=catalogue).returncode == 0
    archive = Archive(catalogue)
    for query in ('"NARA\'s DocsTeach"', "NARA's DocsTeach", "NARA\u2019s"):
        hits = archive.search(query).hits
        assert [h.record.title for h in hits] == ["NARA\u2019s DocsTeach & the Archives"], query
    found = _newsidx("search", "\"NARA's DocsTeach\"", "--format", "json",
                     catalogue=catalogue)
    assert found.returncode == 0, found.stderr
    assert "NARA\u2019s DocsTeach & the Archives" in found.stdout
    listed = _newsidx("list", catalogue=catalogue)
    assert "NARA\u2019s DocsTeach & the Archives" in listed.stdout
    assert "&#8217;" not in listed.stdout

    record_id = next(r.id for r in archive.export() if r.title.startswith("NARA"))
    shown = _newsidx("show", record_id, catalogue=catalogue)
    assert shown.returncode == 0, shown.stderr
    assert "The DocsTeach site & its activities help teachers." in shown.stdout
    assert "<b>" not in shown.stdout and "](" not in shown.stdout and "## " not in shown.stdout
    raw = _newsidx("show", record_id, "--raw", catalogue=catalogue)
    assert "The <b>DocsTeach</b> site &amp; its [activities](https://docsteach.example/)" in (
        raw.stdout)
    assert "## Teaching with documents" in raw.stdout
    data = json.loads(_newsidx("show", record_id, "--format", "json",
                               catalogue=catalogue).stdout)
    assert data["body"].startswith("## Teaching") and data["title"].startswith("NARA\u2019s")


def test_the_parsers_fast_check_knows_every_character_that_starts_markup() -> None:
    from newsidx.fieldmap import _MARKUP_START
    from newsidx.plaintext import _STARTS

    assert [c for c in _STARTS if not _MARKUP_START.search(c)] == []


def test_show_on_a_terminal_prints_the_text_and_raw_the_markup(tmp_path: Path) -> None:
    site, catalogue = tmp_path / "site", tmp_path / "cat"
    site.mkdir()
    (site / "nara.md").write_bytes(POST)
    assert _newsidx("ingest", str(site), catalogue=catalogue).returncode == 0
    record_id = next(iter(Archive(catalogue).export())).id
    show = [sys.executable, "-m", "newsidx", "--catalogue", str(catalogue), "show",
            record_id, "--no-pager"]
    code, out, err = run_on_pty(show, env={"PAGER": "cat"})
    assert code == 0, err
    assert "The DocsTeach site & its activities help teachers." in out
    assert "date from:" not in out  # undated: no date line at all
    assert "&amp;" not in out and "](" not in out and "NARA\u2019s DocsTeach" in out
    code, out, err = run_on_pty([*show, "--raw"], env={"PAGER": "cat"})
    assert code == 0, err
    assert "[activities](https://docsteach.example/)" in out and "&amp;" in out
