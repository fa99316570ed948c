"""Ingest orchestration: walk, parse in parallel, merge and dedup, commit in batches.

``ingest`` holds the catalogue's writer lock for the whole run, compares each walked
file with the state recorded for it (size + mtime_ns, then sha256), parses only new and
changed files across processes, merges their records with what is stored (one record
per id; a full article wins over a related entry; ``sources`` and ``parents`` collect
every contributor) and commits every ``batch_size`` files, or sooner once the batch holds
``batch_bytes`` characters of parsed text: an interrupted run loses at most one batch (the
next run finishes the job) and memory does not grow with the run. Progress is reported
through a plain callback; nothing here prints.

This module is the flow (survey, read, commit, drain) and its public types; the parse
workers and their pool are :mod:`newsidx.parsepool`, what one commit holds and how its
records resolve :mod:`newsidx.batch`.
"""

from __future__ import annotations

import functools
import os
import sqlite3
import stat
import sys
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal, Protocol

from newsidx.batch import Batch
from newsidx.errors import IngestFailed as IngestFailed  # re-exported: defined in errors
from newsidx.errors import UsageError as UsageError  # re-exported: defined in errors
from newsidx.indexdoc import IndexDoc
from newsidx.interrupts import ingest_interrupted
from newsidx.model import Article
from newsidx.parsepool import Outcome, Parser, Tasks, files_to_read
from newsidx.prepared import Prepared as Prepared  # re-exported: defined in prepared
from newsidx.prepared import set_stories, stories_on
from newsidx.selection import NOT_ARTICLE, Selection
from newsidx.store import Catalogue, CatalogueWriter, FileState
from newsidx.store.bookkeeping import Bookkeeping, Survey
from newsidx.walk import walk

DEFAULT_MAX_SIZE = 10 * 1024 * 1024
DEFAULT_BATCH_SIZE = 20_000
DEFAULT_BATCH_BYTES = 48 * 1024 * 1024  # text of parsed records held before a commit

Stage = Literal["walk", "file", "save", "fold", "index", "commit", "finish"]

class IndexSync(Protocol):
    """The ``index_sync`` hook: bring the index in step with a commit of ``generation``
    (its ``upserts`` and ``deletes``; ``added``: the upserts' ids new to the catalogue)."""

    def __call__(self, catalogue: Catalogue, upserts: Iterable[Prepared],
                 deletes: Sequence[str], generation: int, added: Collection[str] = ...
                 ) -> None: ...


@dataclass(frozen=True, slots=True)
class ProgressEvent:
    """One step of an ingest: ``walk`` (files found so far), ``file`` (one file done,
    ``status`` new/updated/unchanged/skipped/failed), ``save`` (a batch being written to
    the catalogue; ``fold`` for the last one, which folds the shards), ``index`` (its
    records being indexed, ``done`` of ``total``), ``commit`` (the batch committed) or
    ``finish`` (waiting for the index's last merges)."""

    stage: Stage
    done: int
    total: int
    path: str | None = None
    status: str | None = None
    generation: int | None = None


@dataclass
class IngestReport:
    """What an ingest did; ``exit_code`` is 0 (all fine or skipped) or 1 (some failed)."""

    files_seen: int = 0
    new: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)
    pruned: list[str] = field(default_factory=list)
    records_added: int = 0
    records_updated: int = 0
    records_removed: int = 0
    records_total: int = 0
    records_merged: int = 0  # records written from several files' copies, one kept
    articles_read: int = 0  # articles of the files read in this run (not related entries)
    articles_undated: int = 0  # of those, the ones no date was found for
    files_merged: int = 0  # files whose article joined a record another file gives (same URL)
    merged_files: list[tuple[str, str]] = field(default_factory=list)  # those files, why
    ids_renewed: bool = False  # the catalogue's ids came from text: every file read again
    warnings: dict[str, tuple[str, ...]] = field(default_factory=dict)
    generation_before: int = 0
    generation: int = 0
    stories: bool = False  # whether this run grouped its records into stories
    # True/False when this run turned grouping on/off for the catalogue; None: as it was
    stories_changed: bool | None = None
    stories_regrouped: int = 0  # stored records grouped when stories were turned on
    commits: int = 0
    files_committed: int = 0  # file states saved by the commits so far

    @property
    def changed(self) -> bool:
        return self.commits > 0

    @property
    def exit_code(self) -> int:
        return 1 if self.failed else 0


