"""Shard segments: reading their lines folded (the last line of an id wins) and tombstones.

A shard is one JSON Lines file at rest; while a write runs it may have several segments,
written one per commit, that the end of the write folds back into one.
"""

from __future__ import annotations

import json
from array import array
from bisect import bisect_left
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

from newsidx.errors import CatalogueError
from newsidx.store.layout import dump_line

MAX_SEGMENTS = 8  # a shard is folded beyond this, even in the middle of a write
_TOMBSTONE_END = ',"deleted":true}\n'


def tombstone(rid: str) -> str:
    """The shard line that says record ``rid`` left the shard after earlier segments."""
    return dump_line({"id": rid, "deleted": True})


def is_tombstone(line: str) -> bool:
    return line.endswith(_TOMBSTONE_END) and line == tombstone(line_id(line) or "")


def line_id(line: str) -> str | None:
    """The ``id`` of a shard line (cheaply, for the lines newsidx writes)."""
    if line.startswith('{"id":"'):
        end = line.find('"', 7)
        if end > 0 and "\\" not in line[7:end]:
            return line[7:end]
    try:
        value = json.loads(line).get("id")
    except (ValueError, AttributeError):
        return None
    return value if isinstance(value, str) else None


def open_all(paths: list[Path]) -> list[TextIO] | None:
    """Open every segment at once (a snapshot), or None when one is already gone."""
    handles: list[TextIO] = []
    try:
        for path in paths:
            handles.append(open(path, encoding="utf-8", errors="surrogateescape"))  # noqa: SIM115
    except OSError as exc:
        for handle in handles:
            handle.close()
        if isinstance(exc, FileNotFoundError):
            return None
        raise CatalogueError(f"cannot read {exc.filename}: {exc.strerror}") from exc
    return handles


def fold(handles: list[TextIO], *, tombstones: bool = False) -> Iterator[str]:
    """The lines of segments read in order, each id's last line only; a record whose last
    line is a tombstone is left out (or its tombstone yielded, with ``tombstones``)."""
    if len(handles) == 1:
        for line in handles[0]:
            if tombstones or not is_tombstone(line):
                yield line
        return
    last: dict[str | None, int] = {}
    for number, handle in enumerate(handles):
        for line in handle:
            last[line_id(line)] = number
    last.pop(None, None)
    for number, handle in enumerate(handles):
        handle.seek(0)
        for line in handle:
            if last.get(line_id(line), number) == number and (
                tombstones or not is_tombstone(line)
            ):
                yield line


def merge_count(sizes: list[int], new: int, full: bool) -> int:
    """How many trailing segments (of ``sizes`` bytes, oldest first) a new segment of
    ``new`` bytes takes in: each one no larger than what is written so far, and enough
    to keep at most ``MAX_SEGMENTS``; all of them when ``full``. Like a binary counter,
    equal commits merge pairwise, so a long write rewrites each line about log2(commits)
    times instead of every shard on every commit."""
    if full:
        return len(sizes)
    k, acc = 0, new
    while k < len(sizes) and (sizes[-1 - k] <= acc or len(sizes) - k >= MAX_SEGMENTS):
        acc += sizes[-1 - k]
        k += 1
    return k


class LineFinder:
    """Finds the current line of record ids in a shard's segments without reading them
    through: each segment's ids (as 64-bit integers, sorted) and line offsets are read
    once per write and searched by bisection, newest segment first."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._tables: dict[str, tuple[array[int], array[int]] | None] = {}

    def find(self, segments: list[str], ids: set[str]) -> dict[str, str]:
        found: dict[str, str] = {}
        remaining = set(ids)
        for name in reversed(segments):
            if not remaining:
                break
            table = self._offsets(name)
            if table is None:  # ids that are not 64-bit hex: read the segment through
                with open(self.root / name, encoding="utf-8", errors="surrogateescape") as h:
                    for line in h:
                        rid = line_id(line)
                        if rid in remaining:
                            found[rid] = line
                remaining.difference_update(found)
                continue
            keys, offsets = table
            with open(self.root / name, "rb") as handle:
                for rid in sorted(remaining):
                    if len(rid) != 16 or not all(c in "0123456789abcdef" for c in rid):
                        continue
                    key = int(rid, 16)
                    at = bisect_left(keys, key)
                    if at < len(keys) and keys[at] == key:
                        handle.seek(offsets[at])
                        found[rid] = handle.readline().decode("utf-8", "surrogateescape")
            remaining.difference_update(found)
        return {rid: line for rid, line in found.items() if not is_tombstone(line)}

    def keep(self, live: set[str]) -> None:
        """Forget the tables of segments no longer named."""
        self._tables = {k: v for k, v in self._tables.items() if k in live}

    def _offsets(self, name: str) -> tuple[array[int], array[int]] | None:
        """None when some id of the segment is not 16 hex digits."""
        if name in self._tables:
            return self._tables[name]
        pairs: list[tuple[int, int]] = []
        table: tuple[array[int], array[int]] | None = None
        try:
            with open(self.root / name, "rb") as handle:
                offset = 0
                for raw in handle:
                    if not (raw.startswith(b'{"id":"') and raw[23:24] == b'"'):
                        raise ValueError(name)
                    pairs.append((int(raw[7:23], 16), offset))
                    offset += len(raw)
        except ValueError:
            pass
        else:
            pairs.sort()
            table = (array("Q", (k for k, _ in pairs)), array("Q", (o for _, o in pairs)))
        self._tables[name] = table
        return table
