"""``newsidx ingest --dry-run``: what each file would be read as, writing nothing.

For every file under the paths given: its detected kind, and for a dataset the mapping
used (each field with the item keys it was read from and in how many items), the keys
left unmapped (kept in ``extra``) and the first records as they would be stored. Only
the first :data:`SAMPLE_ITEMS` items of a dataset are looked at, so a dry run of a
multi-gigabyte file stays quick; the report says when it stopped there.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice

from newsidx.errors import ParseError
from newsidx.model import Article

SAMPLE_ITEMS = 1000
SAMPLES = 3
_KIND_NAMES = {"jsonl": "dataset (JSON Lines)", "array": "dataset (JSON array)",
               "export": "newsidx export (read back as it is)", "feed": "feed"}


@dataclass
class FilePlan:
    """What ingest would make of one file."""

    path: str
    kind: str
    items: int = 0  # items looked at
    more: bool = False  # the file has items past those looked at
    mapping: dict[str, Counter[str]] = field(default_factory=dict)  # field -> keys: items
    unmapped: Counter[str] = field(default_factory=Counter)
    samples: list[Article] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def plan(paths: Iterable[str | os.PathLike[str]], max_size: int) -> Iterator[FilePlan]:
    """One plan per file under ``paths`` (walked as ingest walks them, hidden files out)."""
    from newsidx.walk import walk

    for entry in walk(paths):
        if entry.skipped is not None:
            yield FilePlan(entry.path, f"skipped: {entry.skipped}")
        else:
            yield plan_file(entry.path, max_size)


def plan_file(path: str, max_size: int) -> FilePlan:
    from newsidx.formats import sniff_file

    try:
        found = sniff_file(path)
    except OSError as exc:
        return FilePlan(path, f"unreadable: {exc.strerror or exc}")
    if found is None:
        return _article_file(path, max_size)
    kind, gz = found
    name = _KIND_NAMES[kind] + (", gzip-compressed" if gz else "")
    out = FilePlan(path, name)
    if kind == "feed":
        from newsidx.formats.feed import read_feed
        from newsidx.formats.work import _read_whole

        data = _read_whole(path, gz, max_size)
        if data is None:
            out.problems.append(f"{path}: feed over the {max_size:,}-byte size limit")
            return out
        result = read_feed(data, path)
        out.items = len(result.records)
        out.samples = result.records[:SAMPLES]
        out.problems = result.failures
    elif kind != "export":
        _dataset(out, kind, gz, max_size)
    return out


def _article_file(path: str, max_size: int) -> FilePlan:
    from newsidx.parse import parse_file

    try:
        result = parse_file(path, source=path, max_size=max_size)
    except ParseError as exc:
        return FilePlan(path, f"skipped or failed: {exc}")
    return FilePlan(path, f"one article ({result.format})", items=1,
                    samples=[result.records[0]])


def _dataset(out: FilePlan, kind: str, gz: bool, max_size: int) -> None:
    from newsidx.formats import dataset, jsonstream

    with dataset.open_dataset(out.path, gz) as stream:
        items = (jsonstream.jsonl_items(stream, out.path, max_size) if kind == "jsonl" else
                 jsonstream.array_items(stream, out.path, max_size))
        try:
            for where, line, value in islice(items, SAMPLE_ITEMS):
                _item(out, where, line, value)
            out.more = next(items, None) is not None
        except (OSError, EOFError) as exc:
            out.problems.append(f"{out.path}: cannot read on: {exc}")


def _item(out: FilePlan, where: dict[str, int], line: int, value: object) -> None:
    from newsidx.formats import dataset

    out.items += 1
    if isinstance(value, ParseError):
        out.problems.append(str(value))
        return
    if not isinstance(value, dict):
        out.problems.append(f"{out.path}:{line}: item is not a JSON object")
        return
    work, mapping = dataset.apply_overrides(value)
    for name, key in mapping.items():
        shown = f"--map {name}" if key.startswith(dataset._MAPPED) else key
        out.mapping.setdefault(name, Counter())[shown] += 1
    out.unmapped.update(k for k in work if k not in mapping.values())
    if len(out.samples) < SAMPLES:
        try:
            record = dataset.item_record(value, out.path, where)
        except ParseError as exc:
            out.problems.append(f"{out.path}:{line}: {exc.reason}")
            return
        if record is None:
            out.problems.append(f"{out.path}:{line}: item has no title and no URL")
        else:
            out.samples.append(record)
