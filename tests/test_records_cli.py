"""Issue 18 end to end, through a real ``python -m newsidx``: a record with a lone
surrogate no longer poisons the catalogue, an empty path is a usage error, the catalogue
is never ingested as articles, and odd files become honest records or honest skips."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import clirun

NEWSIDX = [sys.executable, "-m", "newsidx"]


def run(cat: Path, *args: str, code: int = 0) -> clirun.Done:
    result = clirun.newsidx(*args, catalogue=cat)
    assert result.returncode == code, (args, result.returncode, result.stderr)
    assert "Traceback" not in result.stderr, result.stderr
    return result


def test_a_lone_surrogate_no_longer_poisons_the_catalogue(tmp_path: Path) -> None:
    news = tmp_path / "news"
    news.mkdir()
    (news / "poison.md").write_text('{"title": "Poison \\ud800 pill", "tags": ["x\\udfff"],'
                                    ' "note": "\\u0000"}\nThe body of the poisoned one.\n')
    (news / "plain.md").write_text("---\ntitle: Plain pill\n---\nAn ordinary body.\n")
    cat = tmp_path / "cat"
    ingest = run(cat, "ingest", str(news))
    assert "poison.md" in ingest.stderr and "U+FFFD" in ingest.stderr
    listed = run(cat, "list", "--format", "jsonl").stdout.splitlines()
    titles = sorted(json.loads(line)["title"] for line in listed)
    assert titles == ["Plain pill", "Poison \ufffd pill"]
    assert "Poison" in run(cat, "search", "poisoned").stdout
    assert run(cat, "search", "pill", "--format", "ids").stdout.count("\n") == 2
    run(cat, "stats")
    exported = [json.loads(line) for line in run(cat, "export").stdout.splitlines()]
    poison = next(r for r in exported if r["title"].startswith("Poison"))
    assert poison["topics"] == ["x\ufffd"] and poison["extra"] == {"note": "\ufffd"}
    assert any("U+FFFD" in w for w in poison["warnings"])
    run(cat, "reindex")
    run(cat, "check", "--repair")
    assert len(run(cat, "list", "--format", "ids").stdout.split()) == 2


def test_an_empty_path_is_a_usage_error(tmp_path: Path) -> None:
    cat = tmp_path / "cat"
    (tmp_path / "a.md").write_text("A title\n\nbody\n")
    for args in (("ingest", ""), ("ingest", str(tmp_path), ""), ("ingest", "--from-jsonl", "")):
        result = run(cat, *args, code=2)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and "empty path" in lines[0], args
        assert ("PATHS" if "--from-jsonl" not in args else "--from-jsonl") in lines[0]
    assert not (cat / "records").exists()  # nothing was ingested


def test_the_catalogue_inside_an_ingest_root_is_never_ingested(tmp_path: Path) -> None:
    news = tmp_path / "news"
    news.mkdir()
    for n in range(3):
        (news / f"story-{n}.md").write_text(f"---\ntitle: Story {n}\n---\nBody {n}.\n")
    cat = news / "catalogue"  # not hidden: the walk meets it
    for _ in range(3):
        result = run(cat, "ingest", str(news), "--format", "json")
        summary = json.loads(result.stdout)
        assert summary["records_total"] == 3, summary
        assert "catalogue" not in result.stderr  # simply not a source: no noise
    sources = {s for line in run(cat, "export").stdout.splitlines()
               for s in json.loads(line)["sources"]}
    assert sources == {str(news / f"story-{n}.md") for n in range(3)}
    explicit = run(cat, "ingest", str(cat / "records"))
    assert "inside the catalogue" in explicit.stderr


def test_odd_files_become_honest_records_or_skips(tmp_path: Path) -> None:
    news = tmp_path / "news"
    news.mkdir()
    (news / "lfs.md").write_bytes(b"version https://git-lfs.github.com/spec/v1\n"
                                  b"oid sha256:" + b"0" * 64 + b"\nsize 10\n")
    (news / "offset.md").write_text("---\ntitle: Far east\ndate: 2024-03-05T10:00:00+24:00\n"
                                    "url: javascript:alert(1)\n---\nbody\n")
    (news / "gbk.md").write_bytes("---\ntitle: 中国经济增长放缓，央行宣布降息\n---\n"
                                  "国家统计局今天公布的数据显示，经济增速有所放缓。\n".encode("gbk"))
    cat = tmp_path / "cat"
    result = run(cat, "ingest", str(news))
    assert "lfs.md: Git LFS pointer, not an article" in result.stderr
    records = {r["title"]: r for r in map(json.loads, run(cat, "export").stdout.splitlines())}
    assert set(records) == {"Far east", "中国经济增长放缓，央行宣布降息"}
    far = records["Far east"]
    assert far["published"] is None and far["url"] is None
    assert far["extra"] == {"url": "javascript:alert(1)"}
    assert any("GB" in w for w in records["中国经济增长放缓，央行宣布降息"]["warnings"])
