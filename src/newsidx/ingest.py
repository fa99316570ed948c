"""Ingest orchestration: walk, parse in parallel, merge and dedup, commit in batches.

``ingest`` holds the catalogue's writer lock for the whole run, compares each walked
file with the state recorded for it (size + mtime_ns, then sha256), parses only new and
changed files across processes, merges their records with what is stored (one record
per id; a full article wins over a related entry; ``sources`` and ``parents`` collect
every contributor) and commits every ``batch_size`` files, or sooner once the batch holds
``batch_bytes`` characters of parsed text: an interrupted run loses at most one batch (the
next run finishes the job) and memory does not grow with the run. Progress is reported
through a plain callback; nothing here prints.
"""

from __future__ import annotations

import errno
import functools
import hashlib
import json
import multiprocessing
import os
import stat
import sys
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, replace
from typing import Any, Literal, NamedTuple, Protocol, overload

import tantivy

from newsidx.bounded import read_bounded
from newsidx.errors import IngestFailed as IngestFailed  # re-exported: defined in errors
from newsidx.errors import ParseError, SkippedFile
from newsidx.errors import UsageError as UsageError  # re-exported: defined in errors
from newsidx.index import DocField, build_document, document_fields
from newsidx.interrupts import held, ingest_interrupted
from newsidx.merging import combine
from newsidx.model import Article, from_json
from newsidx.selection import NOT_ARTICLE, Selection
from newsidx.store import Catalogue, CatalogueWriter, FileState, Row, dump_line
from newsidx.store.bookkeeping import Bookkeeping, Survey
from newsidx.walk import walk
from newsidx.workers import worker_count

DEFAULT_MAX_SIZE = 10 * 1024 * 1024
DEFAULT_BATCH_SIZE = 20_000
DEFAULT_BATCH_BYTES = 48 * 1024 * 1024  # text of parsed records held before a commit
_PARALLEL_THRESHOLD = 32
_CHUNK = 64  # files per worker round trip
_WINDOW = 8  # chunks in flight per worker

Stage = Literal["walk", "file", "save", "fold", "index", "commit", "finish"]


class Prepared(NamedTuple):
    """One record as a parse worker hands it over: its catalogue row and index values.

    Building both in the workers keeps the single writing process from converting
    records to JSON and analysing their text; :meth:`record` rebuilds the record only
    when it has to be merged with another copy of the same id.
    """

    row: Row
    fields: list[DocField]

    @property
    def id(self) -> str:
        return self.row.id

    @staticmethod
    def of(record: Article) -> Prepared:
        return Prepared(Row.of(record), document_fields(record))

    def record(self) -> Article:
        return from_json(json.loads(self.row.line))

    def document(self) -> tantivy.Document:
        line = self.row.line.rstrip("\n")
        return build_document(self.row.id, line.encode("utf-8", "surrogatepass"), self.fields)


IndexSync = Callable[[Catalogue, Iterable[Prepared], Sequence[str], int], None]


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
    def rebuild(self, records: Iterable[Article | tantivy.Document], generation: int) -> None: ...
    def update(
        self, *, upserts: Iterable[Article | tantivy.Document], deletes: Iterable[str],
        generation: int,
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
                 deletes: Sequence[str], generation: int) -> None:
        docs = (p.document() for p in upserts)
        if self.index.generation() == generation - 1:
            self.session.update(upserts=docs, deletes=deletes, generation=generation)
        elif generation == 1:
            self.session.rebuild(docs, generation)
        else:
            self.session.rebuild(catalogue.iter_records(), generation)

    def close(self) -> None:
        self.session.close()


# -- the worker ---------------------------------------------------------------------

_Outcome = tuple[Any, ...]


def _read_regular(path: str, max_size: int) -> tuple[os.stat_result, bytes | None]:
    """The file's stat and bytes; None when it is over ``max_size`` or not regular.
    Raises ParseError at a line over the parser's line limit, without reading on."""
    from newsidx.parse import MAX_LINE

    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | os.O_CLOEXEC)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_size > max_size:
            return st, None
        return st, read_bounded(fd, max_size, MAX_LINE, path)
    finally:
        os.close(fd)


