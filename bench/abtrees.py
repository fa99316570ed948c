"""Cold ingest of one folder by two or more source trees of newsidx, alternating.

``python bench/abtrees.py --rounds 3 FOLDER old=/path/to/old/src new=src`` runs
``python -m newsidx ingest FOLDER`` into a fresh catalogue for each tree in turn
(``PYTHONPATH`` set to the tree), reversing the order every other round so that a
change in the machine's load falls on every tree alike, and prints each run's wall
time and CPU time (user + system of the whole process tree: writer, tantivy's threads
and the parse workers) and the medians as JSON. It judges the regressions a change may
cost ("cold ingest speed does not drop by more than 10%"): a ratio of two trees in one
run, never an absolute time. Catalogues go to a temporary folder, removed at the end.
Check out the older tree with ``git worktree add /tmp/old COMMIT``; compile both trees'
bytecode first (``python -m compileall -q TREE``) when ``PYTHONDONTWRITEBYTECODE`` is set.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any


def run_once(src: Path, folder: Path, catalogue: Path) -> dict[str, Any]:
    """One cold ingest by the tree at ``src``: wall and CPU seconds, exit status."""
    shutil.rmtree(catalogue, ignore_errors=True)
    env = dict(os.environ, PYTHONPATH=str(src))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "newsidx", "--catalogue", str(catalogue), "ingest", str(folder)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if done.returncode not in (0, 1):  # 1: some files skipped or failed, as ingest says
        raise SystemExit(f"{src}: ingest exited {done.returncode}: {done.stderr.strip()[-300:]}")
    return {"wall_s": round(wall, 3), "cpu_s": round(cpu, 3),
            "load": round(os.getloadavg()[0], 2)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("trees", nargs="+", metavar="NAME=SRC",
                        help="a name and the src folder of a newsidx checkout")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    trees: list[tuple[str, Path]] = []
    for spec in args.trees:
        name, sep, src = spec.partition("=")
        if not sep or not (Path(src) / "newsidx" / "__init__.py").is_file():
            parser.error(f"{spec}: give NAME=SRC, SRC holding the newsidx package")
        trees.append((name, Path(src).resolve()))
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name, _ in trees}
    with tempfile.TemporaryDirectory(prefix="newsidx-ab-") as tmp:
        for n in range(args.rounds):
            for name, src in trees if n % 2 == 0 else trees[::-1]:
                result = run_once(src, args.folder, Path(tmp) / name)
                runs[name].append(result)
                print(f"round {n + 1} {name}: {result}", file=sys.stderr, flush=True)
    summary = {
        name: {"median_wall_s": round(statistics.median(r["wall_s"] for r in rs), 3),
               "median_cpu_s": round(statistics.median(r["cpu_s"] for r in rs), 3),
               "min_wall_s": min(r["wall_s"] for r in rs), "runs": rs}
        for name, rs in runs.items()
    }
    first = trees[0][0]
    for name, _ in trees[1:]:
        summary[name]["wall_vs_" + first] = round(
            summary[name]["median_wall_s"] / summary[first]["median_wall_s"], 3)
    json.dump({"folder": str(args.folder), "rounds": args.rounds, "trees": summary},
              sys.stdout, indent=1)
    print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
