"""Re-ingest a ``newsidx export --format jsonl`` file: the catalogue's own records back in.

Each non-blank line is one record as :func:`newsidx.model.to_json` writes it (the keys
``rank``, ``score``, ``snippet`` and ``highlights`` a search adds are ignored). Records keep their
ids, sources, dates, providers and topics, so exporting the new catalogue gives the
same lines. Every file is read and checked in full before anything is written: a bad
line fails the whole call with ``path:line: reason`` and the catalogue is untouched.
All records go in as one catalogue commit (a record whose id is already stored is
replaced), then the search index follows it (:func:`newsidx.freshness.index_sync`).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from newsidx.errors import ParseError
from newsidx.model import Article, from_json, record_problem

if TYPE_CHECKING:
    from newsidx.catalogue import Catalogue

class JsonlResult(NamedTuple):
    """What a JSON Lines ingest did."""

    files: tuple[str, ...]
    records_added: int
    records_updated: int
    records_total: int
    generation: int


def read_records(path: Path) -> Iterator[Article]:
    """The records of one export file, in order; ParseError(path, reason, line) on a bad line."""
    name = os.fspath(path)
    try:
        handle = open(path, "rb")  # noqa: SIM115 (closed below)
    except IsADirectoryError:
        raise ParseError(name, "is a folder, not a JSON Lines file") from None
    except FileNotFoundError:
        raise ParseError(name, "no such file") from None
    except OSError as exc:
        raise ParseError(name, f"cannot read: {exc.strerror or exc}") from None
    with handle:
        for number, raw in enumerate(handle, 1):
            if raw.strip():
                yield _record(name, number, raw)


def _record(name: str, number: int, raw: bytes) -> Article:
    try:
        line = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ParseError(name, f"not UTF-8 text ({exc.reason})", number) from None
    try:
        data = json.loads(line)
    except ValueError as exc:
        raise ParseError(name, f"invalid JSON: {exc}", number) from None
    problem = record_problem(data)
    if problem is None:
        try:
            return from_json(data)
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            problem = f"not a newsidx record: {exc}"
    raise ParseError(name, problem, number)


def _all_records(paths: Sequence[Path]) -> Iterator[Article]:
    for path in paths:
        yield from read_records(path)


def ingest_jsonl(catalogue: Catalogue, paths: Sequence[Path], *, wait: bool = False) -> JsonlResult:
    """Store every record of ``paths`` in one commit and bring the search index in step.

    The files are read three times (to check every line, to commit, to update the
    index) so that memory holds one commit's worth of rows, not every record twice.
    Raises ParseError naming the first bad line; nothing is written.
    """
    from newsidx.freshness import index_sync
    from newsidx.ingest import Prepared

    ids = {record.id for record in _all_records(paths)}
    files = tuple(os.fspath(p) for p in paths)
    if not ids:
        return JsonlResult(files, 0, 0, len(catalogue), catalogue.generation)
    with catalogue.writer(wait=wait) as writer:
        known = set().union(*writer.book.shards_of(ids).values())
        generation = writer.commit(upserts=_all_records(paths), deletes=(), files={},
                                   compact=True)
        sync = index_sync(catalogue)
        try:
            sync(catalogue, (Prepared.of(r) for r in _all_records(paths)), (), generation)
        finally:
            sync.close()
        total = len(catalogue)
    return JsonlResult(files, len(ids) - len(known), len(known), total, generation)


def summary(result: JsonlResult) -> Mapping[str, Any]:
    """The counts ``ingest --from-jsonl --format json`` prints."""
    return {"jsonl_files": list(result.files), "records_added": result.records_added,
            "records_updated": result.records_updated, "records_total": result.records_total}
