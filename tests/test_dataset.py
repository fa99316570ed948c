"""Datasets (JSON arrays, JSON Lines, gzip): detection, mapping, streaming, incremental."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from newsidx.api import Archive
from newsidx.formats import dataset, jsonstream, sniff
from newsidx.model import Article, canonical_url, make_id

_EPOCH_2023 = 1_700_000_000  # 2023-11-14T22:13:20Z


def _headlines(n: int) -> list[dict[str, Any]]:
    return [{"title": f"Headline number {i}", "domain": "example.org",
             "category": ["World", "Markets"] if i % 2 else "Sport",
             "link": f"https://www.example.org/news/{i}",
             "timestamp": _EPOCH_2023 + i * 3600 if i % 3 else (_EPOCH_2023 + i) * 1000}
            for i in range(n)]


def _by_title(archive: Archive) -> dict[str, Article]:
    return {r.title: r for r in archive.export()}


def _cli(*args: str, env_root: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NEWSIDX_CATALOGUE": str(env_root)}
    return subprocess.run([sys.executable, "-m", "newsidx", *args], capture_output=True,
                          text=True, env=env, timeout=120, check=False)


def test_sniff_tells_datasets_from_article_files() -> None:
    assert sniff(b'[\n  {"title": "a"}]') == "array"
    assert sniff(b"[]") == "array"
    assert sniff(b'{"title": "a"}\n{"title": "b"}\n') == "jsonl"
    assert sniff(b'{"title": "a"}\nThe body of a JSON-headed article.\n') is None
    assert sniff(b"---\ntitle: a\n---\n") is None
    assert sniff(b"[draft] a plain-text title\n") is None
    export = {"id": "x", "kind": "article", "sources": ["a.md"], "extra": {}}
    assert sniff(json.dumps(export).encode() + b"\n") == "export"


def test_json_array_with_unix_timestamps(tmp_path: Path) -> None:
    rows = _headlines(30)
    (tmp_path / "headlines.json").write_text(json.dumps(rows, indent=1))
    archive = Archive(tmp_path / "cat")
    report = archive.ingest(tmp_path / "headlines.json")
    assert report.exit_code == 0 and report.records_added == 30
    got = _by_title(archive)
    assert len(got) == 30
    for i, row in enumerate(rows):
        record = got[row["title"]]
        seconds = row["timestamp"] / 1000 if row["timestamp"] > 10**11 else row["timestamp"]
        assert record.published is not None and record.published.timestamp() == seconds
        assert record.provider is not None and record.provider.domain == "example.org"
        assert record.url == canonical_url(row["link"])
        topics = row["category"] if isinstance(row["category"], list) else [row["category"]]
        assert list(record.topics) == topics
        assert record.extra["source_index"] == i
        assert record.sources == (str(tmp_path / "headlines.json"),)
        assert record.parents == ()


def test_array_streamed_across_chunk_boundaries(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """A tiny read size cuts strings, numbers and multi-byte characters in two."""
    rows = [{"title": f"Ünïcode ✓ {i} \"quoted\"", "url": f"https://ex.net/{i}",
             "timestamp": 1_700_000_000 + i, "tags": ["a", "b"]} for i in range(40)]
    path = tmp_path / "a.json"
    path.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
    monkeypatch.setattr(jsonstream, "_CHUNK", 7)
    result = dataset.read_dataset(str(path), "array", False, 10_000)
    assert result.failures == []
    assert [r.title for r in result.records] == [row["title"] for row in rows]
    assert [r.extra["source_index"] for r in result.records] == list(range(40))


def test_array_syntax_error_keeps_items_before_it(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('[\n{"title": "one", "url": "https://a.org/1"},\n'
                    '{"title": "two", "url": "https://a.org/2"}\n'
                    '{"title": "three"}\n]\n')
    result = dataset.read_dataset(str(path), "array", False, 10_000)
    assert [r.title for r in result.records] == ["one", "two"]
    assert len(result.failures) == 1
    assert result.failures[0].startswith(f"{path}:4: ")


def test_jsonl_broken_line_fails_alone_end_to_end(tmp_path: Path) -> None:
    lines = [json.dumps({"headline": f"Story {i}", "url": f"https://news.example/{i}"})
             for i in range(5)]
    lines[2] = '{"headline": "cut off", "url": '
    lines.insert(4, "[1, 2]")
    lines.insert(5, json.dumps({"summary": "neither title nor url"}))
    path = tmp_path / "feed.jsonl"
    path.write_text("\n".join(lines) + "\n")
    result = _cli("ingest", str(path), env_root=tmp_path / "cat")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert f"{path}:3: " in result.stderr
    assert f"{path}:5: " in result.stderr
    assert f"{path}:6: " in result.stderr
    titles = {r.title: r for r in Archive(tmp_path / "cat").export()}
    assert set(titles) == {"Story 0", "Story 1", "Story 3", "Story 4"}
    assert titles["Story 3"].extra["source_line"] == 4
    assert titles["Story 4"].extra["source_line"] == 7
    shown = _cli("show", titles["Story 3"].id, env_root=tmp_path / "cat")
    assert str(path) in shown.stdout and "source_line" in shown.stdout


def test_gzip_dataset(tmp_path: Path) -> None:
    rows = _headlines(12)
    path = tmp_path / "dump.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8") as out:
        for row in rows:
            out.write(json.dumps(row) + "\n")
    archive = Archive(tmp_path / "cat")
    report = archive.ingest(path)
    assert report.exit_code == 0 and report.records_added == 12
    assert set(_by_title(archive)) == {row["title"] for row in rows}


def test_size_limit_applies_per_item(tmp_path: Path) -> None:
    rows = [{"title": f"t{i}", "url": f"https://s.example/{i}", "body": "x" * 300}
            for i in range(20)]
    rows[7]["body"] = "y" * 5000
    path = tmp_path / "big.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    assert path.stat().st_size > 4096
    archive = Archive(tmp_path / "cat")
    report = archive.ingest(path, max_size=4096)
    assert report.records_added == 19
    assert report.exit_code == 1
    assert [m for _, m in report.failed] == [f"{path}:8: item over the 4,096-byte size limit"]


def test_reingest_unchanged_then_one_item_edited(tmp_path: Path) -> None:
    rows = _headlines(50)
    path = tmp_path / "h.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    archive = Archive(tmp_path / "cat")
    first = archive.ingest(path)
    assert first.records_added == 50
    again = archive.ingest(path)
    assert not again.changed and again.unchanged == 1
    rows[10]["title"] = "An edited headline"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    edited = archive.ingest(path)
    assert (edited.records_added, edited.records_updated, edited.records_removed) == (0, 1, 0)
    assert "An edited headline" in _by_title(archive)
    assert archive.count("edited") == 1
    del rows[20]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows[:25]))
    shrunk = archive.ingest(path)
    # item 20 and items 26..49 are gone; items 21..25 moved up a line, and the line is
    # part of each record (its source_line), so those five are updated
    assert (shrunk.records_removed, shrunk.records_updated) == (25, 5)
    assert len(list(archive.export())) == 25


def test_dataset_records_get_parents_only_from_citing_articles(tmp_path: Path) -> None:
    """A dataset's articles cite none of each other, even when merged later."""
    rows = _headlines(4)
    data = tmp_path / "d.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    md = tmp_path / "citing.md"
    md.write_text(f"---\ntitle: Citing\nurl: https://c.example/1\nrelated:\n"
                  f"  - title: cited\n    url: {rows[2]['link']}\n---\nBody.\n")
    archive = Archive(tmp_path / "cat")
    archive.ingest([data, md])
    citing = make_id(url=canonical_url("https://c.example/1"), title="Citing")
    cited = make_id(url=canonical_url(rows[2]["link"]), title="")
    assert archive.get(cited).parents == (citing,)
    md.write_text(md.read_text().replace("Body.", "Body, edited."))
    archive.ingest([data, md])  # the record is merged again; the dataset is not re-read
    record = archive.get(cited)
    assert record.kind == "article" and record.parents == (citing,)
    other = tmp_path / "e.jsonl"
    other.write_text("".join(json.dumps(r) + "\n" for r in reversed(rows)))
    archive.ingest([data, md, other])
    for row in rows:
        rid = make_id(url=canonical_url(row["link"]), title="")
        assert archive.get(rid).parents == ((citing,) if row is rows[2] else ())


