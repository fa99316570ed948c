"""Smoke tests of the benchmark: the generator at 200 articles, the whole harness at 1k."""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path
from types import ModuleType

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"
SIZE = 200
_TABLES: dict[str, Path] = {}


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCH / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


gen = _load("generate")


@pytest.fixture
def out_dir(shared: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A scratch ``bench/out`` whose word/provider tables are built once per session."""
    if "dir" not in _TABLES:
        path = tmp_path_factory.mktemp("bench-out")
        gen.load_tables(path, shared)
        _TABLES["dir"] = path
    return _TABLES["dir"]


def _generate(out: Path, shared: Path, jobs: int, seed: int = 7) -> Path:
    target = out / f"jobs{jobs}-seed{seed}"
    if not (target.exists()):
        target.mkdir()
        shutil.copy(out / gen.TABLES_NAME, target / gen.TABLES_NAME)
    return Path(gen.generate(SIZE, seed, target, shared, jobs=jobs, quiet=True))


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*.txt"))}


def _records(archive: Path) -> list[dict[str, object]]:
    lines = (archive / "records.jsonl").read_text("utf-8").splitlines()
    return [json.loads(line) for line in lines]


def test_same_seed_gives_same_bytes_whatever_the_workers(out_dir: Path, shared: Path) -> None:
    one = _tree(_generate(out_dir, shared, jobs=1) / "files")
    two = _tree(_generate(out_dir, shared, jobs=2) / "files")
    assert len(one) == SIZE
    assert one == two
    other = _tree(_generate(out_dir, shared, jobs=1, seed=8) / "files")
    assert other.keys() == one.keys() and other != one


def test_files_are_sharded_and_records_match(out_dir: Path, shared: Path) -> None:
    archive = _generate(out_dir, shared, jobs=1)
    records = _records(archive)
    assert [r["id"] for r in records] == [f"a{i}" for i in range(SIZE)]
    assert sorted(p.parent.name for p in (archive / "files").rglob("*.txt")) == ["0000"] * SIZE
    body_words = [len(str(r["body"]).split()) for r in records]
    assert min(body_words) >= 150 and max(body_words) < 700


def test_about_ten_percent_plain_text(out_dir: Path, shared: Path) -> None:
    files = sorted((_generate(out_dir, shared, jobs=1) / "files").rglob("*.txt"))
    plain = [p for p in files if not p.read_text("utf-8").startswith("---\n")]
    assert 0.04 * SIZE <= len(plain) <= 0.17 * SIZE
    for path in plain:
        title, blank, _ = path.read_text("utf-8").split("\n", 2)
        assert title.strip() and blank == ""


def test_providers_topics_and_dates_are_skewed(out_dir: Path, shared: Path) -> None:
    records = [r for r in _records(_generate(out_dir, shared, jobs=1)) if r["provider"]]
    providers = Counter(str(r["provider"]) for r in records)
    top_share = providers.most_common(1)[0][1] / len(records)
    assert len(providers) > 20
    assert top_share > 5 / len(providers)  # far above a uniform draw
    assert sum(c for _, c in providers.most_common(3)) / len(records) > 0.15
    topics = Counter(t for r in records for t in str(r["topics"]).split())
    assert topics.most_common(1)[0][1] > 4 * len(records) / 135
    years = Counter(str(r["published"])[:4] for r in records)
    assert years["2024"] > 0.5 * len(records) > years["2022"]


def test_parse_file_reads_every_generated_file(out_dir: Path, shared: Path) -> None:
    parse = pytest.importorskip("newsidx.parse")
    archive = _generate(out_dir, shared, jobs=1)
    for record in _records(archive):
        index = int(str(record["id"])[1:])
        result = parse.parse_file(archive / "files" / gen.file_name(index))
        article = result.records[0]
        assert " ".join(article.title.split()) == record["title"]
        if record["provider"]:
            assert result.format == "yaml"
            assert article.provider_key == record["provider"]
            assert article.published is not None
            assert article.published.strftime("%Y-%m-%dT%H:%M:%SZ") == record["published"]
        else:
            assert result.format == "text"


def _cli_runs() -> bool:
    """True when ``newsidx --help`` works and the modules ingest needs exist."""
    for module in ("newsidx.cli", "newsidx.parse", "newsidx.ingest", "newsidx.index"):
        if importlib.util.find_spec(module) is None:
            return False
    exe = Path(sys.executable).parent / "newsidx"
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "newsidx"]
    try:
        return subprocess.run([*cmd, "--help"], capture_output=True, timeout=60).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


@pytest.mark.slow
def test_benchmark_runs_end_to_end_at_1k(out_dir: Path, shared: Path, tmp_path: Path) -> None:
    if not _cli_runs():
        pytest.skip("the newsidx CLI is not runnable yet")
    results, docs = tmp_path / "results", tmp_path / "benchmarks.md"
    proc = subprocess.run(
        [sys.executable, str(BENCH / "run.py"), "--sizes", "1k", "--runs", "1", "--quick",
         "--out", str(out_dir), "--shared", str(shared), "--results", str(results),
         "--docs", str(docs), "--peers", "rg,sqlite"],
        capture_output=True, text=True, timeout=240, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    [path] = results.glob("*.json")
    data = json.loads(path.read_text("utf-8"))
    size = data["sizes"]["1k"]
    assert size["ingest"]["cold"]["ok"], size["ingest"]["cold"].get("error")
    assert size["ingest"]["cold"]["rate"] > 0
    assert size["parse_limit"]["ok"] and size["parse_limit"]["rate"] > 0
    common = size["search"]["common"]
    assert common["ok"] and common["stdout_lines"] >= 1, common.get("error")
    assert data["machine"]["nproc"] >= 1 and data["machine"]["python"]
    assert [t["status"] for t in data["targets"]] == ["not measured"] * 6
    report = docs.read_text("utf-8")
    assert report == proc.stdout
    assert "## Targets (issue #6)" in report and "## 1k articles" in report
    assert "| ingest, cold |" in report
