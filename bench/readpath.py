"""Time newsidx's read commands as whole processes, and the engine alone, on one catalogue.

Meant for the index ``bench/synth_index.py`` builds (its JSON line gives the providers
and date to filter on): search for a rare word, a common word, two words, a prefix, a
filtered query; list with --provider/--since; providers, topics, stats, timeline.
Each command runs ``--runs`` times after one warm-up; the median and min wall times
are printed as JSON lines, then the engine time of each search query in process.

Usage: ``python bench/readpath.py CATALOGUE --provider nu.nl --since 2024-04-09 [--runs 9]``
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

SEARCHES = {
    "rare": ["rossignol"],
    "common": ["which"],
    "two_words": ["pour dos"],
    "prefix": ["invest*"],
    "or_not": ["which OR pour -dos"],
}


def commands(provider: str, since: str) -> dict[str, list[str]]:
    out = {f"search {k}": ["search", *v, "--format", "ids"] for k, v in SEARCHES.items()}
    out["search common (plain text, snippets)"] = ["search", "which"]
    out["search filtered"] = ["search", "which", "--provider", provider, "--since", since,
                              "--format", "ids"]
    out["list --provider --since"] = ["list", "--provider", provider, "--since", since,
                                      "--format", "ids"]
    out["providers"] = ["providers"]
    out["topics"] = ["topics"]
    out["stats"] = ["stats"]
    out["timeline --by month"] = ["timeline", "--by", "month"]
    return out


def time_process(argv: list[str], runs: int, env: dict[str, str]) -> dict[str, float | int]:
    times = []
    code = 0
    for i in range(runs + 1):
        start = time.perf_counter()
        proc = subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        if i:
            times.append(time.perf_counter() - start)
        code = proc.returncode
        if code not in (0, 1):
            raise SystemExit(f"{' '.join(argv)}: exit {code}: {proc.stderr.decode()[-500:]}")
    return {"median_s": round(statistics.median(times), 3), "min_s": round(min(times), 3),
            "exit": code}


def engine(root: Path, provider: str, since: str, runs: int) -> dict[str, float]:
    from newsidx.index import SearchIndex, SearchRequest
    from newsidx.timeparse import parse_since

    index = SearchIndex(root / "index")
    requests = {k: SearchRequest(text=v[0]) for k, v in SEARCHES.items()}
    requests["filtered"] = SearchRequest(text="which", providers=(provider,),
                                         since=parse_since(since))
    out = {}
    for name, request in requests.items():
        for snippets in (False, True):
            index.search(request, snippets=snippets)
            times = []
            for _ in range(runs):
                start = time.perf_counter()
                index.search(request, snippets=snippets)
                times.append(time.perf_counter() - start)
            label = f"engine {name}" + (" +snippets" if snippets else "")
            out[label] = round(statistics.median(times) * 1000, 2)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("catalogue", type=Path)
    parser.add_argument("--provider", required=True)
    parser.add_argument("--since", required=True)
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--newsidx", default=str(Path(sys.executable).with_name("newsidx")))
    args = parser.parse_args()
    env = dict(os.environ, NEWSIDX_CATALOGUE=str(args.catalogue))
    for name, argv in commands(args.provider, args.since).items():
        result = time_process([args.newsidx, *argv], args.runs, env)
        print(json.dumps({"command": name, **result}), flush=True)
    for name, ms in engine(args.catalogue, args.provider, args.since, args.runs).items():
        print(json.dumps({"command": name, "median_ms": ms}), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
