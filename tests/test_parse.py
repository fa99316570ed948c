"""The parser on the seeds, each format and field, golden pairs and the real corpora."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from newsidx.errors import ParseError, SkippedFile
from newsidx.identity import article_id
from newsidx.model import Provider, canonical_url, make_id, to_json
from newsidx.parse import ParseResult, parse_bytes, parse_file

UTC = timezone.utc
GOLDEN = Path(__file__).parent / "golden"


def parse(text: str, name: str = "a.md") -> ParseResult:
    return parse_bytes(text.encode(), name)


# --- seeds -------------------------------------------------------------------------

def test_seed_plain_text(seeds: Path) -> None:
    path = seeds / "000_3e5fed83c1bc69b1.txt"
    result = parse_file(path)
    (article,) = result.records
    assert result.format == "text"
    assert article.kind == "article"
    assert article.title == "Alibaba Leads $2.5 Billion Investment in AI Startup MiniMax"
    assert article.provider is None and article.published is None
    assert article.published_raw is None and article.url is None
    paragraphs = [p for p in article.body.split("\n\n") if p.strip()]
    # The issue says five; the file holds six (checked by eye, reported to the lead).
    assert len(paragraphs) == 6
    assert paragraphs[0].startswith("Alibaba Group Holding Ltd. is doubling down")
    assert paragraphs[-1].endswith("key driver of future growth.")
    # no URL: the id is the file's (outside an ingest, its name), not its text
    assert article.id == article_id(None, path.name)
    assert article.id != make_id(url=None, title=article.title, body=article.body)
    assert article.sources == (str(path),)
    assert result.warnings == ()


def test_seed_002_field_by_field(seeds: Path) -> None:
    result = parse_file(seeds / "002_80dc18bde6cf76ff.txt", source="seeds/002")
    article, related = result.records
    web = ("https://www.benzinga.com/news/24/03/37483058/alibaba-amplifies-ai-investment-"
           "valuing-minimax-over-2-5b-in-latest-financing-round")
    assert result.format == "yaml" and result.warnings == ()
    assert article.title == ("Alibaba Amplifies AI Investment, Valuing MiniMax Over $2.5B in "
                             "Latest Financing Round")
    assert article.excerpt.startswith("Alibaba leads $600M funding round")
    assert article.excerpt.endswith("a two-year-old ...")
    assert article.category == "news" and article.type == "article"
    assert article.provider == Provider("Benzinga.com", "benzinga.com")
    assert article.published == datetime(2024, 3, 5, 9, 10, tzinfo=UTC)
    assert article.published_raw == "2024-03-05T09:10:00Z"
    assert article.published_offset == "+00:00" and not article.published_zoneless
    assert article.topics == ("AI", "news")  # category: news is a topic too
    assert article.web_url == web and article.original_url == web
    assert article.url == canonical_url(web)
    assert article.id == make_id(url=web)
    assert article.quality == 10 and article.heat == -1
    assert article.body == ""
    assert article.extra["published"] is False
    assert str(article.extra["secured"]).startswith("gQhyHSCN+TjOm1jm")
    assert set(article.extra) == {"published", "secured"}
    assert article.sources == ("seeds/002",)
    assert article.related[0].id == related.id and article.related[0].title == related.title

    assert related.kind == "related" and related.parents == (article.id,)
    assert related.sources == ("seeds/002",)
    assert related.title == "Alibaba backs US$2.5 billion AI startup in second major 2024 deal"
    assert related.provider == Provider("Business Times", "businesstimes.com.sg")
    assert related.published == datetime(2024, 3, 5, 7, 42, tzinfo=UTC)
    assert related.quality == 37 and related.type == "article"
    assert related.excerpt.startswith("ALIBABA Group Holding is leading")
    (image,) = related.images
    assert image.url.endswith("imgbiz1113b5m3ld.jpg")
    assert (image.width, image.height) == (880, 587)
    assert image.extra == {"isCached": True}


def test_seed_004_nine_related(seeds: Path) -> None:
    result = parse_file(seeds / "004_d6b0fcc1b5121d05.txt")
    article, *related = result.records
    assert article.provider == Provider("infotechlead", "infotechlead.com")
    assert article.published == datetime(2023, 10, 17, 16, 45, tzinfo=UTC)
    assert article.quality == 13 and article.topics == ("AI", "news")
    assert len(related) == 9 and len(article.related) == 9
    assert [r.id for r in article.related] == [r.id for r in related]
    assert len({r.id for r in related}) == 9
    assert all(r.parents == (article.id,) and r.kind == "related" for r in related)
    scmp = [r for r in related if r.provider and r.provider.domain == "scmp.com"]
    assert len(scmp) == 1
    assert scmp[0].amp_url is not None and scmp[0].amp_url.startswith("https://amp.scmp.com/")
    assert scmp[0].cdn_amp_url is not None and "cdn.ampproject.org" in scmp[0].cdn_amp_url
    assert scmp[0].published == datetime(2023, 10, 20, 11, 54, tzinfo=UTC)
    edge = [r for r in related if r.provider and r.provider.domain == "theedgesingapore.com"]
    assert edge[0].images == ()


# --- formats -----------------------------------------------------------------------

def test_toml_front_matter() -> None:
    result = parse('+++\ntitle = "T"\ndate = 2024-03-05T09:10:00+08:00\ntags = ["AI"]\n'
                   'count = 3\n+++\nBody.\n')
    (article,) = result.records
    assert result.format == "toml"
    assert article.title == "T" and article.topics == ("AI",) and article.body == "Body."
    assert article.published == datetime(2024, 3, 5, 1, 10, tzinfo=UTC)
    assert article.published_offset == "+08:00"
    assert article.extra == {"count": 3}


def test_json_object_with_newsapi_keys() -> None:
    data = {"source": {"id": "cnn", "name": "CNN"}, "title": "Drone", "description": "D.",
            "url": "https://www.cnn.com/x?utm_source=a", "publishedAt": "2023-03-14T20:12:00Z",
            "content": "Full text"}
    result = parse(json.dumps(data))
    (article,) = result.records
    assert result.format == "json"
    assert article.title == "Drone" and article.excerpt == "D." and article.body == "Full text"
    assert article.provider == Provider("CNN", None)
    assert article.extra == {"source": {"id": "cnn", "name": "CNN"}}
    assert article.web_url == "https://www.cnn.com/x?utm_source=a"
    assert article.url == "https://www.cnn.com/x"
    assert article.published == datetime(2023, 3, 14, 20, 12, tzinfo=UTC)


def test_json_followed_by_body_and_invalid_json() -> None:
    article = parse('{"title": "J"}\n\nThe body.').records[0]
    assert article.body == "The body."
    with pytest.raises(ParseError, match="invalid JSON") as err:
        parse('{"title": "J",\n "x": }')
    assert err.value.line == 2


def test_brace_text_is_plain_text() -> None:
    result = parse("{curly} headline\n\nbody")
    assert result.format == "text" and result.records[0].title == "{curly} headline"


def test_plain_text_heading_marker_stripped_and_no_date() -> None:
    result = parse("\n\n# A headline\nBody one.\n\nBody two.\n", name="2024-03-05-x.txt")
    article = result.records[0]
    assert article.title == "A headline" and article.body == "Body one.\n\nBody two."
    assert article.published is None


def test_body_keeps_markdown_and_loses_one_leading_newline() -> None:
    article = parse("---\ntitle: T\n---\n\n\n    code\n\ntext\n\n").records[0]
    assert article.body == "\n    code\n\ntext"


# --- fields ------------------------------------------------------------------------

def test_title_precedence() -> None:
    assert parse("---\ntitle: ' '\n---\nIntro\n\n## Sub\n").records[0].title == "Sub"
    assert parse("---\nx: 1\n---\nSetext\n======\n").records[0].title == "Setext"
    assert parse("---\nexcerpt: One! Two.\n---\n").records[0].title == "One!"
    assert parse("---\nx: 1\n---\nfirst line\nsecond\n").records[0].title == "first line"
    assert parse("---\nx: 1\n---\n", name="dir/my-post.md").records[0].title == "my-post"


def test_date_keys_and_jekyll_fallback() -> None:
    assert parse("---\ndate: 2024-03-05\n---\n").records[0].published_raw == "2024-03-05"
    article = parse("---\npublished: false\npubDate: 'Tue, 05 Mar 2024 09:10:00 GMT'\n---\n"
                    ).records[0]
    assert article.published == datetime(2024, 3, 5, 9, 10, tzinfo=UTC)
    assert article.extra == {"published": False}
    jekyll = parse_bytes(b"---\ntitle: T\nlang: en\n---\n", "x",
                         file_name="2014-02-24-ruby.md").records[0]
    assert jekyll.published == datetime(2014, 2, 24, tzinfo=UTC) and jekyll.published_zoneless
    both = parse_bytes(b"---\ndate: soon\n---\n", "x", file_name="2014-02-24-r.md")
    assert both.records[0].published == datetime(2014, 2, 24, tzinfo=UTC)
    assert both.records[0].extra == {"published_unreadable": "soon"}
    assert any("unreadable date 'soon'" in w for w in both.warnings)


def test_topics_forms_and_every_key() -> None:
    assert parse("---\ntopics: AI\n---\n").records[0].topics == ("AI",)
    article = parse("---\ntags: [a, b, a, '']\ncategories: [c]\n---\n").records[0]
    assert article.topics == ("c", "a", "b") and article.extra == {}
    every = parse("---\ncategory: Release\ntags: ruby, Releases ,release\nkeywords: [Ruby 3]\n"
                  "section: news\ncategories: [Announcements]\n---\n").records[0]
    assert every.topics == ("Announcements", "Release", "ruby", "Releases", "Ruby 3", "news")
    assert every.category == "Release" and every.extra == {}
    odd = parse("---\ntopics: [x, {a: 1}, ~]\n---\n")
    assert odd.records[0].topics == ("x",)
    assert odd.records[0].extra == {"topics": ["x", {"a": 1}, None]}
    assert odd.warnings


def test_unusable_modelled_values_go_to_extra() -> None:
    result = parse("---\ntitle: [a, b]\nquality: high\nimages: [{width: 3}, 'http://i/x.png']\n"
                   "---\nBody line\n")
    article = result.records[0]
    assert article.title == "Body line"
    assert article.extra == {"title": ["a", "b"], "quality": "high",
                             "images": [{"width": 3}]}
    assert [i.url for i in article.images] == ["http://i/x.png"]
    assert len(result.warnings) == 3


def test_extra_is_json_safe() -> None:
    text = ("---\nwhen: 2024-03-05T09:10:00Z\nday: 2024-03-05\nbin: !!binary aGk=\n"
            "s: !!set {b: null, a: null}\nn: .nan\nbig: 0x10\nnested: {1: [x]}\n---\n")
    extra = parse(text).records[0].extra
    assert extra == {"when": "2024-03-05T09:10:00Z", "day": "2024-03-05", "bin": "aGk=",
                     "s": ["a", "b"], "n": ".nan", "big": 16, "nested": {"1": ["x"]}}
    json.dumps(extra, allow_nan=False)


def test_related_mapping_partial_and_duplicates() -> None:
    result = parse("---\ntitle: T\nrelated:\n  - {}\n  - title: Only a title\n"
                   "  - webUrl: 'https://example.com/news/only-url.html'\n  - 42\n"
                   "  - webUrl: 'https://EXAMPLE.com/news/only-url.html#x'\n---\n")
    article, titled, url_only = result.records
    assert titled.title == "Only a title" and titled.url is None
    assert titled.id == make_id(url=None, title="Only a title")
    assert url_only.title == "only url" and url_only.id == make_id(
        url="https://example.com/news/only-url.html")
    assert len(result.warnings) == 3
    assert [r.url for r in article.related] == [None, "https://example.com/news/only-url.html"]


def test_duplicate_keys_last_wins() -> None:
    assert parse("---\ntitle: A\ntitle: B\n---\n").records[0].title == "B"


def test_merge_keys_work() -> None:
    article = parse("---\nbase: &b {type: news}\nother:\n  <<: *b\n  x: 1\n---\n").records[0]
    assert article.extra["other"] == {"type": "news", "x": 1}


# --- files -------------------------------------------------------------------------

def test_parse_file_size_limit_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "big.md"
    path.write_bytes(b"x" * (3 * 1024 * 1024))
    with pytest.raises(ParseError, match=r"file is 3 MiB, over the 2 MiB limit \(--max-size\)"):
        parse_file(path, max_size=2 * 1024 * 1024)


def test_parse_file_fifo_is_skipped_without_blocking(tmp_path: Path) -> None:
    import os

    fifo = tmp_path / "fifo.md"
    os.mkfifo(fifo)
    with pytest.raises(SkippedFile, match="not a regular file"):
        parse_file(fifo)
    with pytest.raises(SkippedFile, match="not a regular file"):
        parse_file("/dev/zero")
    with pytest.raises(SkippedFile, match="directory"):
        parse_file(tmp_path)
    with pytest.raises(ParseError, match="cannot read"):
        parse_file(tmp_path / "missing.md")


# --- golden pairs ------------------------------------------------------------------

@pytest.mark.parametrize("path", sorted(GOLDEN.glob("*.md")), ids=lambda p: p.name)
def test_golden(path: Path) -> None:
    result = parse_file(path, source=path.name)
    expected = json.loads(path.with_suffix(".expected.json").read_text("utf-8"))
    assert [to_json(r) for r in result.records] == expected


# --- corpora -----------------------------------------------------------------------

@pytest.mark.slow
def test_corpora_all_parse(shared: Path, capsys: pytest.CaptureFixture[str]) -> None:
    corpora = shared / "corpora"
    bbc = sorted((corpora / "bbc").rglob("*.txt"))
    ruby = sorted((corpora / "ruby-lang-news").glob("*/news/_posts/*.md"))
    assert len(bbc) > 2000 and len(ruby) > 4000
    for path in bbc:
        article = parse_file(path).records[0]
        assert article.title.strip(), path
        assert article.body.strip(), path
    from_name = 0
    for path in ruby:
        result = parse_file(path)
        article = result.records[0]
        assert result.format == "yaml", path
        assert article.title.strip(), path
        assert article.published is not None, path
        from_name += article.published_raw == path.name[:10]
    with capsys.disabled():
        print(f"\ncorpora: {len(bbc)} bbc and {len(ruby)} ruby-lang posts parsed; all "
              f"ruby-lang posts dated, {from_name} of them from the file name")


def test_toml_taxonomies_are_topics() -> None:
    zola = parse_bytes(b'+++\ntitle = "Rust 1.88"\n[taxonomies]\ntags = ["Rust", "release"]\n'
                       b'authors = "The Team"\n[extra]\nx = 1\n+++\nBody.\n', "p.md")
    article = zola.records[0]
    assert article.topics == ("Rust", "release", "The Team")
    assert "taxonomies" not in article.extra
