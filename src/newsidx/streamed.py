"""A big dataset through ingest in bounded batches, read by the writing process.

A parse worker hands a big or compressed dataset over as ``("stream", ...)`` (see
:mod:`newsidx.formats.work`) instead of every record at once. Its items are read here a
thousand at a time and added to the current batch; whenever the batch holds its limit of
text the batch is committed and a new one started, so memory holds one batch, never the
file (a 2 GB JSON Lines file or JSON array flows through).

The incremental rules stay true:

- the file's real state (size, mtime, hash, every id) is recorded only in the commit
  that holds its last items. Each commit before that records a placeholder no walk can
  match (size -1, no hash) and *adds* that batch's ids to the file's recorded ones
  (:meth:`FileState.part`, a cost in proportion to the batch), so a crash or Ctrl-C
  mid-file reads the file again next time, even if it is restored as it was, and if
  the file is gone by then its committed records are stale like any missing file's
  (pruned with ``--prune``); items committed already are found stored and merged,
  never duplicated;
- an item is upserted only when its record differs from the stored one, so after an
  edit only changed items are re-indexed and counted;
- ids the file held before are re-resolved (and deleted when no file gives them any
  more) only with its last items, once it is known that the file no longer gives them.

With ``--strict`` nothing is committed before the end, so the file is held whole.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from newsidx.store import FileState

if TYPE_CHECKING:
    from newsidx.batch import Batch
    from newsidx.ingest import IngestReport


def stream_in(outcome: tuple[Any, ...], path: str, known: bool, batch: Batch,
              report: IngestReport, max_size: int, held_limit: int | None,
              commit: Callable[[Batch], None]) -> tuple[Batch, str]:
    """Read the dataset of a ``("stream", sha, size, mtime_ns, kind, gz)`` outcome into
    ``batch``, committing full batches on the way; returns the batch to go on with and
    the file's status (new, updated, skipped or failed)."""
    from newsidx.batch import Batch
    from newsidx.formats.dataset import iter_dataset
    from newsidx.placement import place
    from newsidx.prepared import Prepared

    _, sha, size, mtime_ns, kind, gz = outcome
    old = batch.state(path) if known else None
    old_ids = old.ids if old is not None else ()
    ids: list[str] = []
    settled: set[str] = set()  # ids committed in earlier batches of this run
    warnings: list[str] = []
    failures: list[str] = []
    try:
        for part in iter_dataset(path, kind, gz, max_size):
            failures.extend(part.failures)
            warnings.extend(part.warnings)
            if not part.records:
                continue
            items = [Prepared.of(record) for record in place(part.records, path)]
            ids.extend(p.id for p in items)
            report.articles_read += len(items)
            report.articles_undated += sum(p.row.day is None for p in items)
            batch.add_items(path, items)
            del items
            if held_limit is not None and batch.held >= held_limit:
                # this batch's ids join the file's recorded ones, its state a placeholder
                batch.file_changes[path] = FileState.part(batch.pending[path])
                settled |= batch.pending[path]
                commit(batch)
                batch = Batch(batch.writer)
    except OSError as exc:  # the file went away or became unreadable while read
        failures.append(f"{path}: cannot read: {exc.strerror or exc}")
        broken = True
    else:
        broken = False
    report.failed.extend((path, message) for message in failures)
    if broken or not ids:
        if settled:  # committed in part: keep those, read the file again next time
            held = tuple(dict.fromkeys((*old_ids, *ids)))
            batch.finish_items(path, FileState(-1, -1, "", held, many=True), ())
            return batch, "failed"
        batch.pending.pop(path, None)
        batch.contributions.pop(path, None)
        if failures:
            return batch, "failed"
        report.skipped.append((path, "empty dataset: no items"))
        if old is not None:
            batch.set_file(path, None, None)
        return batch, "skipped"
    seen = set(ids)
    batch.finish_items(path, FileState(size, mtime_ns, sha, tuple(ids), many=True),
                       (i for i in old_ids if i not in seen))
    if warnings:
        report.warnings[path] = tuple(warnings)
    (report.updated if old is not None else report.new).append(path)
    return batch, "updated" if old is not None else "new"