# -- NewsAPI v2 rows as they are ----------------------------------------------------------

_NEWSAPI_FILES = {"au.jsonl": 1367, "gb.jsonl": 1736, "nl.jsonl": 26642, "us.jsonl": 26751}


def _raw_rows(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


@pytest.mark.shared
@pytest.mark.parametrize("name", ["au.jsonl", "gb.jsonl"])
def test_newsapi_rows_field_by_field(shared: Path, name: str) -> None:
    path = shared / "feeds" / "newsapi-2023" / name
    rows = _raw_rows(path)
    assert len(rows) == _NEWSAPI_FILES[name]
    result = dataset.read_dataset(str(path), "jsonl", False, 10 * 1024 * 1024)
    assert result.failures == []
    distinct = {canonical_url(r["url"]) for r in rows}
    assert len(result.records) == len(distinct)
    by_line = {r.extra["source_line"]: r for r in result.records}
    sample = [n for n in [*range(1, len(rows) + 1, 97), len(rows)] if n in by_line]
    assert len(sample) > 10
    for line in sample:
        raw, record = rows[line - 1], by_line[line]
        assert record.title == raw["title"].strip()
        assert record.url == canonical_url(raw["url"])
        host = raw["url"].split("/")[2].lower()
        assert record.provider is not None
        assert record.provider.name == raw["source"]["name"]
        assert record.provider.domain == host.removeprefix("www.")
        assert record.excerpt == (raw["description"] or "").strip()
        if raw["content"]:
            body = raw["content"]
            cut = body.rfind("… [+")
            assert record.body == (body[:cut] if cut >= 0 else body).strip()
            assert record.extra.get("truncated", False) is (cut >= 0)
        if raw["publishedAt"].startswith("1970"):
            assert record.published is None and record.date_source is None
        else:
            assert record.published_raw == raw["publishedAt"]
            assert record.date_source == "publishedAt"
            assert record.published is not None
        assert [i.url for i in record.images] == ([raw["urlToImage"]] if raw["urlToImage"]
                                                  else [])
        assert record.extra["country"] == raw["country"]
        assert record.extra["first_seen"] == raw["first_seen"]


@pytest.mark.shared
def test_newsapi_epoch_placeholder_is_undated_with_a_warning(shared: Path) -> None:
    path = shared / "feeds" / "newsapi-2023" / "au.jsonl"
    lines = [n for n, row in enumerate(_raw_rows(path), 1)
             if row["publishedAt"].startswith("1970")]
    assert lines
    result = dataset.read_dataset(str(path), "jsonl", False, 10 * 1024 * 1024)
    undated = [r for r in result.records if r.extra["source_line"] in lines]
    assert undated and all(r.published is None for r in undated)
    assert any(w.startswith(f"line {lines[0]}: ") and "placeholder" in w
               for w in result.warnings)


@pytest.mark.slow
@pytest.mark.shared
def test_newsapi_file_over_the_per_file_limit_is_ingested(shared: Path, tmp_path: Path) -> None:
    path = shared / "feeds" / "newsapi-2023" / "nl.jsonl"
    assert path.stat().st_size > 10 * 1024 * 1024
    archive = Archive(tmp_path / "cat")
    report = archive.ingest(path, jobs=1)
    distinct = {canonical_url(r["url"]) for r in _raw_rows(path)}
    assert report.exit_code == 0
    assert report.records_added == len(distinct) == len(archive)


@pytest.mark.slow
def test_own_export_read_back_by_plain_ingest_round_trips(seeds: Path, tmp_path: Path) -> None:
    first, second = tmp_path / "one", tmp_path / "two"
    assert _cli("ingest", str(seeds), env_root=first).returncode == 0
    exported = _cli("export", "--format", "jsonl", env_root=first)
    assert exported.returncode == 0 and exported.stdout.count("\n") > 10
    dump = tmp_path / "dump.jsonl"
    dump.write_text(exported.stdout)
    back = _cli("ingest", str(dump), env_root=second)
    assert back.returncode == 0, back.stderr
    assert "newsidx export" in back.stderr
    again = _cli("export", "--format", "jsonl", env_root=second)
    assert again.stdout == exported.stdout
    alias = _cli("ingest", "--from-jsonl", str(dump), env_root=tmp_path / "three")
    assert alias.returncode == 0
    walked = Archive(tmp_path / "four").ingest(tmp_path)  # met in a walk: skipped, said why
    assert any(path == str(dump) and "newsidx export" in why for path, why in walked.skipped)