class IndexLike(Protocol):
    def generation(self) -> int | None: ...
    def session(self) -> SessionLike: ...


class SessionLike(Protocol):
    def rebuild(self, records: Iterable[Article | IndexDoc], generation: int) -> None: ...
    def update(
        self, *, upserts: Iterable[Article | IndexDoc], deletes: Iterable[str],
        generation: int, added: Collection[str] = ...,
    ) -> None: ...
    def close(self) -> None: ...


def index_sync_for(index: IndexLike) -> IndexSyncer:
    """The ``index_sync`` hook that keeps ``index`` in step with the catalogue."""
    return IndexSyncer(index)


class IndexSyncer:
    """An ``index_sync`` hook: update the index in step, rebuild it when it lags behind.

    One index writer serves every commit of the run (``close`` ends it), so tantivy's
    merges run alongside the parsing. The first commit of a catalogue holds every record,
    so its index is built from the commit's own upserts rather than by reading the
    catalogue back.
    """

    def __init__(self, index: IndexLike) -> None:
        self.index = index
        self.session = index.session()

    def __call__(self, catalogue: Catalogue, upserts: Iterable[Prepared],
                 deletes: Sequence[str], generation: int, added: Collection[str] = ()
                 ) -> None:
        docs = (p.document() for p in upserts)
        if self.index.generation() == generation - 1:
            self.session.update(upserts=docs, deletes=deletes, generation=generation,
                                added=added)
        elif generation == 1:
            self.session.rebuild(docs, generation)
        else:
            self.session.rebuild(catalogue.iter_records(), generation)

    def close(self) -> None:
        self.session.close()


# -- the run ------------------------------------------------------------------------


def _most_files(tops: Sequence[str]) -> int | None:
    """How many files the roots hold at most, when that is known before the walk (every
    root a file), so that ``-j 300`` on 3 files starts no pool at all; else None."""
    return len(tops) if all(_is_file(top) for top in tops) else None


def _under(path: str, roots: Sequence[str]) -> bool:
    return any(path == r or path.startswith(r.rstrip(os.sep) + os.sep) for r in roots)


def _is_file(path: str) -> bool:
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False


def ingest(
    roots: Iterable[str | os.PathLike[str]],
    catalogue: Catalogue,
    *,
    hidden: bool = False,
    prune: bool = False,
    strict: bool = False,
    wait: bool = False,
    jobs: int | None = None,
    max_size: int = DEFAULT_MAX_SIZE,
    batch_size: int = DEFAULT_BATCH_SIZE,
    batch_bytes: int = DEFAULT_BATCH_BYTES,
    progress: Callable[[ProgressEvent], None] | None = None,
    index_sync: IndexSync | None = None,
    selection: Selection | None = None,
    anchors: Sequence[str] | None = None,
    stories: bool | None = None,
) -> IngestReport:
    """Bring ``catalogue`` in line with the files under ``roots``; see the module doc.

    ``anchors`` (default: the roots) are the folders records' ``folder`` and source ids
    are relative to (:mod:`newsidx.identity`); ``check --repair`` passes the original
    ones when it re-reads files one by one.

    Raises UsageError for a missing root, LockedError when another process writes (unless
    ``wait``), IngestFailed when ``strict`` and a file failed (then nothing is written).
    ``selection`` (default: ignore files honoured) leaves paths out (``selection``).
    ``stories``: True/False turns story grouping on/off for this and every later ingest
    into the catalogue (:mod:`newsidx.store.settings`); None keeps what it was.
    """
    selection = selection if selection is not None else Selection()
    given = [os.fsdecode(r) for r in roots]
    if "" in given:
        raise UsageError("an ingest path is empty (an unset shell variable?)")
    tops = [os.path.abspath(r) for r in given]
    for top in tops:
        if not os.path.lexists(top):
            raise UsageError(f"{top}: no such file or folder")
    from newsidx.placement import roots_set

    # records' folder, folder language and source ids (newsidx.placement, newsidx.identity)
    with roots_set(tops if anchors is None else anchors):
        return _run(catalogue, tops, hidden=hidden, prune=prune, strict=strict, wait=wait,
                    jobs=jobs, max_size=max_size, batch_size=batch_size,
                    batch_bytes=batch_bytes, progress=progress, index_sync=index_sync,
                    selection=selection, stories=stories)