def work(task: tuple[str, str | None, int]) -> _Outcome:
    """Parse one file (in a worker process); returns picklable, JSON-able data.

    ``("ok", sha, size, mtime_ns, prepared_records, warnings[, many, item_failures])``
    (``many``: a file of many articles, see :mod:`newsidx.formats`), ``("same", sha, size,
    mtime_ns)`` when the bytes hash to ``old_sha``, ``("skipped", reason)`` or
    ``("failed", one_line_message)``.
    """
    path, old_sha, max_size = task
    from newsidx import notarticle, parse  # type: ignore[attr-defined,unused-ignore]

    try:
        try:
            st, data = _read_regular(path, max_size)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                return ("skipped", "symbolic link: not followed")
            return ("failed", f"{path}: cannot read: {exc.strerror or exc}")
        if not stat.S_ISREG(st.st_mode):
            return ("skipped", "not a regular file")
        from newsidx.formats import sniff_data, sniff_file

        many = sniff_file(path) if data is None else sniff_data(data)
        if many is not None:
            from newsidx.formats.work import work_many_articles

            return work_many_articles(path, st, old_sha, max_size, *many)
        if data is None:
            parse.parse_file(path, source=path, max_size=max_size)  # raises the size error
            return ("failed", f"{path}: changed while being read; ingest again")
        sha = hashlib.sha256(data).hexdigest()
        if sha == old_sha:
            return ("same", sha, st.st_size, st.st_mtime_ns)
        reason = notarticle.sniff(data, path)
        if reason is not None:
            return ("skipped", reason)
        result = parse.parse_bytes(data, path, file_name=os.path.basename(path))
        first = result.records[0]
        reason = notarticle.listing(first, path, bool(first.body.strip()))
        if reason is not None:
            return ("skipped", reason)
    except SkippedFile as exc:
        return ("skipped", exc.reason)
    except ParseError as exc:
        return ("failed", str(exc).replace("\n", " "))
    except RecursionError:
        return ("failed", f"{path}: too deeply nested to read")
    except MemoryError:
        return ("failed", f"{path}: too large to read")
    except Exception as exc:  # a parser bug must not end the run or lose other files
        return ("failed", f"{path}: internal error: {type(exc).__name__}: {exc}")
    from newsidx.placement import place

    items = [Prepared.of(r) for r in place(_dedup(result.records).values(), path)]
    return ("ok", sha, st.st_size, st.st_mtime_ns, items, list(result.warnings))


def work_many(tasks: Sequence[tuple[str, str | None, int]]) -> list[_Outcome]:
    """:func:`work` over a chunk of files: one round trip to a worker per chunk."""
    return [work(task) for task in tasks]


class _Tasks(Sequence[tuple[str, str | None, int]]):
    """The parse tasks of the files a survey found to read, fetched from its table as
    they are handed out (a million tuples held at once would take ~80 MB)."""

    def __init__(self, survey: Survey, max_size: int) -> None:
        self.survey, self.max_size = survey, max_size

    def __len__(self) -> int:
        return self.survey.todo

    @overload
    def __getitem__(self, i: int) -> tuple[str, str | None, int]: ...
    @overload
    def __getitem__(self, i: slice) -> list[tuple[str, str | None, int]]: ...

    def __getitem__(
        self, i: int | slice
    ) -> tuple[str, str | None, int] | list[tuple[str, str | None, int]]:
        if isinstance(i, slice):
            start, stop, step = i.indices(len(self))
            assert step == 1
            rows = self.survey.tasks(start, stop) if stop > start else []
            return [(path, sha, self.max_size) for path, sha, _ in rows]
        if not 0 <= i < len(self):
            raise IndexError(i)
        ((path, sha, _),) = self.survey.tasks(i, i + 1)
        return (path, sha, self.max_size)

    def __iter__(self) -> Iterator[tuple[str, str | None, int]]:
        for start in range(0, len(self), 4096):
            yield from self[start:start + 4096]


def _todo(survey: Survey) -> Iterator[tuple[str, bool]]:
    """The files to read, in task order, each with whether it has a recorded state."""
    for start in range(0, survey.todo, 4096):
        for path, _, known in survey.tasks(start, start + 4096):
            yield path, known


