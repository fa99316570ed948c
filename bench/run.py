"""The benchmark: ``python bench/run.py --sizes 1k,10k,100k [--corpora all]``.

For each size: generate the archive if missing, then time whole processes (several
runs; median, min and max; peak memory) for newsidx ingest (cold, nothing changed,
1% changed), the parse-only limit, searches of five kinds (whole process and engine
alone), list/providers/timeline, and the peers that are installed (ripgrep,
sqlite-utils FTS5, recoll) on the same archive. Then the same for each real corpus
under ``../shared/corpora/`` (``corpora.py``: read in place, queries chosen from the
corpus; informational, no targets). A failing command is recorded and the run goes on.
Results go to ``bench/results/<date>-<host>.json`` and, as Markdown with the issue's
targets marked, to ``docs/benchmarks.md``.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import pstats
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

import corpora  # noqa: E402
import generate  # noqa: E402
import newsapi  # noqa: E402
import report  # noqa: E402

ROOT = BENCH.parent
PY = sys.executable
SEARCH_KINDS = ("rare", "common", "two_words", "phrase", "filtered")
Sample = dict[str, Any]


@dataclass
class Config:
    sizes: list[int]
    runs: int
    search_runs: int
    quick: bool
    seed: int
    out: Path
    shared: Path
    results: Path
    docs: Path | None
    peers: set[str]
    profile_size: int | None
    newsidx: list[str]
    skip_changed: bool = False
    corpora: list[Path] = dataclasses.field(default_factory=list)
    newsapi: bool = True


def newsidx_command() -> list[str]:
    script = Path(PY).parent / "newsidx"
    if script.exists():
        return [str(script)]
    found = shutil.which("newsidx")
    return [found] if found else [PY, "-m", "newsidx"]


def measure(cmd: Sequence[str], env: dict[str, str], ok_codes: tuple[int, ...] = (0,)) -> Sample:
    """One whole-process measurement through ``measure.py``, never raising."""
    proc = subprocess.run([PY, str(BENCH / "measure.py"), "--", *cmd], env=env,
                          capture_output=True, text=True, check=False)
    try:
        sample: Sample = json.loads(proc.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return {"ok": False, "wall": 0.0, "error": f"measure failed: {proc.stderr[-300:]}"}
    if sample.get("rc") in ok_codes:
        sample["ok"] = True
        sample.pop("error", None)
    return sample


def summarize(samples: list[Sample]) -> dict[str, Any]:
    good = [s for s in samples if s.get("ok")]
    out: dict[str, Any] = {"runs": len(samples), "ok_runs": len(good), "ok": bool(good)
                           and len(good) == len(samples)}
    if good:
        walls = [s["wall"] for s in good]
        out.update(median=statistics.median(walls), min=min(walls), max=max(walls),
                   maxrss_mib=max(s.get("maxrss_mib") or 0 for s in good),
                   tree_peak_mib=max(s.get("tree_peak_mib") or 0 for s in good),
                   tree_anon_peak_mib=max(s.get("tree_anon_peak_mib") or 0 for s in good),
                   stdout_lines=good[-1].get("stdout_lines"))
    bad = [s for s in samples if not s.get("ok")]
    if bad:
        out["error"] = bad[0].get("error", "failed")
    return out


def series(cmd: Sequence[str], env: dict[str, str], runs: int, *,
           before: Callable[[int], None] | None = None,
           ok_codes: tuple[int, ...] = (0,)) -> dict[str, Any]:
    """``runs`` measurements of ``cmd``; stops after a failure so a broken command is cheap."""
    samples: list[Sample] = []
    for run in range(runs):
        if before:
            before(run)
        sample = measure(cmd, env, ok_codes)
        samples.append(sample)
        if not sample.get("ok"):
            break
    return summarize(samples)


def disk_bytes(path: Path) -> int:
    total = 0
    for base, _dirs, files in os.walk(path):
        for name in files:
            try:
                total += os.lstat(os.path.join(base, name)).st_blocks * 512
            except OSError:
                continue
    return total


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


class Editor:
    """Changes 1% of the archive's files for a run and puts the originals back.

    ``path_of(i)`` is the ``i``-th of the ``size`` files (computed, so that nothing holds a
    list of a million paths)."""

    def __init__(self, path_of: Callable[[int], Path], size: int) -> None:
        self.path_of = path_of
        self.size = size
        self.originals: dict[Path, bytes] = {}

    def edit(self, run: int) -> None:
        rng = random.Random(1000 + run)
        for index in rng.sample(range(self.size), max(1, self.size // 100)):
            path = self.path_of(index)
            data = self.originals.setdefault(path, path.read_bytes())
            path.write_bytes(data + f"Edited in benchmark run {run}.\n".encode())

    def restore(self) -> None:
        for path, data in self.originals.items():
            path.write_bytes(data)
        self.originals.clear()


def search_cmd(cfg: Config, spec: dict[str, Any]) -> list[str]:
    cmd = [*cfg.newsidx, "search", spec["text"], "--limit", "20", "--format", "ids"]
    for key in ("provider", "since", "until"):
        if spec.get(key):
            cmd += [f"--{key}", spec[key]]
    return cmd


def query_specs(queries: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The five query kinds; ``filtered`` is ``{"na": reason}`` when there is nothing to
    filter on (a corpus without providers or dates), and holds only the filters it has."""
    filtered = queries["filtered"]
    return {
        "rare": {"text": queries["rare"]},
        "common": {"text": queries["common"]},
        "two_words": {"text": queries["two_words"]},
        "phrase": {"text": f'"{queries["phrase"]}"', "words": queries["phrase"]},
        "filtered": {"text": filtered["query"],
                     **{k: filtered[k] for k in ("provider", "since", "until") if filtered.get(k)}}
        if filtered else {"na": "no providers or dates to filter on"},
    }


