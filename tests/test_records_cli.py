"""Issue 18 end to end, through a real ``python -m newsidx``: an empty path is a usage
error and the catalogue is never ingested as articles."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

NEWSIDX = [sys.executable, "-m", "newsidx"]


def run(cat: Path, *args: str, code: int = 0) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([*NEWSIDX, "--catalogue", str(cat), *args], capture_output=True,
                            text=True, encoding="utf-8", errors="strict", timeout=120,
                            check=False)
    assert result.returncode == code, (args, result.returncode, result.stderr)
    assert "Traceback" not in result.stderr, result.stderr
    return result


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
