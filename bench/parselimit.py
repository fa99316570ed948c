"""The parse-only limit: read every file and load its front matter with the C YAML loader.

This is the floor any ingest pays (walk, read, YAML), run on all cores with a
``multiprocessing.Pool``; ingest's rate is reported as a percentage of it.
Plain-text files (no front matter) are read and split into headline and body; a file
that is not valid UTF-8 is decoded as Windows-1252, as newsidx does.

Usage: ``python bench/parselimit.py DIR [DIR...] [--jobs N]`` prints JSON.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import sys
import time
from collections.abc import Iterator, Sequence

import yaml

LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
CHUNK = 256


def walk(roots: Sequence[str]) -> Iterator[str]:
    """The files under ``roots`` (folders or files)."""
    stack = []
    for root in roots:
        if os.path.isdir(root):
            stack.append(root)
        else:
            yield root
    while stack:
        with os.scandir(stack.pop()) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    stack.append(entry.path)
                elif entry.is_file(follow_symlinks=False):
                    yield entry.path


def parse_one(path: str) -> int:
    """1 when the file gave an article, 0 when it could not be read or loaded."""
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError:
        return 0
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("cp1252", "replace")
    if text.startswith("---"):
        end = text.find("\n---", 3)
        if end < 0:
            return 0
        try:
            data = yaml.load(text[3:end], Loader=LOADER)
        except yaml.YAMLError:
            return 0
        return 1 if isinstance(data, dict) else 0
    head, _, _body = text.partition("\n")
    return 1 if head.strip() else 0


def _parse_many(paths: list[str]) -> int:
    return sum(parse_one(p) for p in paths)


def _chunks(paths: Iterator[str]) -> Iterator[list[str]]:
    batch: list[str] = []
    for path in paths:
        batch.append(path)
        if len(batch) == CHUNK:
            yield batch
            batch = []
    if batch:
        yield batch


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="parse-only limit (C YAML loader, all cores)")
    parser.add_argument("roots", nargs="+", metavar="DIR")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args(argv)
    missing = [r for r in args.roots if not os.path.exists(r)]
    if missing:
        print(f"parselimit: {missing[0]}: no such file or directory", file=sys.stderr)
        return 2
    started = time.perf_counter()
    with multiprocessing.get_context().Pool(args.jobs) as pool:
        parsed = sum(pool.imap_unordered(_parse_many, _chunks(walk(args.roots))))
    seconds = time.perf_counter() - started
    print(json.dumps({"articles": parsed, "seconds": seconds, "jobs": args.jobs,
                      "c_loader": LOADER.__name__ == "CSafeLoader"}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