def _run(catalogue: Catalogue, tops: list[str], *, hidden: bool, prune: bool, strict: bool,
         wait: bool, jobs: int | None, max_size: int, batch_size: int, batch_bytes: int,
         progress: Callable[[ProgressEvent], None] | None, index_sync: IndexSync | None,
         selection: Selection, stories: bool | None) -> IngestReport:
    emit = progress or (lambda event: None)
    report = IngestReport()
    with catalogue.writer(wait=wait) as writer:
        report.stories = _stories_setting(catalogue, stories, report)
        parser = Parser(jobs, writer.lock_fd, files=_most_files(tops))
        was = stories_on()
        try:
            set_stories(report.stories)  # before the pool starts: its workers are told too
            report.generation_before = report.generation = writer.generation
            if report.stories_changed and writer.generation:  # turned on: group the stored
                from newsidx.storyregroup import CHUNK, regroup_stored

                report.stories_regrouped = regroup_stored(writer, index_sync)
                report.commits += -(-report.stories_regrouped // CHUNK)
                report.generation = writer.generation
            survey, dropped = _survey(tops, hidden, selection, writer.book, report, emit,
                                      exclude=catalogue.root)
            report.ids_renewed = writer.book.upgraded
            parser.fit(survey.todo)  # -j 300 on 3 changed files starts no pool at all
            parser.start()
            size = survey.todo + 1 if strict else max(1, batch_size)
            held_limit = None if strict else max(1, batch_bytes)
            outcomes = parser.map(Tasks(survey, max_size))
            done = report.unchanged
            batch = Batch(writer)
            for path in dropped:  # stored, and now known by name not to be an article
                batch.set_file(path, None, None)
            in_batch = 0
            todo = files_to_read(survey)
            ahead = report.stories and not writer.generation  # a first ingest, grouped
            if ahead:
                from newsidx.storyrun import pregroup
            for count, ((path, known), outcome) in enumerate(zip(todo, outcomes, strict=True), 1):
                if outcome[0] == "stream":  # a big dataset, in batches (newsidx.streamed)
                    from newsidx.streamed import stream_in

                    batch, status = stream_in(outcome, path, known, batch, report, max_size,
                                              held_limit, lambda b: _commit(
                                                  b, writer, parser, max_size, report, emit,
                                                  index_sync))
                else:
                    status = _apply(outcome, path, known, batch, report)
                    if ahead and outcome[0] == "ok":  # matched now, while workers parse
                        pregroup(writer, outcome[4])
                done += 1
                in_batch += 1
                emit(ProgressEvent("file", done, report.files_seen, path=path, status=status))
                full = in_batch >= size or (held_limit is not None and batch.held >= held_limit)
                if full and count < survey.todo:
                    in_batch = 0
                    _check_strict(strict, report)
                    if batch.file_changes:
                        _commit(batch, writer, parser, max_size, report, emit, index_sync)
                    batch = Batch(writer)
                    _release_memory()
            if prune:
                for path in report.stale:
                    batch.set_file(path, None, None)
                report.pruned, report.stale = report.stale, []
            _check_strict(strict, report)
            if batch.file_changes or writer.needs_fold():
                # The last commit of the run folds each shard back into one plain file.
                _commit(batch, writer, parser, max_size, report, emit, index_sync, compact=True)
        except KeyboardInterrupt:
            index = getattr(index_sync, "index", None)
            raise ingest_interrupted(report, writer.catalogue.peek_generation(),
                                     index.generation() if index is not None else None
                                     ) from None
        finally:
            set_stories(was)  # this run's setting, not the next catalogue's
            parser.close()
            close = getattr(index_sync, "close", None)
            if close is not None:
                emit(ProgressEvent("finish", 0, 0))
                close()
        report.records_total = writer.record_count()
    return report


def _stories_setting(catalogue: Catalogue, asked: bool | None, report: IngestReport) -> bool:
    """Whether this run groups stories: as asked (then recorded for the catalogue's later
    ingests), else as recorded. Called with the writer lock held."""
    from newsidx.store.settings import Settings, read_settings, write_settings

    recorded = read_settings(catalogue.root)
    if asked is None or asked == recorded.stories:
        return recorded.stories
    write_settings(catalogue.root, Settings(stories=asked))
    report.stories_changed = asked
    return asked


def _survey(tops: list[str], hidden: bool, selection: Selection, book: Bookkeeping,
            report: IngestReport, emit: Callable[[ProgressEvent], None],
            exclude: str | os.PathLike[str]) -> tuple[Survey, list[str]]:
    """Walk the roots; count unchanged files and stale states; find the files to read;
    list the stored files now skipped as not articles (their records go at once).
    Files left out by ignore files or --include/--exclude are stale (go with --prune).

    The walk is compared with the recorded states in SQL (:meth:`Bookkeeping.survey`), so
    a run over a million unchanged files holds neither their paths nor their states."""

    not_articles: set[str] = set()
    from newsidx.formats.dataset import overrides

    remap = bool(overrides())  # --map: datasets read again (an impossible mtime), others hashed

    def walked() -> Iterator[tuple[str, int, int]]:
        for entry in walk(tops, hidden=hidden, exclude=(exclude,), select=selection.for_root):
            if entry.skipped is not None:
                report.skipped.append((entry.path, entry.skipped))
                if entry.skipped.startswith(NOT_ARTICLE):
                    not_articles.add(entry.path)
                continue
            report.files_seen += 1
            if report.files_seen % 1000 == 0:
                emit(ProgressEvent("walk", report.files_seen, 0))
            yield entry.path, entry.size, -1 if remap else entry.mtime_ns

    emit(ProgressEvent("walk", 0, 0))
    survey = book.survey(walked())
    emit(ProgressEvent("walk", report.files_seen, report.files_seen))
    report.unchanged = survey.seen - survey.todo
    inside = [os.path.abspath(exclude)]  # files ingested from the catalogue by older versions
    dropped = sorted(p for p in survey.unwalked if p in not_articles)
    report.stale = sorted(
        p for p in survey.unwalked
        if p not in not_articles and _under(p, tops)
        and (not _is_file(p) or _under(p, inside) or selection.left_out(p, tops) is not None))
    return survey, dropped


def _check_strict(strict: bool, report: IngestReport) -> None:
    if strict and report.failed:
        raise IngestFailed(
            f"{len(report.failed)} file(s) failed; nothing written (strict): "
            f"{report.failed[0][1]}",
            report,
        )


def _commit(batch: Batch, writer: CatalogueWriter, parser: Parser, max_size: int,
            report: IngestReport, emit: Callable[[ProgressEvent], None],
            index_sync: IndexSync | None, *, compact: bool = False) -> None:
    def reparse(paths: list[str]) -> dict[str, Sequence[Prepared] | None]:
        tasks = [(p, None, max_size) for p in paths]
        return {
            path: outcome[4] if outcome[0] == "ok" else None
            for path, outcome in zip(paths, parser.map(tasks), strict=True)
        }

    emit(ProgressEvent("fold" if compact else "save", 0, 0))
    upserts, deletes, added, updated = batch.resolve(reparse)
    batch.contributions.clear()  # the upserts are now the only copy of the parsed records

    def stage(db: sqlite3.Connection) -> None:  # inside the bookkeeping transaction
        from newsidx.storyrun import group

        upserts[:] = group(db, writer, upserts, deletes)

    generation = writer.commit(upserts=(p.row for p in upserts), deletes=deletes,
                               files=batch.file_changes, compact=compact,
                               stage=stage if report.stories else None)
    report.generation = generation
    report.commits += 1
    report.records_added += added
    report.records_updated += updated
    report.records_removed += len(deletes)
    report.records_merged += batch.merged
    report.files_committed += len(batch.file_changes)
    report.files_merged += len(batch.joined)
    report.merged_files.extend(batch.joined)
    if index_sync is not None:
        # an update of sources or parents only keeps its document (unless grouping has
        # just given the record another story, which changed its line again)
        unindexed = batch.unindexed
        upserts[:] = [p for p in upserts if unindexed.get(p.id) != p.row.line]
        index_sync(writer.catalogue, _drain(upserts, emit), deletes, generation,
                   batch.added)
    emit(ProgressEvent("commit", report.files_seen, report.files_seen, generation=generation))


def _drain(items: list[Prepared], emit: Callable[[ProgressEvent], None]
           ) -> Iterator[Prepared]:
    """``items`` first to last, each dropped from the list once handed over: tantivy
    queues thousands of documents, and the batch's records need not be held beside them.
    Reports ``index`` progress every 500 records."""
    total = len(items)
    items.reverse()
    emit(ProgressEvent("index", 0, total))
    while items:
        yield items.pop()
        done = total - len(items)
        if done % 500 == 0:
            emit(ProgressEvent("index", done, total))
    emit(ProgressEvent("index", total, total))


def _release_memory() -> None:
    """Hand a committed batch's freed memory back to the system (glibc keeps it otherwise).

    The batch's records are freed by several threads (parsing results arrive on the pool's
    thread, tantivy indexes on its own), and glibc keeps each thread's freed memory in its
    arena: at 30k files that was ~150 MB of a 380 MB process, returned by one
    ``malloc_trim`` per commit that takes a few milliseconds."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    if not sys.platform.startswith("linux"):
        return None
    import ctypes

    try:
        return ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return None


def _apply(outcome: Outcome, path: str, known: bool, batch: Batch,
           report: IngestReport) -> str:
    """Record one file's outcome in the batch and the report; returns its status.
    ``known``: the file has a recorded state (looked up only then)."""
    kind = outcome[0]
    old = batch.state(path) if known else None
    if kind == "failed":
        report.failed.append((path, outcome[1]))
        return "failed"
    if kind == "skipped":
        report.skipped.append((path, outcome[1]))
        if old is not None:
            batch.set_file(path, None, None)
        return "skipped"
    if kind == "same":
        assert old is not None
        _, sha, size, mtime_ns = outcome
        batch.set_file(path, replace(old, size=size, mtime_ns=mtime_ns), None)
        report.unchanged += 1
        return "unchanged"
    _, sha, size, mtime_ns, records, warnings, *more = outcome
    many, item_failures = (more[0], more[1]) if more else (False, ())
    report.failed.extend((path, message) for message in item_failures)
    ids = tuple(p.id for p in records)
    for item in records:
        if item.row.kind == "article":
            report.articles_read += 1
            report.articles_undated += item.row.day is None
    batch.set_file(path, FileState(size, mtime_ns, sha, ids, many=many), records)
    if warnings:
        report.warnings[path] = tuple(warnings)
    (report.updated if old is not None else report.new).append(path)
    return "updated" if old is not None else "new"

