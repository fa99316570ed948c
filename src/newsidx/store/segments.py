"""Shard segments: reading their committed lines, folded (the last line of an id wins).

A shard is one JSON Lines file at rest. While a write runs, each commit appends its lines
(new records, new versions of stored ones, tombstones of records that left) to the
shard's last segment, and the manifest records that segment's committed length
(``bytes``): readers read no further, so whatever a killed commit left past it is never
read, and the next writer cuts it off. A shard is rewritten as one new segment of its
live lines when its dead lines come to outnumber them, and at the write's end when it
has any. A manifest written before appends names no ``bytes`` and may name several
segments for a shard; both are read as they are.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, BinaryIO

from newsidx.errors import CatalogueError
from newsidx.store.layout import dump_line

_TOMBSTONE_END = ',"deleted":true}\n'

Segment = tuple[Path, int | None]
"""A segment file and how many of its bytes are committed (None: all of them)."""


def tombstone(rid: str) -> str:
    """The shard line that says record ``rid`` left the shard after earlier lines."""
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


def committed(entry: Mapping[str, Any]) -> dict[str, int | None]:
    """Each segment a manifest's shard ``entry`` names, with its committed length: only
    the last one is ever appended to, so only it has one."""
    names = [str(n) for n in entry["files"]]
    size = entry.get("bytes")
    return {n: (int(size) if size is not None and i == len(names) - 1 else None)
            for i, n in enumerate(names)}


def segments_of(root: Path, entry: Mapping[str, Any]) -> list[Segment]:
    return [(root / name, size) for name, size in committed(entry).items()]


def is_clean(entry: Mapping[str, Any]) -> bool:
    """Whether a shard is one segment of live lines only (no id twice, no tombstone)."""
    return len(entry["files"]) == 1 and int(entry.get("lines", -1)) == int(entry["count"])


class SegmentLines:
    """An open segment, read as text lines up to its committed length; ``lines`` counts
    those the last read (from the start) gave."""

    def __init__(self, handle: BinaryIO, size: int | None) -> None:
        self.handle, self.size = handle, size
        self.lines = 0

    def __iter__(self) -> Iterator[str]:
        for raw in self.raw():
            yield raw.decode("utf-8", "surrogateescape")

    def raw(self) -> Iterator[bytes]:
        """The committed lines as bytes, from the start."""
        self.handle.seek(0)
        self.lines = 0
        left = self.size
        for raw in self.handle:
            if left is not None:
                left -= len(raw)
                if left < 0:  # past the committed end: a killed commit's
                    return
            self.lines += 1
            yield raw
            if left == 0:
                return

    def close(self) -> None:
        self.handle.close()


def open_all(segments: list[Segment]) -> list[SegmentLines] | None:
    """Open every segment at once (a snapshot), or None when one is already gone."""
    handles: list[SegmentLines] = []
    try:
        for path, size in segments:
            handles.append(SegmentLines(open(path, "rb"), size))  # noqa: SIM115
    except OSError as exc:
        for handle in handles:
            handle.close()
        if isinstance(exc, FileNotFoundError):
            return None
        raise CatalogueError(f"cannot read {exc.filename}: {exc.strerror}") from exc
    return handles


def fold(handles: list[SegmentLines], *, tombstones: bool = False, clean: bool = False
         ) -> Iterator[str]:
    """The lines of segments read in order, each id's last line only; a record whose last
    line is a tombstone is left out (or its tombstone yielded, with ``tombstones``).
    ``clean`` (see :func:`is_clean`) says no id is there twice, so one pass does."""
    if clean:
        for handle in handles:
            for line in handle:
                if tombstones or not is_tombstone(line):
                    yield line
        return
    last: dict[str | None, int] = {}
    number = 0
    for handle in handles:
        for line in handle:
            last[line_id(line)] = number
            number += 1
    last.pop(None, None)
    number = 0
    for handle in handles:
        for line in handle:
            if last.get(line_id(line), number) == number and (
                tombstones or not is_tombstone(line)
            ):
                yield line
            number += 1