def bench_ingest(cfg: Config, paths: Sequence[Path], cat: Path, env: dict[str, str], size: int,
                 one_percent: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """Cold, nothing changed, and ``one_percent()`` (the 1%-changed runs)."""
    ingest = [*cfg.newsidx, "ingest", *map(str, paths)]

    def fresh(_run: int) -> None:
        shutil.rmtree(cat, ignore_errors=True)

    out: dict[str, Any] = {}
    log("  ingest cold")
    out["cold"] = series(ingest, env, cfg.runs, before=fresh)
    if out["cold"]["ok"]:
        out["cold"]["rate"] = size / out["cold"]["median"]
        out["catalogue_bytes"] = disk_bytes(cat)
        out["index_bytes"] = disk_bytes(cat / "index") if (cat / "index").exists() else None
        log("  ingest nothing changed")
        out["nothing_changed"] = series(ingest, env, cfg.runs)
        if cfg.skip_changed:
            out["one_percent"] = {"skipped": "--skip-changed"}
        else:
            log("  ingest 1% changed")
            out["one_percent"] = one_percent()
    return out


def bench_parse_limit(cfg: Config, paths: Sequence[Path], env: dict[str, str],
                      size: int) -> dict[str, Any]:
    log("  parse-only limit")
    out = series([PY, str(BENCH / "parselimit.py"), *map(str, paths)], env, cfg.runs)
    if out["ok"]:
        out["rate"] = size / out["median"]
    return out


def in_process(script: str, target: Path, specs: dict[str, dict[str, Any]], work: Path,
               cfg: Config, env: dict[str, str]) -> dict[str, Any]:
    """Run an in-process timing script (``engine.py``, ``sqlite_engine.py``); never raises."""
    queries = work / "engine-queries.json"
    queries.write_text(json.dumps(specs), "utf-8")
    proc = subprocess.run([PY, str(BENCH / script), str(target), str(queries),
                           "--repeat", str(max(3, cfg.search_runs * 2))],
                          env=env, capture_output=True, text=True, check=False)
    try:
        found: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return {"error": f"n/a: {script} failed: {proc.stderr.strip()[-300:]}"}
    return found


def bench_search(cfg: Config, cat: Path, env: dict[str, str],
                 specs: dict[str, dict[str, Any]], work: Path) -> dict[str, Any]:
    """Each query kind in ``specs`` as whole processes, then the engine alone; a kind whose
    spec is ``{"na": reason}`` (a corpus without dates or providers to filter on) is not run."""
    log("  search")
    runnable = {kind: spec for kind, spec in specs.items() if "na" not in spec}
    out: dict[str, Any] = {kind: ({"na": spec["na"]} if "na" in spec
                                  else series(search_cmd(cfg, spec), env, cfg.search_runs))
                           for kind, spec in specs.items()}
    out["engine"] = in_process("engine.py", cat, runnable, work, cfg, env)
    return out


def bench_listing(cfg: Config, env: dict[str, str], queries: dict[str, Any],
                  dated: bool = True, providers: bool = True) -> dict[str, Any]:
    """``list`` (with ``--provider``/``--since`` when the queries have them), ``providers``
    and ``timeline``; ``timeline`` exits 1 ("no dated records match") on an undated
    corpus, and ``providers`` on one whose records name no provider, which is then
    their expected answer."""
    log("  list / providers / timeline")
    listing = [*cfg.newsidx, "list"]
    for key in ("provider", "since"):
        if queries.get(f"list_{key}"):
            listing += [f"--{key}", queries[f"list_{key}"]]
    out = {"list": series(listing, env, cfg.search_runs),
           "providers": series([*cfg.newsidx, "providers"], env, cfg.search_runs,
                               ok_codes=(0,) if providers else (0, 1)),
           "timeline": series([*cfg.newsidx, "timeline"], env, cfg.search_runs,
                              ok_codes=(0,) if dated else (0, 1))}
    out["list"]["command"] = " ".join(["newsidx", *listing[len(cfg.newsidx):]])
    if not dated:
        out["timeline"]["note"] = "no dated records: exit 1 expected"
    if not providers:
        out["providers"]["note"] = "no providers: exit 1 expected"
    return out


def bench_peers(cfg: Config, records: Path, paths: Sequence[Path], work: Path,
                env: dict[str, str], specs: dict[str, dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    rg = shutil.which("rg")
    if "rg" not in cfg.peers:
        out["ripgrep"] = {"status": "skipped"}
    elif not rg:
        out["ripgrep"] = {"status": "not installed"}
    else:
        log("  peer: ripgrep")
        out["ripgrep"] = {"status": "ok", "search": {
            kind: series([rg, "-l", "-i", "-F", specs[kind].get("words", specs[kind]["text"]),
                          *map(str, paths)], env, cfg.search_runs, ok_codes=(0, 1))
            for kind in ("rare", "common", "phrase")}}
    sqlite_utils = shutil.which("sqlite-utils") or str(Path(PY).parent / "sqlite-utils")
    if "sqlite" not in cfg.peers:
        out["sqlite_fts5"] = {"status": "skipped"}
    elif not Path(sqlite_utils).exists():
        out["sqlite_fts5"] = {"status": "not installed"}
    else:
        log("  peer: sqlite-utils FTS5")
        out["sqlite_fts5"] = _sqlite(cfg, sqlite_utils, records, work, env, specs)
    if "recoll" not in cfg.peers:
        out["recoll"] = {"status": "skipped"}
    elif not (shutil.which("recollindex") and shutil.which("recollq")):
        out["recoll"] = {"status": "not installed"}
    else:
        log("  peer: recoll")
        out["recoll"] = _recoll(cfg, paths, work, env, specs)
    return out


def _sqlite(cfg: Config, tool: str, records: Path, work: Path, env: dict[str, str],
            specs: dict[str, dict[str, Any]]) -> dict[str, Any]:
    db = work / "sqlite.db"
    inserts: list[Sample] = []
    ftss: list[Sample] = []
    totals: list[Sample] = []
    for _run in range(cfg.runs):
        db.unlink(missing_ok=True)
        ins = measure([tool, "insert", str(db), "articles", str(records), "--nl", "--pk", "id"],
                      env)
        fts = measure([tool, "enable-fts", str(db), "articles", "title", "excerpt", "body"], env)
        inserts.append(ins)
        ftss.append(fts)
        totals.append({**fts, "ok": ins.get("ok") and fts.get("ok"),
                       "wall": ins.get("wall", 0) + fts.get("wall", 0),
                       "error": ins.get("error") or fts.get("error")})
        if not totals[-1]["ok"]:
            break
    out: dict[str, Any] = {"status": "ok", "insert": summarize(inserts),
                           "enable_fts": summarize(ftss), "build": summarize(totals),
                           "db_bytes": db.stat().st_size if db.exists() else None}
    out["search"] = {
        kind: series([tool, "search", str(db), "articles", specs[kind]["text"], "--limit", "20",
                      "-c", "id"], env, cfg.search_runs)
        for kind in ("rare", "common", "two_words", "phrase")}
    if out["build"]["ok"]:
        log("  peer: SQLite FTS5 engine alone")
        out["engine"] = in_process("sqlite_engine.py", db,
                                   {k: v for k, v in specs.items() if "na" not in v}, work, cfg,
                                   env)
    return out


def _recoll(cfg: Config, paths: Sequence[Path], work: Path, env: dict[str, str],
            specs: dict[str, dict[str, Any]]) -> dict[str, Any]:
    conf = work / "recoll"
    shutil.rmtree(conf, ignore_errors=True)
    conf.mkdir(parents=True)
    (conf / "recoll.conf").write_text(
        f"topdirs = {' '.join(map(str, paths))}\ndbdir = {conf / 'xapiandb'}\nloglevel = 1\n"
        "indexStemmingLanguages = english\n", "utf-8")
    build = series(["recollindex", "-c", str(conf)], env, 1)
    out: dict[str, Any] = {"status": "ok", "build": build, "build_runs_note": "1 run"}
    if build["ok"]:
        out["db_bytes"] = disk_bytes(conf / "xapiandb")
        out["search"] = {
            kind: series(["recollq", "-c", str(conf), "-b", "-n", "20", specs[kind]["text"]],
                         env, cfg.search_runs)
            for kind in ("rare", "common", "two_words", "phrase")}
    return out


def _sqlite_incl_parse(result: dict[str, Any]) -> None:
    """Add sqlite-utils' build plus the parse-only limit: its cost had it parsed the YAML too.

    sqlite-utils is fed ``records.jsonl``, already parsed by the generator, while newsidx
    parses the files. The two series run separately, so the figure is a sum of medians
    (and of minima and maxima), not a measured run.
    """
    build = result.get("peers", {}).get("sqlite_fts5", {}).get("build")
    limit = result.get("parse_limit")
    if not (isinstance(build, dict) and build.get("ok") and isinstance(limit, dict)
            and limit.get("ok")):
        return
    result["peers"]["sqlite_fts5"]["build_incl_parse"] = {
        "ok": True, "runs": min(build["runs"], limit["runs"]),
        **{key: build[key] + limit[key] for key in ("median", "min", "max")},
        "note": "sum of parse-only limit and insert + enable-fts medians",
    }


PROFILE_GROUPS = (
    ("parse", ("newsidx/parse", "newsidx/dates", "newsidx/timeparse", "yaml", "dateutil",
               "newsidx/walk")),
    ("catalogue write", ("newsidx/catalogue", "json/", "newsidx/model")),
    ("index write", ("newsidx/index", "tantivy", "newsidx/analysis")),
    ("waiting on workers", ("multiprocessing", "concurrent/futures", "threading", "selectors",
                            "_thread.lock", "posix.waitpid", "select.poll")),
)


def profile_ingest(cfg: Config, files: Path, cat: Path, env: dict[str, str],
                   label: str, stamp: str) -> dict[str, Any]:
    log("  profile ingest")
    shutil.rmtree(cat, ignore_errors=True)
    prof = cat.parent / f"ingest-{label}.prof"
    sample = measure([PY, "-m", "cProfile", "-o", str(prof), "-m", "newsidx", "ingest",
                      str(files)], env)
    if not sample.get("ok") or not prof.exists():
        return {"ok": False, "error": sample.get("error", "no profile written")}
    stats = pstats.Stats(str(prof))
    groups: dict[str, float] = {}
    rows = []
    for (filename, line, func), (_cc, calls, tottime, cumtime, _callers) in (
            stats.stats.items()):  # type: ignore[attr-defined]
        where = f"{filename.replace(chr(92), '/')} {func}"
        group = next((name for name, keys in PROFILE_GROUPS if any(k in where for k in keys)),
                     "other")
        groups[group] = groups.get(group, 0.0) + tottime
        rows.append((tottime, cumtime, calls, f"{Path(filename).name}:{line}({func})", group))
    rows.sort(reverse=True)
    total = sum(groups.values()) or 1.0
    lines = [f"cProfile of `newsidx ingest` (main process only) at {label}, {stamp}",
             f"wall {sample['wall']:.2f} s; profiled CPU {total:.2f} s", "", "by group (tottime):"]
    lines += [f"  {name:<20} {secs:8.2f} s  {100 * secs / total:5.1f}%"
              for name, secs in sorted(groups.items(), key=lambda kv: -kv[1])]
    lines += ["", "top 40 functions by tottime:", f"  {'tottime':>8} {'cumtime':>8} {'calls':>9}"]
    lines += [f"  {tt:8.3f} {ct:8.3f} {calls:9d}  [{group}] {where}"
              for tt, ct, calls, where, group in rows[:40]]
    cfg.results.mkdir(parents=True, exist_ok=True)
    path = cfg.results / f"{stamp}-profile-ingest-{label}.txt"
    path.write_text("\n".join(lines) + "\n", "utf-8")
    prof.unlink(missing_ok=True)
    return {"ok": True, "file": str(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path),
            "groups": {k: round(v, 3) for k, v in groups.items()}, "wall": sample["wall"]}


BIG = 1_000_000
RECOLL_MAX = 100_000


def bench_size(cfg: Config, size: int, stamp: str) -> dict[str, Any]:
    """Every measurement at one size. recoll runs below 100k only (its index build takes
    75 s at 10k and grows with the archive: ~12 min at 100k, ~2 h at 1M); at 1M and above
    each ingest measurement runs once."""
    label = generate.size_label(size)
    log(f"size {label}")
    if size >= RECOLL_MAX:
        cfg = dataclasses.replace(cfg, peers=cfg.peers - {"recoll"})
    if size >= BIG:
        cfg = dataclasses.replace(cfg, runs=1)
    archive = generate.generate(size, cfg.seed, cfg.out, cfg.shared, quiet=True)
    manifest = json.loads((archive / "manifest.json").read_text("utf-8"))
    files = archive / "files"
    work = cfg.out / "work" / label
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    cat = work / "catalogue"
    env = {**os.environ, "NEWSIDX_CATALOGUE": str(cat), "NO_COLOR": "1", "TERM": "dumb"}
    specs = query_specs(manifest["queries"])
    result: dict[str, Any] = {"size": size, "label": label, "archive_bytes": disk_bytes(files),
                              "queries": specs}
    editor = Editor(lambda index: files / generate.file_name(index), size)
    try:
        result["ingest"] = bench_ingest(
            cfg, [files], cat, env, size,
            lambda: series([*cfg.newsidx, "ingest", str(files)], env, cfg.runs,
                           before=editor.edit))
        result["parse_limit"] = bench_parse_limit(cfg, [files], env, size)
        result["search"] = bench_search(cfg, cat, env, specs, work)
        result["listing"] = bench_listing(cfg, env, manifest["queries"])
        result["peers"] = bench_peers(cfg, archive / "records.jsonl", [files], work, env, specs)
        _sqlite_incl_parse(result)
    finally:
        editor.restore()
    if cfg.profile_size == size and not cfg.quick:
        result["profile"] = profile_ingest(cfg, files, cat, env, label, stamp)
    shutil.rmtree(work / "recoll", ignore_errors=True)
    (work / "sqlite.db").unlink(missing_ok=True)
    return result


def _copy_and_edit(cfg: Config, root: Path, paths: Sequence[Path], files: Sequence[Path],
                   work: Path, env: dict[str, str]) -> dict[str, Any]:
    """The 1%-changed ingest of a corpus, on a scratch copy: the corpus is never written.

    The copy (in the temporary work folder) is ingested once untimed, then each run edits
    1% of its files and ingests again; copy and catalogue are removed afterwards."""
    copy, cat = work / "copy", work / "copy-catalogue"
    try:
        for path in paths:
            target = copy / path.relative_to(root)
            target.parent.mkdir(parents=True, exist_ok=True)
            if path.is_dir():
                shutil.copytree(path, target, symlinks=True)
            else:
                shutil.copy2(path, target)
        copy_env = {**env, "NEWSIDX_CATALOGUE": str(cat)}
        ingest = [*cfg.newsidx, "ingest", *(str(copy / p.relative_to(root)) for p in paths)]
        first = measure(ingest, copy_env)
        if not first.get("ok"):
            return {"ok": False, "runs": 1, "ok_runs": 0,
                    "error": f"ingest of the scratch copy failed: {first.get('error')}"}
        copied = [copy / f.relative_to(root) for f in files]
        editor = Editor(copied.__getitem__, len(copied))
        out = series(ingest, copy_env, cfg.runs, before=editor.edit)
        out["note"] = "on a scratch copy outside the corpus"
        return out
    finally:
        shutil.rmtree(copy, ignore_errors=True)
        shutil.rmtree(cat, ignore_errors=True)


def bench_corpus(cfg: Config, root: Path) -> dict[str, Any]:
    """Every measurement on one real corpus, read in place (see ``corpora.py``).

    Its catalogue, the records exported for sqlite-utils, the peers' databases and the
    scratch copy for the 1%-changed ingest live in a temporary folder outside the project,
    removed afterwards: nothing derived from a corpus is kept. Informational: no target is
    judged on a corpus."""
    name = root.name
    log(f"corpus {name}")
    paths = corpora.ingest_paths(root)
    files = list(corpora.walk(paths))
    size = len(files)
    if size >= RECOLL_MAX:
        cfg = dataclasses.replace(cfg, peers=cfg.peers - {"recoll"})
    if size >= BIG:
        cfg = dataclasses.replace(cfg, runs=1)
    result: dict[str, Any] = {
        "corpus": name, "label": name, "path": str(root), "size": size,
        "ingested": [p.name + ("/" if p.is_dir() else "") for p in paths],
        "archive_bytes": sum(os.lstat(f).st_blocks * 512 for f in files),
    }
    try:
        picked = corpora.pick_queries(root, paths)
    except (ValueError, OSError) as exc:
        result["error"] = f"no queries: {exc}"
        return result
    specs = query_specs(picked)
    result.update(queries=specs, query_choice=picked["how"],
                  list_filters={k: picked[k] for k in ("list_provider", "list_since")})
    with tempfile.TemporaryDirectory(prefix=f"newsidx-bench-{name}-") as tmp:
        work = Path(tmp)
        cat = work / "catalogue"
        env = {**os.environ, "NEWSIDX_CATALOGUE": str(cat), "NO_COLOR": "1", "TERM": "dumb"}
        result["ingest"] = bench_ingest(
            cfg, paths, cat, env, size,
            lambda: _copy_and_edit(cfg, root, paths, files, work, env))
        result["parse_limit"] = bench_parse_limit(cfg, paths, env, size)
        result["search"] = bench_search(cfg, cat, env, specs, work)
        result["listing"] = bench_listing(cfg, env, picked, dated=picked["how"]["dated"],
                                          providers=bool(picked["how"].get("providers")))
        records = work / "records.jsonl"
        log("  export records for the peers")
        result["export"] = series([*cfg.newsidx, "export", "--format", "jsonl", "-o",
                                   str(records)], env, 1)
        if records.exists():
            with records.open("rb") as fh:
                result["records"] = sum(1 for _ in fh)
        peers = cfg.peers if result["export"]["ok"] else cfg.peers - {"sqlite"}
        result["peers"] = bench_peers(dataclasses.replace(cfg, peers=peers), records, paths,
                                      work, env, specs)
        if "sqlite" in cfg.peers and not result["export"]["ok"]:
            result["peers"]["sqlite_fts5"] = {"status": "newsidx export failed"}
        _sqlite_incl_parse(result)
    return result


def _version(cmd: list[str]) -> str | None:
    if not shutil.which(cmd[0]) and not Path(cmd[0]).exists():
        return None
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=20, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    text = (proc.stdout or proc.stderr).strip().splitlines()
    return text[0][:120] if text else None


def machine_info(cfg: Config) -> dict[str, Any]:
    cpu = mem = None
    try:
        cpu = next((line.split(":", 1)[1].strip() for line in
                    Path("/proc/cpuinfo").read_text().splitlines()
                    if line.startswith("model name")), None)
        kib = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                   if line.startswith("MemTotal"))
        mem = f"{kib / 2**20:.1f} GiB"
    except (OSError, StopIteration, ValueError):
        pass
    commit = _version(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"])
    sqlite_utils = shutil.which("sqlite-utils") or str(Path(PY).parent / "sqlite-utils")
    return {
        "host": socket.gethostname(), "nproc": os.cpu_count(), "cpu": cpu, "memory": mem,
        "python": platform.python_version(), "platform": platform.platform(),
        "commit": commit, "newsidx": _version([*cfg.newsidx, "--version"]),
        "peers": {"rg": _version(["rg", "--version"]),
                  "sqlite-utils": _version([sqlite_utils, "--version"]),
                  "recoll": _version(["recollq", "-v"])},
    }


def compile_newsidx() -> str:
    """Write newsidx's bytecode before timing anything, as an installed package has it.

    An editable install run with ``PYTHONDONTWRITEBYTECODE`` set (as on some CI machines)
    would otherwise compile every module from source in every timed process, about 30 ms
    a search that no installed user pays."""
    import compileall
    import importlib.util

    spec = importlib.util.find_spec("newsidx")
    folders = list(spec.submodule_search_locations or []) if spec else []
    if not folders:
        return "newsidx not importable here; not compiled"
    ok = all(compileall.compile_dir(f, quiet=1) for f in folders)
    return f"compiled {', '.join(folders)}" if ok else "compileall failed"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="newsidx benchmark (issue #6)")
    parser.add_argument("--sizes", default="1k,10k,100k",
                        help="comma list: 1k,10k,100k,1M; 'none' for corpora only")
    parser.add_argument("--corpora", default="all",
                        help="real corpora under SHARED/corpora: 'all' present (default), "
                             "a comma list (bbc,ruby-lang-news) or 'none'")
    parser.add_argument("--newsapi", choices=("auto", "none"), default="auto",
                        help="the newsapi-2023 datasets against their front-matter copy "
                             "(issue 13): 'auto' when SHARED/feeds has them, or 'none'")
    parser.add_argument("--runs", type=int, default=3, help="runs per measurement (default 3)")
    parser.add_argument("--quick", action="store_true",
                        help="one run per search, no profile (the CI smoke test)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=generate.DEFAULT_OUT,
                        help="archives and scratch catalogues (default bench/out/)")
    parser.add_argument("--shared", type=Path, default=generate.DEFAULT_SHARED)
    parser.add_argument("--results", type=Path, default=BENCH / "results")
    parser.add_argument("--docs", type=Path, default=ROOT / "docs" / "benchmarks.md",
                        help="Markdown report path; 'none' to skip")
    parser.add_argument("--peers", default="rg,sqlite,recoll", help="rg,sqlite,recoll or none")
    parser.add_argument("--profile-size", default="100k", help="size to profile; 'none' to skip")
    parser.add_argument("--newsidx", default=None, help="the newsidx command (default: installed)")
    parser.add_argument("--skip-changed", action="store_true",
                        help="skip the 1%%-changed ingest (it rewrites 10k files at 1M)")
    args = parser.parse_args(argv)
    try:
        sizes = [generate.parse_size(s) for s in args.sizes.split(",")
                 if s.strip() and s.strip() != "none"]
        profile = None if args.profile_size == "none" else generate.parse_size(args.profile_size)
        corpus_dirs = corpora.find(args.shared, args.corpora)
    except (argparse.ArgumentTypeError, FileNotFoundError) as exc:
        parser.error(str(exc))
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    cfg = Config(
        sizes=sizes, runs=args.runs, search_runs=1 if args.quick else max(5, args.runs),
        quick=args.quick, seed=args.seed, out=args.out, shared=args.shared,
        results=args.results, docs=None if str(args.docs) == "none" else args.docs,
        peers=set(args.peers.split(",")) - {"none"}, profile_size=profile,
        newsidx=args.newsidx.split() if args.newsidx else newsidx_command(),
        skip_changed=args.skip_changed, corpora=corpus_dirs, newsapi=args.newsapi != "none",
    )
    now = datetime.now(timezone.utc)
    stamp = now.strftime("%Y-%m-%d")
    results: dict[str, Any] = {
        "date": now.isoformat(timespec="seconds"),
        "command": "python bench/run.py " + " ".join(argv if argv is not None else sys.argv[1:]),
        "config": {"runs": cfg.runs, "search_runs": cfg.search_runs, "quick": cfg.quick,
                   "seed": cfg.seed, "skip_changed": cfg.skip_changed,
                   "corpora": [str(p) for p in cfg.corpora]},
        "machine": machine_info(cfg),
        "sizes": {},
        "corpora": {},
    }
    compiled = compile_newsidx()
    results["config"]["bytecode"] = compiled
    started = time.perf_counter()
    for size in cfg.sizes:
        results["sizes"][generate.size_label(size)] = bench_size(cfg, size, stamp)
    for root in cfg.corpora:
        results["corpora"][root.name] = bench_corpus(cfg, root)
    if cfg.newsapi:
        files = newsapi.newsapi_files(cfg.shared)
        results["newsapi"] = (newsapi.compare(files, cfg.newsidx, max(2, cfg.runs), measure, log)
                              if files else {"skipped": f"no newsapi-2023 under {cfg.shared}"})
    results["seconds"] = round(time.perf_counter() - started, 1)
    results["targets"] = report.check_targets(results)
    cfg.results.mkdir(parents=True, exist_ok=True)
    host = results["machine"]["host"].split(".")[0] or "host"
    path = cfg.results / f"{stamp}-{host}.json"
    path.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", "utf-8")
    text = report.render(results)
    sys.stdout.write(text)
    if cfg.docs:
        cfg.docs.parent.mkdir(parents=True, exist_ok=True)
        cfg.docs.write_text(text, "utf-8")
    log(f"results: {path}" + (f"; report: {cfg.docs}" if cfg.docs else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
