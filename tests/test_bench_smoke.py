"""Smoke tests of the benchmark: the generator at 200 articles, the whole harness at 1k
(and on the real ``bbc`` corpus when ``../shared`` has it), the corpus query rules."""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path
from types import ModuleType
from typing import Any

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
report = _load("report")
sqlite_engine = _load("sqlite_engine")
corpora = _load("corpora")
SMOKE_CORPUS = "bbc"  # plain text, 2,225 files: ~15 s for the whole corpus part


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


@pytest.mark.slow
def test_same_seed_gives_same_bytes_whatever_the_workers(out_dir: Path, shared: Path) -> None:
    one = _tree(_generate(out_dir, shared, jobs=1) / "files")
    two = _tree(_generate(out_dir, shared, jobs=2) / "files")
    assert len(one) == SIZE
    assert one == two
    other = _tree(_generate(out_dir, shared, jobs=1, seed=8) / "files")
    assert other.keys() == one.keys() and other != one


@pytest.mark.slow
def test_files_are_sharded_and_records_match(out_dir: Path, shared: Path) -> None:
    archive = _generate(out_dir, shared, jobs=1)
    records = _records(archive)
    assert [r["id"] for r in records] == [f"a{i}" for i in range(SIZE)]
    assert sorted(p.parent.name for p in (archive / "files").rglob("*.txt")) == ["0000"] * SIZE
    body_words = [len(str(r["body"]).split()) for r in records]
    assert min(body_words) >= 150 and max(body_words) < 700


@pytest.mark.slow
def test_about_ten_percent_plain_text(out_dir: Path, shared: Path) -> None:
    files = sorted((_generate(out_dir, shared, jobs=1) / "files").rglob("*.txt"))
    plain = [p for p in files if not p.read_text("utf-8").startswith("---\n")]
    assert 0.04 * SIZE <= len(plain) <= 0.17 * SIZE
    for path in plain:
        title, blank, _ = path.read_text("utf-8").split("\n", 2)
        assert title.strip() and blank == ""


@pytest.mark.slow
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


@pytest.mark.slow  # a benchmark smoke test (a whole generated archive): .ci/run runs it
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


_RUN: dict[str, tuple[dict[str, Any], str, str]] = {}


