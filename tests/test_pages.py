"""Saved web pages: one article per HTML document, its metadata, its main text only."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest

from newsidx.errors import SkippedFile
from newsidx.formats.page import NO_TEXT, is_page, read_meta
from newsidx.parse import parse_bytes, parse_file

PAGES = Path(__file__).parent / "pages"
_PARA = ("<p>The council met on Tuesday to discuss the harbour budget, the new ferry "
         "timetable and the repairs to the sea wall along the old promenade.</p>\n")


def _page(head: str = "", body: str = _PARA * 4) -> bytes:
    return (f"<!DOCTYPE html><html><head><title>Council meets</title>{head}</head>"
            f"<body><article><h1>Council meets</h1>{body}</article></body></html>").encode()


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Extraction must never reach out: any connection attempt fails the test."""
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a saved page was read with a network connection")
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def test_whole_documents_are_pages_and_fragments_are_not() -> None:
    assert is_page(b"<!DOCTYPE html>\n<html>")
    assert is_page(b"\xef\xbb\xbf\n<!-- saved from url=(0043)https://x.example/ -->\n<html>")
    assert is_page(b"<HTML><body>")
    assert not is_page(b"<div><p>a fragment</p></div>")
    assert not is_page(b"<?xml version='1.0'?><rss version='2.0'></rss>")
    assert not is_page(b"---\ntitle: <html> in front matter\n---\n")
    assert not is_page(b"<htmlish>")


def test_saved_page_fields_and_main_text_only() -> None:
    result = parse_file(PAGES / "saved-article.html")
    assert result.format == "html" and len(result.records) == 1
    page = result.records[0]
    assert page.title == "Harbour ferry returns after winter repairs"
    # the canonical link, not og:url with its tracking parameter
    assert page.web_url == "https://www.coastal-ledger.example/news/2024/02/harbour-ferry-returns"
    # article:published_time, as written, offset kept (JSON-LD says the same instant in Z)
    assert page.published_raw == "2024-02-19T07:45:00+01:00"
    assert page.published_offset == "+01:00"
    assert page.published == datetime(2024, 2, 19, 6, 45, tzinfo=timezone.utc)
    assert page.date_source == "article:published_time"
    assert page.authors == ("Maren Holt",)
    assert page.provider is not None
    assert (page.provider.name, page.provider.domain) == ("The Coastal Ledger",
                                                          "coastal-ledger.example")
    assert page.excerpt.startswith("The Skerry Queen carries passengers again")
    assert page.body.startswith("The Skerry Queen, the ferry that links the old harbour")
    assert "shortly before nine in the evening." in page.body
    assert page.body.count("\n\n") == 4  # five paragraphs, the headline not repeated
    for boilerplate in ("cookies", "Subscribe", "Most read", "Lighthouse keeper",
                        "All rights reserved", "Privacy policy", "dataLayer"):
        assert boilerplate not in page.body, boilerplate
    assert page.warnings == ()


def test_date_only_in_json_ld_and_provider_from_the_canonical_host() -> None:
    page = parse_file(PAGES / "jsonld-date.html").records[0]
    assert page.published_raw == "2023-05-02T18:20:00-04:00"
    assert page.published_offset == "-04:00"
    assert page.published == datetime(2023, 5, 2, 22, 20, tzinfo=timezone.utc)
    assert page.date_source == "datePublished"
    assert page.authors == ("Tomas Reyes",)  # JSON-LD @graph, author list
    assert page.provider is not None
    assert (page.provider.name, page.provider.domain) == ("valley-post.example",
                                                          "valley-post.example")
    assert "Home" not in page.body and "Advertise" not in page.body
    assert page.body.startswith("Apple and pear growers")


def test_extractor_guess_is_the_last_date() -> None:
    page = parse_file(PAGES / "extractor-date.html").records[0]
    assert page.published == datetime(2022, 11, 3, tzinfo=timezone.utc)
    assert page.published_zoneless and page.date_source == "htmldate"


def test_page_without_article_text_is_skipped() -> None:
    with pytest.raises(SkippedFile) as caught:
        parse_file(PAGES / "no-text.html")
    assert caught.value.reason == NO_TEXT
    with pytest.raises(SkippedFile) as caught:
        parse_bytes(b"<!doctype html>", "empty.html")
    assert caught.value.reason == NO_TEXT


def test_metadata_is_read_from_tags_not_text() -> None:
    meta = read_meta('<html><head><TITLE>A &amp; B</TITLE>'
                     '<link rel="alternate canonical" href="https://a.example/x">'
                     '<meta property="og:site_name" content="Site"></head><body>'
                     '<p>&lt;link rel="canonical" href="https://evil.example/"&gt;</p>'
                     '<script type="application/ld+json">{"@type": "NewsArticle"}</script>'
                     '</body></html>')
    assert meta.title == "A & B"
    assert meta.canonical == "https://a.example/x"
    assert meta.meta["og:site_name"] == "Site"
    assert meta.jsonld == [{"@type": "NewsArticle"}]


@pytest.mark.slow
def test_hostile_pages_give_a_record_or_a_reason() -> None:
    script = "<script>var blob='" + "a" * (1024 * 1024 + 10) + "';</script>"
    long_line = parse_bytes(_page(head=script), "long.html").records[0]
    assert long_line.title == "Council meets"  # a minified line is no reason to refuse
    broken = _page(head='<script type="application/ld+json">' + "[" * 100_000 + "]" * 100_000
                   + '</script><script type="application/ld+json">{"datePublished": "soon"'
                   '}</script><script type="application/ld+json">{not json</script>'
                   '<meta property="og:url" content="javascript:alert(1)">')
    record = parse_bytes(broken, "broken.html").records[0]
    assert record.published is None and record.published_raw == "soon"
    assert any("soon" in w for w in record.warnings)
    assert record.web_url is None
    nested = b"<!doctype html><html><body>" + b"<div>" * 50_000 + b"</body></html>"
    with pytest.raises(SkippedFile):
        parse_bytes(nested, "nested.html")


def test_cli_ingests_pages_and_counts_the_skipped_one(tmp_path: Path) -> None:
    folder = tmp_path / "saved"
    folder.mkdir()
    for name in ("saved-article.html", "jsonld-date.html", "no-text.html"):
        shutil.copy(PAGES / name, folder / name)
    catalogue = tmp_path / "cat"
    run = subprocess.run([sys.executable, "-m", "newsidx", "ingest", "--catalogue",
                          str(catalogue), str(folder)],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert "records: 2 added" in run.stdout + run.stderr
    assert f"1 {NO_TEXT}" in run.stdout + run.stderr  # the summary counts the reason
    export = subprocess.run([sys.executable, "-m", "newsidx", "export", "--catalogue",
                             str(catalogue), "--format", "jsonl"],
                            capture_output=True, text=True, timeout=120)
    assert export.returncode == 0, export.stderr
    titles = sorted(json.loads(line)["title"] for line in export.stdout.splitlines())
    assert titles == ["Harbour ferry returns after winter repairs",
                      "Orchard growers count the cost of a late frost"]
    search = subprocess.run([sys.executable, "-m", "newsidx", "count", "--catalogue",
                             str(catalogue), "cookies"],
                            capture_output=True, text=True, timeout=120)
    assert search.returncode == 1  # the cookie banner was not indexed
