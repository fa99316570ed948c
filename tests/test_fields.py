"""Issue 16, item 3: the record fields authors, lang and folder, end to end."""

from __future__ import annotations

import json
from pathlib import Path

import clirun
import pytest

from newsidx import model, placement
from newsidx.attribution import lang_code
from newsidx.filters import Filters, matches
from newsidx.parse import parse_bytes


def newsidx(*args: str, catalogue: Path) -> clirun.Done:
    return clirun.newsidx(*args, catalogue=catalogue, timeout=300)


def test_author_keys_give_a_list_of_names() -> None:
    cases = {
        b"---\ntitle: A\nauthor: Jane Doe\n---\nx": ("Jane Doe",),
        b"---\ntitle: A\nauthors: [Ann, Bob, ann]\n---\nx": ("Ann", "Bob"),
        b"---\ntitle: A\nbyline: By  Carl Roe\n---\nx": ("Carl Roe",),
        b"---\ntitle: A\ncreator: {name: Dee}\n---\nx": ("Dee",),
        b"---\ntitle: A\n---\nx": (),
    }
    for data, authors in cases.items():
        assert parse_bytes(data, "a.md").records[0].authors == authors, data


def test_lang_key_is_a_lower_case_code_and_unusable_keys_stay_in_extra() -> None:
    record = parse_bytes(b"---\ntitle: A\nlang: zh_CN\n---\nx", "a.md").records[0]
    assert record.lang == "zh-cn" and "lang" not in record.extra
    record = parse_bytes(b"---\ntitle: A\nlanguage: pt-BR\nauthor: [1, {x: 2}]\n---\nx",
                         "a.md").records[0]
    assert record.lang == "pt-br"
    assert record.authors == ("1",) and "author" not in record.extra
    record = parse_bytes(b"---\ntitle: A\nauthor: {x: 2}\n---\nx", "a.md").records[0]
    assert record.authors == () and record.extra["author"] == {"x": 2}
    assert lang_code(" EN_us ") == "en-us"


def test_folder_and_language_folder_relative_to_the_outermost_root(tmp_path: Path) -> None:
    root = tmp_path / "site"
    placement.set_roots([str(root), str(root / "en")])
    try:
        assert placement.folder_of(str(root / "en/news/_posts/a.md")) == "en/news/_posts"
        assert placement.folder_of(str(root / "a.md")) == ""
        assert placement.folder_of(str(tmp_path / "elsewhere.md")) is None
        keyed = model.Article(id="x", kind="article", title="t", lang="de")
        bare = model.Article(id="y", kind="article", title="t")
        placed = placement.place([keyed, bare], str(root / "en/news/a.md"))
        assert [(r.folder, r.lang) for r in placed] == [("en/news", "de"), ("en/news", "en")]
        assert placement.place([bare], str(tmp_path / "b.md")) == [bare]
    finally:
        placement.set_roots([])
    assert placement.folder_lang("zh_cn/news") == "zh-cn"
    assert placement.folder_lang("blog/pt-br/2024") == "pt-br"
    assert placement.folder_lang("js/img/news") is None  # not language codes


def test_fields_round_trip_and_are_checked() -> None:
    record = model.Article(id="x", kind="article", title="t", authors=("A", "B"), lang="en",
                           folder="en/news")
    data = model.to_json(record)
    assert model.from_json(json.loads(json.dumps(data))) == record
    with pytest.raises(ValueError, match="authors"):
        model.from_json({**data, "authors": "A"})
    with pytest.raises(ValueError, match="folder"):
        model.from_json({**data, "folder": 3})
    old = {k: v for k, v in data.items() if k not in ("authors", "lang", "folder")}
    assert model.from_json(old).authors == () and model.from_json(old).folder is None


def test_export_predicate_ors_within_a_filter_and_ands_across() -> None:
    a = model.Article(id="a", kind="article", title="t", authors=("Jane Doe",), lang="en",
                      folder="en/news")
    b = model.Article(id="b", kind="article", title="t", authors=("Bob",), lang="zh-cn",
                      folder="zh_cn/news")
    keep = matches(Filters(authors=["jane doe", "bob"], langs="ZH_CN"))
    assert [r.id for r in (a, b) if keep(r)] == ["b"]
    keep = matches(Filters(folders="/en/"))
    assert [r.id for r in (a, b) if keep(r)] == ["a"]
    keep = matches(Filters(folders="en/news/_posts"))
    assert not keep(a)


def _site(root: Path) -> None:
    posts = root / "en" / "news"
    posts.mkdir(parents=True)
    (posts / "2024-01-02-one.md").write_text(
        "---\ntitle: Release one\nauthor: Jane Doe\n---\nThe first release.\n")
    (posts / "2024-01-03-two.md").write_text(
        "---\ntitle: Release two\nauthors: [Jane Doe, Bob Ray]\nlang: de\n---\nZwei.\n")
    zh = root / "zh_cn" / "news"
    zh.mkdir(parents=True)
    (zh / "2024-01-04-three.md").write_text("---\ntitle: Release three\n---\nThree.\n")
    (root / "business").mkdir()
    (root / "business" / "001.txt").write_text("Markets rise\n\nShares went up.\n")
    (root / "feeds").mkdir()
    (root / "feeds" / "items.jsonl").write_text(
        '{"title": "Item a", "url": "https://ex.com/a", "byline": "By Cy Dee"}\n'
        '{"title": "Item b", "url": "https://ex.com/b", "language": "FR"}\n')
    (root / "feeds" / "feed.xml").write_text(
        '<?xml version="1.0"?><rss version="2.0"><channel><title>F</title>'
        '<link>https://feed.example/</link><item><title>Feed item</title>'
        '<link>https://feed.example/1</link><author>eve@feed.example (Eve)</author>'
        '</item></channel></rss>')