class _Parser:
    """Runs :func:`work` over many files, in a process pool when it is worth it."""

    def __init__(self, jobs: int | None, lock_fd: int, files: int | None = None) -> None:
        self.asked = jobs
        self.lock_fd = lock_fd
        self.pool: ProcessPoolExecutor | None = None
        self.fit(files)

    def fit(self, files: int | None) -> None:
        """Size the pool for ``files`` to read (None: unknown): at most one worker per
        file and PER_CORE per core; none below the threshold, where map() reads them here."""
        self.jobs = worker_count(self.asked, files)
        if files is not None and files < _PARALLEL_THRESHOLD:
            self.jobs = 1

    def map(self, tasks: Sequence[tuple[str, str | None, int]]) -> Iterator[_Outcome]:
        """Outcomes in task order. At most a few chunks per worker are in flight, so the
        workers keep parsing while the caller commits, and memory stays bounded."""
        if self.jobs <= 1 or len(tasks) < _PARALLEL_THRESHOLD:
            yield from map(work, tasks)
            return
        chunk = self._chunk(len(tasks))
        starts = iter(range(0, len(tasks), chunk))
        pending: deque[tuple[int, Future[list[_Outcome]]]] = deque()

        def submit() -> None:
            start = next(starts, None)
            if start is not None:
                pending.append((start, self._submit(work_many, tasks[start:start + chunk])))

        done = 0
        try:
            for _ in range(self.jobs * _WINDOW):
                submit()
            while pending:
                _, future = pending.popleft()
                outcomes = future.result()
                submit()
                for outcome in outcomes:
                    done += 1
                    yield outcome
        except BrokenProcessPool:
            for _, future in pending:
                future.cancel()
            self.close()
            # A worker died (a parser crash no except can catch): finish one file at a
            # time in fresh single-use workers, so only the culprit fails.
            for task in tasks[done:]:
                yield self._isolated(task)

    def _isolated(self, task: tuple[str, str | None, int]) -> _Outcome:
        with ProcessPoolExecutor(1, **self._pool_args()) as pool:
            try:
                with held():  # the worker forks here; see newsidx.interrupts
                    future = pool.submit(work, task)
                return future.result()
            except BrokenProcessPool:
                return ("failed", f"{task[0]}: the parser crashed on this file")

    def start(self) -> None:
        """Start the pool now (when parallel): every worker forks at once, from a parent
        that holds no walk (the survey lives in SQLite), so each copies little."""
        if self.jobs > 1:
            self._submit(int, 0).result()  # the first task forks every worker

    def _submit(self, fn: Callable[[Any], Any], arg: Any) -> Future[Any]:
        """Submit to the pool with SIGINT held, since a submit may fork workers, which
        must ignore it before they can take it (:mod:`newsidx.interrupts`)."""
        with held():
            return self._pool().submit(fn, arg)

    def _chunk(self, n: int) -> int:
        return max(1, min(_CHUNK, n // (self.jobs * 8)))

    def _pool_args(self) -> dict[str, Any]:
        ctx = multiprocessing.get_context()
        method = ctx.get_start_method()
        # Workers die with this process and hold none of its stdio (newsidx.workers);
        # a forked one also closes its copy of the writer lock.
        parent = None if method == "forkserver" else os.getpid()
        lock_fd = self.lock_fd if method == "fork" else None
        from newsidx import placement
        from newsidx.formats import dataset, work  # --map overrides and roots reach workers

        return {"mp_context": ctx, "initializer": work.init_worker,
                "initargs": (parent, lock_fd, dataset.overrides(), placement.roots())}

    def _pool(self) -> ProcessPoolExecutor:
        if self.pool is None:
            self.pool = ProcessPoolExecutor(self.jobs, **self._pool_args())
        return self.pool

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)
            self.pool = None


# -- merging ------------------------------------------------------------------------


def _rank(kind: str, source: str) -> tuple[int, str]:
    return (0 if kind == "article" else 1, source)


def _dedup(records: Iterable[Article]) -> dict[str, Article]:
    """One record per id within one file: the first full article, else the first entry."""
    out: dict[str, Article] = {}
    for record in records:
        if record.id not in out or (record.kind == "article" and out[record.id].kind != "article"):
            out[record.id] = record
    return out


def _parents(
    rid: str, contributors: Iterable[str], produced: Mapping[str, tuple[str, ...]]
) -> tuple[str, ...]:
    found = {
        produced[p][0] for p in contributors
        if produced[p] and produced[p][0] != rid and rid in produced[p][1:]
    }
    return tuple(sorted(found))


def _citing(state: FileState) -> tuple[str, ...]:
    return () if state.many else state.ids


class _Batch:
    """The changes one commit makes, derived from parsed files and stored records.

    The file states it sets overlay the committed ones in the bookkeeping database
    until the commit writes them there."""

    def __init__(self, writer: CatalogueWriter) -> None:
        self.writer = writer
        self.book: Bookkeeping = writer.book
        self.contributions: dict[str, dict[str, Prepared]] = {}
        self.replaced: set[str] = set()
        self.affected: set[str] = set()
        self.file_changes: dict[str, FileState | None] = {}
        self.produced: dict[str, tuple[str, ...]] = {}
        self.held = 0  # characters of shard lines and index text the batch holds
        self.merged = 0  # written records that more than one file gave
        # a streamed dataset's items given so far, before its state is (newsidx.streamed)
        self.pending: dict[str, set[str]] = {}
        self.joined: list[tuple[str, str]] = []  # files that joined another's record, why

    def set_file(
        self, path: str, state: FileState | None, records: Sequence[Prepared] | None
    ) -> None:
        """Set a file's new state; ``records`` replace its contributions (None: keep them,
        unless ``state`` is None too, which removes the file and its contributions)."""
        old = self.state(path)
        if (records is not None or state is None) and old is not None:
            self.affected.update(old.ids)
            self.replaced.add(path)
        if records is not None:
            self.replaced.add(path)
            self.contributions[path] = {p.id: p for p in records}
            self.held += sum(2 * len(p.row.line) for p in records)
            self.affected.update(self.contributions[path])
        self.file_changes[path] = state

    def add_items(self, path: str, records: Sequence[Prepared]) -> None:
        """Some items of a streamed dataset: contributed by ``path`` before its state is
        set (:meth:`finish_items`), so that they can be committed in this batch."""
        self.replaced.add(path)
        self.contributions.setdefault(path, {}).update((p.id, p) for p in records)
        self.pending.setdefault(path, set()).update(p.id for p in records)
        self.affected.update(p.id for p in records)
        self.held += sum(2 * len(p.row.line) for p in records)

    def finish_items(self, path: str, state: FileState, dropped: Iterable[str]) -> None:
        """Set a streamed dataset's state once all its items are given; ``dropped``: the
        ids it held before that it may no longer give (those given in earlier batches of
        this run are settled and left alone)."""
        self.replaced.add(path)
        self.affected.update(dropped)
        self.pending.pop(path, None)
        self.file_changes[path] = state

    def state(self, path: str) -> FileState | None:
        """The file's state as of this batch: its change here, else the committed one."""
        if path in self.file_changes:
            return self.file_changes[path]
        return self.book.file(path)

    def _paths_of(self, ids: Iterable[str]) -> dict[str, list[str]]:
        """Record id -> the files that produce it once this batch is committed."""
        ids = list(ids)
        changed: dict[str, set[str]] = {}
        for path, state in self.file_changes.items():
            for rid in state.ids if state is not None else ():
                changed.setdefault(rid, set()).add(path)
        for path, pending in self.pending.items():
            for rid in pending:
                changed.setdefault(rid, set()).add(path)
        committed = self.book.paths_of(ids)
        return {
            rid: sorted({p for p in committed.get(rid, ()) if p not in self.file_changes}
                        | changed.get(rid, set()))
            for rid in ids
        }

    def _produced(self, paths: Iterable[str]) -> dict[str, tuple[str, ...]]:
        """The ids each of ``paths`` produces once this batch is committed, article first
        and then the records it cites; none for a file of many articles, in which no
        record cites another (so none gets a parent there)."""
        wanted = set(paths)
        out = {p: _citing(s) for p, s in self.file_changes.items()
               if p in wanted and s is not None}
        rest = wanted - self.file_changes.keys()
        out.update((p, _citing(s)) for p, s in self.book.files(rest).items())
        out.update((p, ()) for p in self.pending if p in wanted and p not in out)
        return out

    def resolve(self, reparse: Callable[[list[str]], Mapping[str, Sequence[Prepared] | None]]
                ) -> tuple[list[Prepared], list[str], int, int]:
        """Upserts, deletes, added count, updated count for this batch."""
        contributors = self._paths_of(self.affected)
        stored = {rid: _Stored(line) for rid, line in self.writer.get_lines(self.affected).items()}
        # A record several files share by URL keeps each article copy's headline and
        # topics (newsidx.merging), so each of those copies is read, none taken as stored.
        shared = {rid: self._article_paths(rid, paths) for rid, paths in contributors.items()
                  if len(paths) > 1 or (rid in stored and stored[rid].shared)}
        tried: set[str] = set()
        while True:
            need: set[str] = set()
            for rid, paths in contributors.items():
                old = stored.get(rid)
                origin = old.origin if old else None
                if paths and (origin not in paths or origin in self.replaced):
                    need.update(p for p in paths if p not in self.contributions and p not in tried)
                need.update(p for p in shared.get(rid, ())
                            if p not in self.contributions and p not in tried)
            if not need:
                break
            tried |= need
            for path, records in reparse(sorted(need)).items():
                if records is not None:
                    self.contributions[path] = {p.id: p for p in records}

        self.produced = self._produced({p for paths in contributors.values() for p in paths})
        upserts: list[Prepared] = []
        deletes: list[str] = []
        added = updated = 0
        for rid, paths in contributors.items():
            old = stored.get(rid)
            if not paths:
                if old is not None:
                    deletes.append(rid)
                continue
            if old is None and len(paths) == 1:
                ready = self.contributions.get(paths[0], {}).get(rid)
                if ready is not None:
                    # One new record from one file: the worker built it with that file as
                    # its only source and the file's article as its parent, as merging would.
                    added += 1
                    upserts.append(ready)
                    continue
            merged = self._merge(rid, paths, old)
            if merged is None:
                continue
            if old is None:
                added += 1
                upserts.append(merged)
            elif old.line != merged.row.line:
                updated += 1
                upserts.append(merged)
            else:
                continue
            self.merged += len(paths) > 1
            if rid in shared and len(shared[rid]) > 1:
                self._note_joined(sorted(shared[rid]), json.loads(merged.row.line))
        return upserts, deletes, added, updated

    def _note_joined(self, copies: list[str], data: Mapping[str, Any]) -> None:
        """Name the files of this batch that joined a record another file gives (same
        URL); when all of them are new, the first is the record the others joined."""
        joined = [p for p in copies if p in self.replaced]
        if len(joined) == len(copies):
            joined = joined[1:]
        origin = str(data["sources"][0])
        for path in joined:
            other = origin if origin != path else next(p for p in copies if p != path)
            self.joined.append((path, f"same URL as {other} ({data.get('url')}): merged into "
                                      "one record, its headline kept as an alt title"))

    def _article_paths(self, rid: str, paths: Iterable[str]) -> list[str]:
        """The files among ``paths`` that give ``rid`` as an article, not as a citation."""
        out = []
        for path in paths:
            state = self.state(path)
            if state is not None and (state.many or state.ids[:1] == (rid,)):
                out.append(path)
        return out

    def _merge(self, rid: str, paths: list[str], old: _Stored | None) -> Prepared | None:
        """The record ``rid`` from its contributors and stored copy, per the dedup rules.

        Works on the JSON objects: a record's index values do not depend on its sources
        or parents, so a winner whose content equals a parsed copy reuses that copy's
        row and values instead of being converted and analysed again."""
        candidates: list[tuple[tuple[int, str], dict[str, Any], Prepared | None]] = []
        for path in paths:
            ready = self.contributions.get(path, {}).get(rid)
            if ready is not None:
                data = json.loads(ready.row.line)
                candidates.append((_rank(data["kind"], path), data, ready))
        if old is not None and old.origin is not None:
            origin = old.origin
            if origin in paths and origin not in self.replaced:
                candidates.append((_rank(old.data["kind"], origin), old.data, None))
            elif not candidates:  # no readable contributor left
                candidates.append(((2, origin), old.data, None))
        if not candidates:
            return None
        (_, origin), winner, ready = min(candidates, key=lambda c: c[0])
        data = dict(winner)
        if winner.get("kind") == "article" and (len(candidates) > 1 or "alt_titles" in winner):
            parsed = [c[1] for c in candidates if c[2] is not None and c[1] is not winner]
            data = combine(winner, parsed)
            if data != winner:
                ready = None
        if ready is None:
            content = _content(data)
            ready = next((c[2] for c in candidates
                          if c[2] is not None and _content(c[1]) == content), None)
        data["sources"] = [origin, *sorted(p for p in paths if p != origin)]
        data["parents"] = list(_parents(rid, paths, self.produced))
        line = dump_line(data)
        if ready is not None:
            return Prepared(ready.row._replace(line=line), ready.fields)
        return Prepared.of(from_json(data))


class _Stored:
    """A stored record's line, parsed on first use."""

    __slots__ = ("_data", "line")

    def __init__(self, line: str) -> None:
        self.line = line
        self._data: dict[str, Any] | None = None

    @property
    def data(self) -> dict[str, Any]:
        if self._data is None:
            self._data = json.loads(self.line)
        return self._data

    @property
    def origin(self) -> str | None:
        sources = self.data.get("sources")
        return str(sources[0]) if sources else None

    @property
    def shared(self) -> bool:
        """Stored as the merge of several article copies (they must all be read again)."""
        return "alt_titles" in self.data or (
            self.data.get("kind") == "article" and len(self.data.get("sources") or ()) > 1)


def _content(data: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k not in ("sources", "parents")}


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
) -> IngestReport:
    """Bring ``catalogue`` in line with the files under ``roots``; see the module doc.

    ``anchors`` (default: the roots) are the folders records' ``folder`` and source ids
    are relative to (:mod:`newsidx.identity`); ``check --repair`` passes the original
    ones when it re-reads files one by one.

    Raises UsageError for a missing root, LockedError when another process writes (unless
    ``wait``), IngestFailed when ``strict`` and a file failed (then nothing is written).
    ``selection`` (default: ignore files honoured) leaves paths out (``selection``).
    """
    selection = selection if selection is not None else Selection()
    given = [os.fsdecode(r) for r in roots]
    if "" in given:
        raise UsageError("an ingest path is empty (an unset shell variable?)")
    tops = [os.path.abspath(r) for r in given]
    for top in tops:
        if not os.path.lexists(top):
            raise UsageError(f"{top}: no such file or folder")
    from newsidx.placement import set_roots

    # records' folder, folder language and source ids (newsidx.placement, newsidx.identity)
    set_roots(tops if anchors is None else anchors)
    emit = progress or (lambda event: None)
    report = IngestReport()
    with catalogue.writer(wait=wait) as writer:
        parser = _Parser(jobs, writer.lock_fd, files=_most_files(tops))
        try:
            report.generation_before = report.generation = writer.generation
            survey, dropped = _survey(tops, hidden, selection, writer.book, report, emit,
                                      exclude=catalogue.root)
            report.ids_renewed = writer.book.upgraded
            parser.fit(survey.todo)  # -j 300 on 3 changed files starts no pool at all
            parser.start()
            size = survey.todo + 1 if strict else max(1, batch_size)
            held_limit = None if strict else max(1, batch_bytes)
            outcomes = parser.map(_Tasks(survey, max_size))
            done = report.unchanged
            batch = _Batch(writer)
            for path in dropped:  # stored, and now known by name not to be an article
                batch.set_file(path, None, None)
            in_batch = 0
            todo = _todo(survey)
            for count, ((path, known), outcome) in enumerate(zip(todo, outcomes, strict=True), 1):
                if outcome[0] == "stream":  # a big dataset, in batches (newsidx.streamed)
                    from newsidx.streamed import stream_in

                    batch, status = stream_in(outcome, path, known, batch, report, max_size,
                                              held_limit, lambda b: _commit(
                                                  b, writer, parser, max_size, report, emit,
                                                  index_sync))
                else:
                    status = _apply(outcome, path, known, batch, report)
                done += 1
                in_batch += 1
                emit(ProgressEvent("file", done, report.files_seen, path=path, status=status))
                full = in_batch >= size or (held_limit is not None and batch.held >= held_limit)
                if full and count < survey.todo:
                    in_batch = 0
                    _check_strict(strict, report)
                    if batch.file_changes:
                        _commit(batch, writer, parser, max_size, report, emit, index_sync)
                    batch = _Batch(writer)
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
            raise ingest_interrupted(report, writer.catalogue.peek_generation()) from None
        finally:
            parser.close()
            close = getattr(index_sync, "close", None)
            if close is not None:
                emit(ProgressEvent("finish", 0, 0))
                close()
        report.records_total = writer.record_count()
    return report


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


def _commit(batch: _Batch, writer: CatalogueWriter, parser: _Parser, max_size: int,
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
    generation = writer.commit(upserts=[p.row for p in upserts], deletes=deletes,
                               files=batch.file_changes, compact=compact)
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
        index_sync(writer.catalogue, _drain(upserts, emit), deletes, generation)
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


def _apply(outcome: _Outcome, path: str, known: bool, batch: _Batch,
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
