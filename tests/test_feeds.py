"""Feeds saved to disk (RSS 2.0, RSS 1.0/RDF, Atom): detection, fields, offsets, safety."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

from newsidx.api import Archive
from newsidx.formats import sniff
from newsidx.formats.feed import read_feed
from newsidx.model import Article

FEEDS = Path(__file__).parent / "feeds"


def _by_title(archive: Archive) -> dict[str, Article]:
    return {r.title: r for r in archive.export()}


def _copy(tmp_path: Path, *names: str) -> Path:
    folder = tmp_path / "feeds"
    folder.mkdir()
    for name in names:
        shutil.copy(FEEDS / name, folder / name)
    return folder


def test_sniff_finds_feed_roots_and_nothing_else() -> None:
    for name in ("rss2.xml", "atom.xml", "rdf.xml"):
        assert sniff((FEEDS / name).read_bytes()) == "feed"
    assert sniff(b"\xef\xbb\xbf<!-- saved --><rss version='2.0'><channel/></rss>") == "feed"
    assert sniff(b'<?xml version="1.0"?>\n<svg xmlns="x"></svg>') is None
    assert sniff(b'<?xml version="1.0"?>\n<urlset><url/></urlset>') is None
    assert sniff(b"<p>An HTML fragment mentioning <feed> later</p>") is None
    assert sniff(b"<!doctype html><html><body>a page</body></html>") is None


def test_rss2_items_with_offsets_cdata_categories_and_content(tmp_path: Path) -> None:
    archive = Archive(tmp_path / "cat")
    report = archive.ingest(_copy(tmp_path, "rss2.xml"))
    assert report.exit_code == 0 and report.records_added == 2
    got = _by_title(archive)
    chips = got["Fish & Chips prices rise by 20% at the quay"]  # CDATA &amp; decoded once
    assert chips.published == datetime(2024, 5, 7, 21, 30, tzinfo=timezone.utc)
    assert chips.published_offset == "+02:00"
    assert chips.published_raw == "Tue, 07 May 2024 23:30:00 +0200"
    assert chips.date_source == "published"
    assert chips.web_url == "https://www.harbour-gazette.example/2024/05/fish-and-chips"
    assert chips.extra["guid"] == "hg-1001"
    assert chips.topics == ("Business", "Food")
    assert chips.authors == ("Maren Okafor",) and "author" not in chips.extra
    assert chips.excerpt == "Vendors blame the cost of cod."
    assert chips.body == ("Vendors at the quay blame the cost of cod.\n\n"
                          "Prices went up €1 on Monday.")  # the script element dropped
    assert [i.url for i in chips.images] == ["https://img.harbour-gazette.example/chips.jpg"]
    assert chips.provider is not None
    assert (chips.provider.name, chips.provider.domain) == ("The Harbour Gazette",
                                                           "harbour-gazette.example")
    ferry = got["Ferry timetable <changes> for summer"]  # a plain-text title keeps its text
    assert ferry.published is not None and ferry.published_offset == "-05:00"
    assert ferry.published.astimezone(timezone(timedelta(hours=-5))).hour == 6
    assert [i.url for i in ferry.images] == ["https://img.harbour-gazette.example/ferry.png"]
    assert ferry.extra["source_index"] == 1
    assert "The Harbour Gazette" not in got  # the channel itself is no article


def test_atom_published_else_updated_and_rdf(tmp_path: Path) -> None:
    archive = Archive(tmp_path / "cat")
    report = archive.ingest(_copy(tmp_path, "atom.xml", "rdf.xml"))
    assert report.exit_code == 0 and report.records_added == 3
    got = _by_title(archive)
    dam = got["Dam & reservoir levels at a ten-year high"]
    assert dam.published_raw == "2024-03-01T08:45:00+05:30"  # published, not updated
    assert dam.published_offset == "+05:30"
    assert dam.body == "Levels are the highest since 2014, engineers said."
    assert dam.authors == ("Priya Nair",) and dam.topics == ("Environment",)
    market = got["Market opens on Sundays"]
    assert market.published_raw == "2024-02-28T17:20:00-03:00"  # only updated given
    assert market.date_source == "updated" and dam.date_source == "published"
    assert market.published == datetime(2024, 2, 28, 20, 20, tzinfo=timezone.utc)
    assert market.provider is not None and market.provider.name == "Valley Observer"
    library = got["Library extends its opening hours"]
    assert library.published_offset == "+01:00" and library.topics == ("Culture",)
    assert library.provider is not None and library.provider.domain == "rdf-news.example"


def test_malformed_feed_fails_in_one_line_and_the_run_goes_on(tmp_path: Path) -> None:
    folder = _copy(tmp_path, "rss2.xml", "malformed.xml")
    env = {**os.environ, "NEWSIDX_CATALOGUE": str(tmp_path / "cat")}
    run = subprocess.run([sys.executable, "-m", "newsidx", "ingest", str(folder)],
                         capture_output=True, text=True, env=env, timeout=120, check=False)
    assert run.returncode == 1, run.stderr
    assert "Traceback" not in run.stderr
    lines = [ln for ln in run.stderr.splitlines() if "malformed.xml:1:" in ln]
    assert len(lines) == 1 and "malformed feed" in lines[0]
    titles = set(_by_title(Archive(tmp_path / "cat")))
    assert {"Fish & Chips prices rise by 20% at the quay", "Cut short"} <= titles


def test_unchanged_feed_is_not_read_again(tmp_path: Path) -> None:
    archive = Archive(tmp_path / "cat")
    folder = _copy(tmp_path, "atom.xml")
    assert archive.ingest(folder).records_added == 2
    again = archive.ingest(folder)
    assert not again.changed and again.unchanged == 1


def test_entities_never_expanded_nor_external_ones_read(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT")
    dtd = tmp_path / "evil.dtd"
    dtd.write_text(f'<!ENTITY fromdtd SYSTEM "file://{secret}">')
    laughs = "".join(f'<!ENTITY l{i} "{("&l" + str(i - 1) + ";") * 10}">' for i in range(1, 10))
    feed = (f'<?xml version="1.0"?>\n<!DOCTYPE rss SYSTEM "file://{dtd}" [\n'
            f'<!ENTITY l0 "lol">{laughs}\n<!ENTITY ext SYSTEM "file://{secret}">\n]>\n'
            '<rss version="2.0"><channel><title>T</title>'
            '<item><title>Laughs &l9;</title><link>https://x.example/1</link>'
            '<description>a &ext; b &fromdtd; c</description></item>'
            '</channel></rss>').encode()
    result = read_feed(feed, "evil.xml")
    text = " ".join(f"{r.title} {r.excerpt} {r.body} {r.extra}" for r in result.records)
    assert "TOP-SECRET" not in text
    assert "lollol" not in text
    assert all(len(r.title) < 100 for r in result.records)