@pytest.mark.slow
def test_cli_filters_query_words_and_counts(tmp_path: Path) -> None:
    root, cat = tmp_path / "site", tmp_path / "cat"
    _site(root)
    assert newsidx("ingest", str(root), catalogue=cat).returncode == 0

    def titles(*args: str) -> list[str]:
        out = newsidx("list", "--format", "jsonl", *args, catalogue=cat)
        return sorted(json.loads(line)["title"] for line in out.stdout.splitlines())

    assert titles("--author", "jane doe") == ["Release one", "Release two"]
    assert titles("--author", "bob ray", "--author", "cy dee") == ["Item a", "Release two"]
    assert titles("--lang", "en") == ["Release one"]  # the lang key wins over en/
    assert titles("--lang", "zh-CN") == ["Release three"]
    assert titles("--lang", "fr") == ["Item b"]
    assert titles("--folder", "business") == ["Markets rise"]
    assert titles("--folder", "en") == ["Release one", "Release two"]
    assert titles("--folder", "feeds", "--author", "cy dee") == ["Item a"]
    search = newsidx("search", "--format", "jsonl", "release", "author:\"Bob Ray\"", "lang:de",
                     catalogue=cat)
    assert [json.loads(x)["title"] for x in search.stdout.splitlines()] == ["Release two"]
    assert "author" not in search.stderr  # a known field now: no unknown-field note
    feed = newsidx("list", "--format", "jsonl", "--folder", "feeds", catalogue=cat)
    rows = [json.loads(x) for x in feed.stdout.splitlines()]
    authors = {r["title"]: r["authors"] for r in rows}
    assert authors["Feed item"] and authors["Item b"] == []
    count = newsidx("count", "--by", "folder", "--format", "csv", catalogue=cat)
    assert "business,1" in count.stdout and "feeds,3" in count.stdout
    count = newsidx("count", "--by", "lang", "--format", "csv", catalogue=cat)
    assert "zh-cn,1" in count.stdout and "no language" in count.stderr
    count = newsidx("count", "--by", "author", "--format", "csv", catalogue=cat)
    assert "Jane Doe,2" in count.stdout
    export = newsidx("export", "--format", "jsonl", "--folder", "zh_cn", catalogue=cat)
    assert [json.loads(x)["lang"] for x in export.stdout.splitlines()] == ["zh-cn"]
    assert newsidx("count", "folder:nowhere", catalogue=cat).returncode == 1


@pytest.mark.slow
@pytest.mark.shared
def test_bbc_business_folder(shared: Path, tmp_path: Path) -> None:
    bbc = shared / "corpora" / "bbc"
    files = sorted((bbc / "business").iterdir())
    distinct = len({f.read_bytes() for f in files})
    assert (len(files), distinct) == (510, 503)  # 7 files are byte-for-byte copies of others
    cat = tmp_path / "cat"
    assert newsidx("ingest", str(bbc), catalogue=cat).returncode == 0
    # identical files stay records of their own (ids come from the path, not the text)
    assert newsidx("count", "folder:business", catalogue=cat).stdout.strip() == "510"
    assert newsidx("count", "kind:article", catalogue=cat).stdout.strip() == "2225"
    out = newsidx("export", "--format", "jsonl", "--folder", "business", catalogue=cat)
    sources = [s for line in out.stdout.splitlines() for s in json.loads(line)["sources"]]
    assert sorted(sources) == [str(f) for f in files]


@pytest.mark.slow
@pytest.mark.shared
def test_ruby_lang_english_posts(shared: Path, tmp_path: Path) -> None:
    ruby = shared / "corpora" / "ruby-lang-news"
    cat = tmp_path / "cat"
    assert newsidx("ingest", str(ruby), catalogue=cat).returncode == 0
    out = newsidx("export", "--format", "jsonl", "--folder", "en", catalogue=cat)
    langs = [json.loads(line)["lang"] for line in out.stdout.splitlines()]
    assert len(langs) > 400 and set(langs) == {"en"}
    # every record a file under en/ gives is English, even one sharing a body with its
    # German copy (that merged the two, labelled de, when ids came from the text)
    out = newsidx("export", "--format", "jsonl", catalogue=cat)
    english = [r for r in map(json.loads, out.stdout.splitlines())
               if any(s.startswith(str(ruby / "en") + "/") for s in r["sources"])]
    assert len(english) == len(langs) and {r["lang"] for r in english} == {"en"}
    count = newsidx("count", "--by", "lang", "--format", "csv", catalogue=cat)
    assert {"en", "de", "ja", "zh-cn"} <= {r.split(",")[0] for r in count.stdout.split()}
