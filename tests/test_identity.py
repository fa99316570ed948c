"""Issue 16, item 5: ids that last (URL, else the source) and nothing merged away."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import clirun
import pytest

from newsidx import placement
from newsidx.api import Archive
from newsidx.identity import article_id, identity_url, source_key
from newsidx.model import make_id


def newsidx(*args: str, catalogue: Path) -> clirun.Done:
    return clirun.newsidx(*args, catalogue=catalogue, timeout=300)


def records(archive: Archive) -> list:  # type: ignore[type-arg]
    return sorted(archive.export(), key=lambda r: r.sources)


@pytest.fixture(autouse=True)
def _no_roots() -> object:
    yield
    placement.set_roots([])


def test_a_bare_home_page_is_no_identity() -> None:
    for url in ("https://www.ndtv.com", "https://www.ndtv.com/", "HTTPS://WWW.NDTV.COM:443/",
                "https://www.ndtv.com/#top", "https://www.ndtv.com/?utm_source=x", "", None):
        assert identity_url(url) is None, url
    for url in ("https://www.ndtv.com/a", "https://example.com/?p=123", "https://x.org/a/"):
        assert identity_url(url) is not None, url
    assert article_id("https://x.org/a", "a.md") == make_id(url="https://x.org/a")  # unchanged
    assert article_id("https://x.org/", "a.md") == article_id(None, "a.md")
    assert article_id("https://x.org/", "a.md") != article_id("https://x.org/", "b.md")


def test_source_key_is_the_roots_name_and_the_path_below_it(tmp_path: Path) -> None:
    placement.set_roots([str(tmp_path / "site"), str(tmp_path / "one.md")])
    assert source_key(str(tmp_path / "site" / "news" / "a.md")) == "site/news/a.md"
    # a file named by itself: its folder is its root
    assert source_key(str(tmp_path / "one.md")) == f"{tmp_path.name}/one.md"
    assert source_key(str(tmp_path / "site" / "d.jsonl"), "line 3") == "site/d.jsonl#line 3"
    placement.set_roots([])
    assert source_key(str(tmp_path / "x" / "b.md")) == "b.md"  # outside an ingest: its name


def test_sibling_roots_and_roots_of_one_name_never_share_a_key(tmp_path: Path) -> None:
    placement.set_roots([str(tmp_path / "bbc" / "business"), str(tmp_path / "bbc" / "sport")])
    assert source_key(str(tmp_path / "bbc" / "business" / "001.txt")) == "business/001.txt"
    assert source_key(str(tmp_path / "bbc" / "sport" / "001.txt")) == "sport/001.txt"
    placement.set_roots([str(tmp_path / "a" / "news"), str(tmp_path / "b" / "news")])
    assert source_key(str(tmp_path / "a" / "news" / "1.md")) == "a/news/1.md"
    assert source_key(str(tmp_path / "b" / "news" / "1.md")) == "b/news/1.md"
    placement.set_roots([])


def test_sibling_folders_ingested_together_stay_apart(tmp_path: Path) -> None:
    for section in ("business", "sport"):
        (tmp_path / "bbc" / section).mkdir(parents=True)
        (tmp_path / "bbc" / section / "001.txt").write_text(f"A {section} headline\n\nText.\n")
    archive = Archive(tmp_path / "cat")
    report = archive.ingest([tmp_path / "bbc" / "business", tmp_path / "bbc" / "sport"])
    assert report.records_added == 2 and not report.files_merged
    assert {r.folder for r in records(archive)} == {""}
    assert sorted(r.title for r in records(archive)) == ["A business headline",
                                                         "A sport headline"]


def test_editing_a_file_keeps_its_id(tmp_path: Path) -> None:
    site = tmp_path / "site"
    post = site / "news" / "post.md"
    post.parent.mkdir(parents=True)
    post.write_text("---\ntitle: Budget talks\n---\nThe goverment said no.\n")
    archive = Archive(tmp_path / "cat")
    archive.ingest([site])
    (before,) = records(archive)
    post.write_text("---\ntitle: Budget talks\n---\nThe government said no.\n")  # a typo fix
    report = archive.ingest([site])
    (after,) = records(archive)
    assert report.updated == [str(post)]
    assert after.id == before.id and "government" in after.body
    assert archive.get(before.id).body == after.body


def test_identical_files_at_two_paths_stay_two_records(tmp_path: Path) -> None:
    site = tmp_path / "site"
    for folder in ("business", "politics"):
        (site / folder).mkdir(parents=True)
        (site / folder / "001.txt").write_text("Same headline\n\nThe same text.\n")
    archive = Archive(tmp_path / "cat")
    report = archive.ingest([site])
    got = records(archive)
    assert report.records_added == 2 and report.files_merged == 0
    assert [r.folder for r in got] == ["business", "politics"]
    assert len({r.id for r in got}) == 2


def test_same_text_different_dates_stay_two_with_both_dates(tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    for day in ("2024-03-05", "2025-03-05"):
        (site / f"{day}-release.md").write_text(
            "---\ntitle: Ruby 3.3 released\n---\nWe are pleased to announce the release.\n")
    archive = Archive(tmp_path / "cat")
    archive.ingest([site])
    got = records(archive)
    assert [r.published.year for r in got if r.published] == [2024, 2025]
    assert archive.count() == 2


def test_files_sharing_a_url_merge_keeping_every_headline_and_topic(tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    (site / "a.md").write_text("---\ntitle: Markets rally on rate cut\nurl: https://x.org/s/1\n"
                               "tags: [markets]\n---\nStocks rose.\n")
    (site / "b.md").write_text("---\ntitle: Central bank trims rates\nurl: https://x.org/s/1\n"
                               "tags: [economy]\n---\nRates fell.\n")
    cat = tmp_path / "cat"
    out = newsidx("ingest", "--format", "json", str(site), catalogue=cat)
    assert out.returncode == 0, out.stderr
    summary = json.loads(out.stdout)
    assert summary["files_merged"] == 1
    assert [m["path"] for m in summary["merged_files"]] == [str(site / "b.md")]
    text = newsidx("ingest", str(site), catalogue=tmp_path / "cat2")
    assert "1 file merged into a record another file gives (same URL" in text.stdout
    assert f"merged: {site / 'b.md'}: same URL as {site / 'a.md'}" in text.stderr
    archive = Archive(cat)
    (record,) = records(archive)
    assert record.title == "Markets rally on rate cut"  # the first path's copy wins
    assert record.alt_titles == ("Central bank trims rates",)
    assert set(record.topics) == {"markets", "economy"}
    for words in ("markets rally", "central bank trims"):
        assert [h.record.id for h in archive.search(words).hits] == [record.id], words
    assert archive.count("topic:economy") == 1
    shown = newsidx("show", record.id, catalogue=cat)
    assert "Central bank trims rates" in shown.stdout
    # b.md changes its headline: the old one goes, the new one is kept
    (site / "b.md").write_text("---\ntitle: Rates cut again\nurl: https://x.org/s/1\n"
                               "tags: [economy]\n---\nRates fell.\n")
    archive.ingest([site])
    (record,) = records(archive)
    assert record.alt_titles == ("Rates cut again",)
    assert archive.search("central bank trims").total == 0
    # b.md leaves: the record is a.md's alone again
    (site / "b.md").unlink()
    archive.ingest([site], prune=True)
    (record,) = records(archive)
    assert record.alt_titles == () and record.topics == ("markets",)
    assert record.sources == (str(site / "a.md"),)


FEED = """<?xml version="1.0"?>
<rss version="2.0"><channel><title>NDTV</title><link>https://www.ndtv.com</link>
<item><title>Monsoon arrives early</title><link>https://www.ndtv.com</link></item>
<item><title>Cricket final tonight</title><link>https://www.ndtv.com/</link></item>
<item><title>Election results</title><link>https://www.ndtv.com/india/results-1</link></item>
<item><title>Counting ends</title><link>https://www.ndtv.com/india/results-1</link>
<category>India</category></item>
</channel></rss>
"""


def test_a_feed_item_linking_the_home_page_gets_a_source_id(tmp_path: Path) -> None:
    feeds = tmp_path / "feeds"
    feeds.mkdir()
    (feeds / "ndtv.xml").write_text(FEED)
    archive = Archive(tmp_path / "cat")
    archive.ingest([feeds])
    got = {r.title: r for r in archive.export()}
    assert set(got) == {"Monsoon arrives early", "Cricket final tonight", "Election results"}
    placement.set_roots([str(feeds)])
    assert got["Monsoon arrives early"].id == article_id(None, str(feeds / "ndtv.xml"), "item 0")
    assert got["Cricket final tonight"].id == article_id(None, str(feeds / "ndtv.xml"), "item 1")
    assert got["Election results"].id == make_id(url="https://www.ndtv.com/india/results-1")
    # a later item with the same link merges into the first, its headline and topics kept
    assert got["Election results"].alt_titles == ("Counting ends",)
    assert got["Election results"].topics == ("India",)
    assert [h.record.title for h in archive.search("counting ends").hits] == ["Election results"]


def test_a_url_several_records_share_is_ambiguous_not_the_first(tmp_path: Path) -> None:
    feeds = tmp_path / "feeds"
    feeds.mkdir()
    (feeds / "ndtv.xml").write_text(FEED)
    cat = tmp_path / "cat"
    Archive(cat).ingest([feeds])
    ids = {r.title: r.id for r in Archive(cat).export()}
    shown = subprocess.run(
        [sys.executable, "-m", "newsidx", "--catalogue", str(cat), "show", "https://www.ndtv.com"],
        capture_output=True, text=True, check=False)
    assert shown.returncode != 0 and shown.stdout == ""
    (line,) = shown.stderr.strip().splitlines()
    assert "ambiguous" in line
    assert ids["Monsoon arrives early"] in line and ids["Cricket final tonight"] in line
    one = Archive(cat).get("https://www.ndtv.com/india/results-1")
    assert one.title == "Election results"


def test_ids_do_not_depend_on_where_the_root_lies(tmp_path: Path) -> None:
    site = tmp_path / "site"
    (site / "news").mkdir(parents=True)
    (site / "news" / "a.txt").write_text("Headline\n\nText.\n")
    first = Archive(tmp_path / "cat1")
    first.ingest([site])
    moved = tmp_path / "elsewhere" / "site"
    shutil.copytree(site, moved)
    second = Archive(tmp_path / "cat2")
    second.ingest([moved])
    assert [r.id for r in first.export()] == [r.id for r in second.export()]


def test_check_repair_keeps_ids_and_folders(tmp_path: Path) -> None:
    site = tmp_path / "site"
    for folder in ("business", "sport"):
        (site / folder).mkdir(parents=True)
        (site / folder / "001.txt").write_text(f"{folder} headline\n\nText.\n")
    cat = tmp_path / "cat"
    archive = Archive(cat)
    archive.ingest([site])
    before = sorted((r.id, r.folder, r.sources) for r in archive.export())
    (cat / "catalogue.json").unlink()  # damage: the sources are re-read one by one
    out = newsidx("check", "--repair", catalogue=cat)
    assert out.returncode == 0, out.stdout + out.stderr
    after = sorted((r.id, r.folder, r.sources) for r in Archive(cat).export())
    assert after == before and len(after) == 2


def test_a_catalogue_with_text_ids_is_upgraded_by_the_next_ingest(tmp_path: Path) -> None:
    import sqlite3
    from dataclasses import replace

    from newsidx.catalogue import Catalogue

    site = tmp_path / "site"
    site.mkdir()
    post = site / "post.txt"
    post.write_text("Budget talks\n\nThe government said no.\n")
    cat = tmp_path / "cat"
    Archive(cat).ingest([site])
    # Make it what an older newsidx left: the record under its text id, the file's state
    # (size, mtime, hash: unchanged on disk) naming that id, bookkeeping schema 1.
    store = Catalogue(cat)
    (record,) = store.iter_records()
    state = store.files()[str(post)]
    old_id = make_id(url=None, title=record.title, body=record.body)
    with store.writer() as writer:
        writer.commit(upserts=[replace(record, id=old_id)], deletes=[record.id],
                      files={str(post): replace(state, ids=(old_id,))}, compact=True)
    with sqlite3.connect(cat / "state.db") as db:
        db.execute("UPDATE meta SET value = 1 WHERE key = 'schema'")
    assert newsidx("show", old_id, catalogue=cat).returncode == 0

    out = newsidx("ingest", str(site), catalogue=cat)
    assert out.returncode == 0, out.stderr
    assert "read again once" in out.stderr and "new ids" in out.stderr
    ids = [r.id for r in Archive(cat).export()]
    assert ids == [record.id]  # the source id; the text id is gone with the file's old state
    shown = newsidx("show", old_id, catalogue=cat)
    assert shown.returncode == 1
    assert old_id in shown.stderr and "no record" in shown.stderr
    again = newsidx("ingest", str(site), catalogue=cat)  # upgraded once, then quiet
    assert "read again" not in again.stderr and "nothing changed" in again.stdout


def test_the_home_page_shortcut_agrees_with_urlsplit() -> None:
    """identity_url decides plain URLs without urlsplit; it must answer as urlsplit does."""
    from urllib.parse import urlsplit

    from newsidx.model import canonical_url

    def reference(url: str) -> str | None:
        canonical = canonical_url(url)
        try:
            parts = urlsplit(canonical)
        except ValueError:
            return canonical
        if parts.netloc and parts.path in ("", "/") and not parts.query:
            return None
        return canonical

    hosts = ["x.org", "WWW.X.ORG", "x.org:8080", "u@x.org", "[::1]", "[bad", "bücher.de",
             "x.org\u2100", "", "x.org "]
    tails = ["", "/", "//", "/a", "/a/", "?", "?q=1", "#f", "/#", "/a b", "/é", "/\t",
             "/%2F", "\\", "/a?utm_source=z"]
    for scheme in ("https://", "http://", "HTTP://", "ftp://"):
        for host in hosts:
            for tail in tails:
                url = scheme + host + tail
                assert identity_url(url) == reference(url), url


def test_a_url_with_a_query_escape_port_or_user_takes_the_full_normalisation() -> None:
    """canonical_url's shortcut declines every URL that urllib must normalise."""
    from newsidx.model import _canonical_fast

    assert _canonical_fast("https://x.org/a/b") == "https://x.org/a/b"
    assert _canonical_fast("http://x.org") == "http://x.org/"
    for c in "?#%\\ \t\n\r":
        assert _canonical_fast(f"https://x.org/a{c}b") is None, repr(c)
    for c in ":@[]":
        assert _canonical_fast(f"https://x{c}org/a") is None, repr(c)
        assert _canonical_fast(f"https://x.org/a{c}b") is not None, repr(c)  # path: fine


def test_an_ingest_leaves_no_roots_behind_in_its_process(tmp_path: Path) -> None:
    """A later parse in the same process (a library user's parse_file) is keyed by the
    file's name, not by the roots of an ingest that has ended."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "a.txt").write_text("A headline\n\nText.\n")
    Archive(tmp_path / "cat").ingest([site])
    assert placement.roots() == []
    assert source_key(str(site / "a.txt")) == "a.txt"