@pytest.fixture
def bench_1k(out_dir: Path, shared: Path,
             tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], str, str]:
    """The benchmark at 1k with ``--quick``, run once per session: results, report, stdout."""
    if "1k" in _RUN:
        return _RUN["1k"]
    if not _cli_runs():
        pytest.skip("the newsidx CLI is not runnable yet")
    tmp = tmp_path_factory.mktemp("bench-1k")
    results, docs = tmp / "results", tmp / "benchmarks.md"
    corpus = shared / "corpora" / SMOKE_CORPUS
    before = _corpus_state(corpus) if corpus.is_dir() else None
    proc = subprocess.run(
        [sys.executable, str(BENCH / "run.py"), "--sizes", "1k", "--runs", "1", "--quick",
         "--out", str(out_dir), "--shared", str(shared), "--results", str(results),
         "--docs", str(docs), "--peers", "rg,sqlite",
         "--corpora", SMOKE_CORPUS if before is not None else "none", "--newsapi", "none"],
        capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    if before is not None:
        assert _corpus_state(corpus) == before, "the benchmark changed the corpus"
    [path] = results.glob("*.json")
    _RUN["1k"] = (json.loads(path.read_text("utf-8")), docs.read_text("utf-8"), proc.stdout)
    return _RUN["1k"]


def _corpus_state(root: Path) -> dict[str, tuple[int, int]]:
    """Size and modification time of every file under ``root``."""
    return {str(p): (p.stat().st_size, p.stat().st_mtime_ns) for p in root.rglob("*")}


@pytest.mark.slow
def test_benchmark_runs_end_to_end_at_1k(bench_1k: tuple[dict[str, Any], str, str]) -> None:
    data, report, stdout = bench_1k
    size = data["sizes"]["1k"]
    assert size["ingest"]["cold"]["ok"], size["ingest"]["cold"].get("error")
    assert size["ingest"]["cold"]["rate"] > 0
    assert size["parse_limit"]["ok"] and size["parse_limit"]["rate"] > 0
    common = size["search"]["common"]
    assert common["ok"] and common["stdout_lines"] >= 1, common.get("error")
    assert data["machine"]["nproc"] >= 1 and data["machine"]["python"]
    assert [t["status"] for t in data["targets"]] == ["not measured"] * 6
    assert report == stdout
    assert "## Targets (issue #6)" in report and "## 1k articles" in report
    assert "| ingest, cold |" in report


@pytest.mark.slow
@pytest.mark.shared
def test_benchmark_measures_a_real_corpus(bench_1k: tuple[dict[str, Any], str, str]) -> None:
    data, report, _ = bench_1k
    if SMOKE_CORPUS not in data.get("corpora", {}):
        pytest.skip(f"../shared/corpora/{SMOKE_CORPUS} is not present")
    corpus = data["corpora"][SMOKE_CORPUS]
    assert corpus["size"] == 2225 and "PROVENANCE.md" not in corpus["ingested"]
    ingest = corpus["ingest"]
    for step in ("cold", "nothing_changed", "one_percent"):
        assert ingest[step]["ok"], (step, ingest[step].get("error"))
    assert corpus["parse_limit"]["ok"] and corpus["parse_limit"]["rate"] > 0
    queries = corpus["queries"]
    assert set(queries) == {"rare", "common", "two_words", "phrase", "filtered"}
    assert queries["filtered"] == {"na": "no providers or dates to filter on"}
    assert corpus["query_choice"]["df"]["rare"] <= 5
    search = corpus["search"]
    for kind in ("rare", "common", "two_words", "phrase"):
        assert search[kind]["ok"] and search[kind]["stdout_lines"] >= 1, (kind, search[kind])
        assert search["engine"][kind]["hits"] >= 1
    assert search["common"]["stdout_lines"] == 20
    assert search["filtered"] == {"na": "no providers or dates to filter on"}
    assert all(corpus["listing"][n]["ok"] for n in ("list", "providers", "timeline"))
    assert corpus["export"]["ok"] and 2000 < corpus["records"] <= 2225
    if corpus["peers"]["sqlite_fts5"]["status"] == "ok":
        assert corpus["peers"]["sqlite_fts5"]["build"]["ok"]
        assert corpus["peers"]["sqlite_fts5"]["search"]["common"]["stdout_lines"] >= 1
    assert data["sizes"]["1k"]["ingest"]["cold"]["ok"]
    assert [t["status"] for t in data["targets"]] == ["not measured"] * 6
    assert f"## Corpus `{SMOKE_CORPUS}` (2,225 files" in report
    assert f"Queries: rare word `{queries['rare']['text']}`" in report
    assert "| search: filtered | n/a |" in report
    assert "files/s" in report and "records for sqlite-utils" in report


def _write(path: Path, text: str | bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, "utf-8")


def test_corpus_queries_follow_the_rules(tmp_path: Path) -> None:
    """Plain text and Markdown front matter, a Jekyll date, a file that is not UTF-8."""
    root = tmp_path / "corpus"
    filler = " ".join(f"filler{chr(97 + i % 26)}{chr(97 + i // 26)}" for i in range(120))
    _write(root / "PROVENANCE.md", "# Not an article\n\nzeitgeist zeitgeist\n")
    _write(root / "news" / "a.txt", f"Headline one\n\nThe market said wheat rose. {filler}\n")
    _write(root / "news" / "b.txt", "Headline two\n\nMarket prices: the market said "
           "zeitgeist adicione.\n")
    _write(root / "news" / "c.txt", "Caf\xe9 news\n\nThe market said zeitgeist adicione "
           "caf\xe9.\n".encode("cp1252"))
    _write(root / "posts" / "2024-05-06-post.md", "---\ntitle: \"Market update\"\n"
           "lang: en\n---\n\nThe market: zeitgeist adicione adicional.\n")
    _write(root / "posts" / "2023-01-02-other.md", "---\ntitle: Other\ndate: 2023-01-02 "
           "10:00:00 +0000\n---\n\nAdicionales adicionado market.\n")
    paths = corpora.ingest_paths(root)
    assert [p.name for p in paths] == ["news", "posts"]
    assert len(list(corpora.walk(paths))) == 5
    assert corpora.read_article(root / "posts" / "2024-05-06-post.md")["date"].isoformat() \
        == "2024-05-06"
    picked = corpora.pick_queries(root, paths)
    assert picked["how"]["documents"] == 5
    assert picked["common"] == "market"  # in all 5 files; "said" in 3; "the" too short
    # df 3 both, but adicione's family (adicional, adicionales, adicionado) is in 6 files
    assert picked["rare"] == "zeitgeist"
    assert picked["how"]["anchor"] == "news/a.txt"  # the only file with 100+ words
    assert picked["phrase"] == "market said"  # "the" is too short, "said wheat" comes later
    assert picked["how"]["df"]["two_words_together"] >= 1
    assert picked["filtered"] is None  # the anchor has neither date nor provider
    assert picked["list_since"] == "2024-02-06"  # 90 days before the newest date
    parsed = subprocess.run([sys.executable, str(BENCH / "parselimit.py"), *map(str, paths),
                             "--jobs", "1"], capture_output=True, text=True, check=True)
    assert json.loads(parsed.stdout)["articles"] == 5


@pytest.mark.slow
@pytest.mark.shared
def test_ruby_lang_news_queries_have_a_date_filter(shared: Path) -> None:
    root = shared / "corpora" / "ruby-lang-news"
    if not root.is_dir():
        pytest.skip("../shared/corpora/ruby-lang-news is not present")
    picked = corpora.pick_queries(root)
    assert picked["how"]["documents"] == 4723 and picked["how"]["dated"]
    filtered = picked["filtered"]
    assert set(filtered) == {"query", "since", "until"} and filtered["query"] == picked["common"]
    assert filtered["since"] < filtered["until"]
    assert picked["list_provider"] is None and picked["list_since"]
    assert picked["how"]["df"]["rare"] <= 5 < picked["how"]["df"]["common"]


def _sqlite_utils() -> str:
    found = shutil.which("sqlite-utils") or str(Path(sys.executable).parent / "sqlite-utils")
    if not Path(found).exists():
        pytest.skip("sqlite-utils is not installed")
    return found


@pytest.mark.slow
def test_benchmark_reports_sqlite_engine_alone(bench_1k: tuple[dict[str, Any], str, str]) -> None:
    _sqlite_utils()
    data, report, _ = bench_1k
    size = data["sizes"]["1k"]
    sqlite = size["peers"]["sqlite_fts5"]
    assert sqlite["status"] == "ok"
    for kind in ("rare", "common", "two_words", "phrase"):
        engine = sqlite["engine"][kind]
        assert 0 < engine["min"] <= engine["median"] <= engine["max"], engine
        assert engine["hits"] == sqlite["search"][kind]["stdout_lines"]
    assert sqlite["engine"]["common"]["hits"] == 20
    ids_only = size["search"]["engine"]["common"]["ids_only"]
    assert 0 < ids_only["min"] <= ids_only["median"] <= ids_only["max"]
    assert ids_only["hits"] == 20
    with_parse = sqlite["build_incl_parse"]
    assert with_parse["median"] == pytest.approx(
        sqlite["build"]["median"] + size["parse_limit"]["median"])
    assert "| SQLite FTS5 | common word, engine alone (in process) |" in report
    assert "| SQLite FTS5 | build index incl. parse (parse-only limit + build) |" in report
    [search_target] = [t for t in data["targets"] if "20x" in t["target"]]
    assert "engine alone" in search_target["measured"]
    assert "whole process" in search_target["measured"]


@pytest.mark.slow
def test_sqlite_engine_runs_the_sql_of_sqlite_utils_search(
        out_dir: Path, shared: Path, tmp_path: Path) -> None:
    tool = _sqlite_utils()
    archive = _generate(out_dir, shared, jobs=1)
    db = tmp_path / "fts.db"
    for args in (["insert", str(db), "articles", str(archive / "records.jsonl"), "--nl",
                  "--pk", "id"], ["enable-fts", str(db), "articles", "title", "excerpt", "body"]):
        subprocess.run([tool, *args], check=True, capture_output=True)
    printed = subprocess.run([tool, "search", str(db), "articles", "x", "--limit", "20",
                              "-c", "id", "--sql"], check=True, capture_output=True, text=True)
    assert sqlite_engine.SEARCH_SQL.strip() == printed.stdout.strip()
    records = _records(archive)
    title_word = str(records[0]["title"]).split()[0].lower()
    specs = {"rare": {"text": title_word}, "common": {"text": "the"},
             "phrase": {"text": '"no such phrase here"'}}
    timed = sqlite_engine.measure(db, specs, repeat=4, budget=10.0)
    for kind, spec in specs.items():
        found = subprocess.run([tool, "search", str(db), "articles", spec["text"], "--limit",
                                "20", "-c", "id"], check=True, capture_output=True, text=True)
        expected = len(json.loads(found.stdout or "[]"))
        assert timed[kind]["hits"] == expected, kind
        assert timed[kind]["runs"] == 4
    assert timed["common"]["hits"] == 20 and timed["rare"]["hits"] >= 1
    assert timed["phrase"]["hits"] == 0
    assert "error" in sqlite_engine.measure(tmp_path / "missing.db", specs, 3, 1.0)


def _size(cold: float, build: float, parse: float, ours: float, theirs: float,
          whole_ours: float, whole_theirs: float) -> dict[str, Any]:
    def ok(median: float) -> dict[str, Any]:
        return {"ok": True, "median": median, "min": median, "max": median, "runs": 1}

    return {
        "size": 1_000_000, "archive_bytes": 2**30,
        "ingest": {"cold": {**ok(cold), "rate": 1e6 / cold}},
        "parse_limit": {**ok(parse), "rate": 1e6 / parse},
        "search": {"common": ok(whole_ours), "engine": {"common": {"median": ours}}},
        "peers": {"sqlite_fts5": {
            "status": "ok", "build": ok(build), "build_incl_parse": ok(build + parse),
            "search": {"common": ok(whole_theirs)},
            "engine": {"common": {"median": theirs, "min": theirs, "max": theirs}}}},
    }


def _target(sizes: dict[str, Any], words: str) -> dict[str, Any]:
    [found] = [t for t in report.check_targets({"sizes": sizes}) if words in t["target"]]
    return found


def test_targets_judge_engine_alone_and_pre_parsed_sqlite() -> None:
    fast = _size(cold=100, build=210, parse=50, ours=0.01, theirs=0.25,
                 whole_ours=0.15, whole_theirs=0.4)
    search = _target({"1M": fast}, "20x faster than SQLite")
    assert search["status"] == "PASS"
    assert search["measured"] == "engine alone 25.0x; whole process 2.7x"
    build = _target({"100k": fast}, "2x faster than sqlite-utils")
    assert build["status"] == "PASS"
    assert build["measured"] == "2.1x (pre-parsed records); incl. parse 2.6x (not judged)"
    slow = _size(cold=100, build=190, parse=50, ours=0.02, theirs=0.3,
                 whole_ours=0.01, whole_theirs=0.4)
    assert _target({"1M": slow}, "20x faster than SQLite")["status"] == "FAIL"
    assert _target({"100k": slow}, "2x faster than sqlite-utils")["status"] == "FAIL"
    early = _target({"100k": {**slow, "size": 100_000}}, "20x faster than SQLite")
    assert early["status"] == "not measured"
    assert early["measured"] == "at 100k: engine alone 15.0x; whole process 40.0x (would fail)"
    slow["search"]["engine"]["common"]["ids_only"] = {"median": 0.01}
    assert _target({"1M": slow}, "20x faster than SQLite")["measured"].startswith(
        "engine alone 30.0x;")
    del slow["search"]["engine"]
    search = _target({"1M": slow}, "20x faster than SQLite")
    assert search["status"] == "n/a"
    assert search["measured"] == "whole process 40.0x; engine alone not measured"
