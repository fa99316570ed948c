"""The newsapi speed comparison (issue 13): ingest of the four newsapi-2023 files as they
are against the same articles written out as one front-matter file each, in one run.

``python bench/newsapi.py [--runs 2]`` prints the result as JSON; ``run.py --newsapi``
adds it to the report. The front-matter copy is written to a temporary folder outside
the project and removed afterwards (nothing derived from ``../shared`` is kept). Runs
alternate (dataset, copy, dataset, copy...) so that a change in the machine's load
falls on both. Skips with a reason when ``../shared/feeds/newsapi-2023`` is absent.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

BENCH = Path(__file__).resolve().parent
NAMES = ("au.jsonl", "gb.jsonl", "nl.jsonl", "us.jsonl")
_TRUNCATED = re.compile(r"\s*(?:…|\.\.\.)\s*\[\+(\d+) chars\]\s*$")


def newsapi_files(shared: Path) -> list[Path]:
    """The four files, or [] when any is missing."""
    folder = shared / "feeds" / "newsapi-2023"
    files = [folder / name for name in NAMES]
    return files if all(f.is_file() for f in files) else []


def write_front_matter(files: Sequence[Path], out: Path) -> int:
    """Every row of ``files`` as ``out/<file>/<line>.md``: its keys but ``content`` as YAML
    front matter, ``content`` as the body; as the dataset mapping does, the provider is
    ``{name, domain}`` (the URL's host) and the body loses NewsAPI's ``… [+N chars]``, so
    both sides hold the same articles. Returns the number of files written."""
    written = 0
    for src in files:
        folder = out / src.stem
        folder.mkdir(parents=True, exist_ok=True)
        with src.open("rb") as fh:
            for number, raw in enumerate(fh, 1):
                try:
                    row = json.loads(raw)
                except ValueError:
                    continue
                if not isinstance(row, dict):
                    continue
                body = _TRUNCATED.sub("", row.pop("content", None) or "")
                source = row.get("source")
                host = urlsplit(str(row.get("url") or "")).hostname or ""
                if isinstance(source, dict) and source.get("name") and host:
                    row["source"] = {"name": source["name"],
                                     "domain": host.removeprefix("www.")}
                head = yaml.dump(row, Dumper=yaml.CSafeDumper, allow_unicode=True,
                                 sort_keys=False)
                (folder / f"{number:06d}.md").write_text(f"---\n{head}---\n{body}\n", "utf-8")
                written += 1
    return written


def articles_in(cat: Path) -> int:
    data = json.loads((cat / "catalogue.json").read_text("utf-8"))
    return int(data["totals"]["articles"])


def compare(files: Sequence[Path], newsidx: Sequence[str], runs: int,
            measure: Callable[[Sequence[str], dict[str, str]], dict[str, Any]],
            log: Callable[[str], None]) -> dict[str, Any]:
    """Cold ingests, alternating, of the datasets and of their front-matter copy."""
    with tempfile.TemporaryDirectory(prefix="newsidx-bench-newsapi-") as tmp:
        work = Path(tmp)
        copy = work / "front-matter"
        log("newsapi: writing the front-matter copy")
        copies = write_front_matter(files, copy)
        sides = {"datasets": [str(f) for f in files], "front_matter": [str(copy)]}
        samples: dict[str, list[dict[str, Any]]] = {k: [] for k in sides}
        for run in range(runs):
            for side, paths in sides.items():
                cat = work / f"cat-{side}"
                shutil.rmtree(cat, ignore_errors=True)
                env = {**os.environ, "NEWSIDX_CATALOGUE": str(cat), "NO_COLOR": "1",
                       "TERM": "dumb"}
                log(f"newsapi: cold ingest of the {side.replace('_', '-')}, run {run + 1}")
                sample = measure([*newsidx, "ingest", *paths], env)
                if sample.get("ok"):
                    sample["articles"] = articles_in(cat)
                    sample["rate"] = sample["articles"] / sample["wall"]
                samples[side].append(sample)
    out: dict[str, Any] = {"files": [f.name for f in files], "front_matter_files": copies,
                           "runs": runs}
    for side, got in samples.items():
        good = [s for s in got if s.get("ok")]
        out[side] = {
            "ok": len(good) == len(got),
            "walls": [round(s["wall"], 2) for s in good],
            "rates": [round(s["rate"]) for s in good],
            "articles": good[-1]["articles"] if good else None,
            "median_rate": round(statistics.median(s["rate"] for s in good)) if good else None,
            "maxrss_mib": max((s.get("maxrss_mib") or 0 for s in good), default=None),
            "tree_peak_mib": max((s.get("tree_peak_mib") or 0 for s in good), default=None),
        }
        if len(good) < len(got):
            out[side]["error"] = next(s.get("error", "failed") for s in got if not s.get("ok"))
    d, f = out["datasets"]["median_rate"], out["front_matter"]["median_rate"]
    out["datasets_at_least_as_fast"] = None if d is None or f is None else d >= f
    return out


def main(argv: Sequence[str] | None = None) -> int:
    sys.path.insert(0, str(BENCH))
    import generate
    import run

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shared", type=Path, default=generate.DEFAULT_SHARED)
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args(argv)
    files = newsapi_files(args.shared)
    if not files:
        print(json.dumps({"skipped": f"no newsapi-2023 files under {args.shared}/feeds"}))
        return 0
    result = compare(files, run.newsidx_command(), args.runs,
                     lambda cmd, env: run.measure(cmd, env), run.log)
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
