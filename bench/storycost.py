"""CPU time of cold ``newsidx ingest`` runs of several source trees, alternating (issue 15).

    python bench/storycost.py --runs 2 --tree off=src --tree on=src:--stories -- DIR...

Each run is a whole process (``python -c`` running the CLI) in a fresh catalogue, with the
tree first on ``PYTHONPATH``, so one venv serves all. The process reports its own CPU time
(``time.process_time``: the writing process) and its waited-for children's
(``RUSAGE_CHILDREN``: the parse workers), so each figure is one run's alone. CPU time,
not wall time, is what compares on a shared machine. Prints one line a run and the best
(least total CPU) of each tree as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

WRAPPER = """
import json, resource, sys, time
from newsidx.cli import main
try:
    main(sys.argv[1:])
except SystemExit as exc:
    code = exc.code
else:
    code = 0
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"writer": time.process_time(), "workers": usage.ru_utime + usage.ru_stime,
                  "rc": code}), file=sys.stderr)
"""


def run(src: str, paths: list[str], extra: list[str]) -> dict[str, float]:
    env = dict(os.environ, PYTHONPATH=str(Path(src).resolve()))
    with tempfile.TemporaryDirectory() as cat:
        started = time.perf_counter()
        out = subprocess.run([sys.executable, "-c", WRAPPER, "ingest", "--catalogue", cat,
                              *extra, *paths], env=env, capture_output=True, text=True, check=False)
        wall = time.perf_counter() - started
    got = json.loads(out.stderr.strip().splitlines()[-1])
    if got["rc"] not in (0, None):
        raise SystemExit(f"storycost: ingest failed: {out.stderr[-500:]}")
    return {"writer": round(got["writer"], 2), "workers": round(got["workers"], 2),
            "cpu": round(got["writer"] + got["workers"], 2), "wall": round(wall, 2)}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=2)
    ap.add_argument("--tree", action="append", required=True, help="NAME=SRC_DIR")
    ap.add_argument("paths", nargs="+")
    args = ap.parse_args()
    # NAME=SRC, or NAME=SRC:ARG,ARG to give that tree's ingest more arguments
    trees = [(name, *spec.partition(":")[::2])
             for name, spec in (t.split("=", 1) for t in args.tree)]
    best: dict[str, dict[str, float]] = {}
    for n in range(args.runs):
        for name, src, more in trees:
            got = run(src, args.paths, more.split(",") if more else [])
            print(f"run {n + 1} {name}: writer {got['writer']:.1f} + workers "
                  f"{got['workers']:.1f} = {got['cpu']:.1f} s CPU, wall {got['wall']:.1f} s",
                  flush=True)
            if name not in best or got["cpu"] < best[name]["cpu"]:
                best[name] = got
    print(json.dumps(best))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
