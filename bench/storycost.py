"""CPU time of cold ``newsidx ingest`` runs of several source trees, alternating (issue 15).

    python bench/storycost.py --runs 2 --tree main=/work/main/src --tree mine=src -- DIR...

Each run is a whole process in a fresh catalogue, measured by ``bench/measure.py`` (its
``cpu`` counts the writing process and its parse workers); the tree is put first on
``PYTHONPATH``, so one venv serves all. CPU time, not wall time, is what compares on a
shared machine. Prints one line a run and the best of each tree as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

MEASURE = Path(__file__).resolve().parent / "measure.py"


def run(cmd: list[str], env: dict[str, str]) -> dict[str, object]:
    """``cmd`` measured by ``bench/measure.py`` in a wrapper process of its own, because
    ``RUSAGE_CHILDREN`` only grows within one parent."""
    out = subprocess.run([sys.executable, str(MEASURE), "--", *cmd], env=env,
                         capture_output=True, text=True, check=True)
    result: dict[str, object] = json.loads(out.stdout)
    return result


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=2)
    ap.add_argument("--tree", action="append", required=True, help="NAME=SRC_DIR")
    ap.add_argument("paths", nargs="+")
    args = ap.parse_args()
    trees = [t.split("=", 1) for t in args.tree]
    best: dict[str, dict[str, float]] = {}
    for n in range(args.runs):
        for name, src in trees:
            env = dict(os.environ, PYTHONPATH=str(Path(src).resolve()))
            with tempfile.TemporaryDirectory() as cat:
                got = run([sys.executable, "-m", "newsidx", "ingest", "--catalogue", cat,
                           *args.paths], env=env)
            if not got["ok"]:
                print(f"{name}: {got.get('error')}", file=sys.stderr)
                return 1
            cpu, wall = float(str(got["cpu"])), float(str(got["wall"]))
            print(f"run {n + 1} {name}: cpu {cpu:.1f} s, wall {wall:.1f} s", flush=True)
            if name not in best or cpu < best[name]["cpu"]:
                best[name] = {"cpu": round(cpu, 2), "wall": round(wall, 2)}
    print(json.dumps(best))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
