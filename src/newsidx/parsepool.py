"""The parse workers' job and the pool that runs it: one file in, picklable data out.

:func:`work` reads and parses one file in a worker process (or here, for a few files)
and returns its outcome as plain data with the records ready to commit
(:class:`~newsidx.prepared.Prepared`); :class:`Parser` hands the files a survey found
to read to a process pool in chunks, a few in flight per worker, and gives back their
outcomes in task order, finishing one file at a time when a worker dies. The workers
themselves follow their parent (:mod:`newsidx.workers`).
"""

from __future__ import annotations

import errno
import hashlib
import multiprocessing
import os
import stat
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, overload

from newsidx.bounded import read_bounded
from newsidx.errors import ParseError, SkippedFile
from newsidx.interrupts import held
from newsidx.model import Article
from newsidx.prepared import Prepared
from newsidx.store.bookkeeping import Survey
from newsidx.workers import worker_count

_PARALLEL_THRESHOLD = 32
_CHUNK = 64  # files per worker round trip
_WINDOW = 8  # chunks in flight per worker

Outcome = tuple[Any, ...]  # what work() returns for one file: see its docstring


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


def work(task: tuple[str, str | None, int]) -> Outcome:
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

    items = [Prepared.of(r) for r in place(dedup(result.records).values(), path)]
    return ("ok", sha, st.st_size, st.st_mtime_ns, items, list(result.warnings))


def work_many(tasks: Sequence[tuple[str, str | None, int]]) -> list[Outcome]:
    """:func:`work` over a chunk of files: one round trip to a worker per chunk."""
    return [work(task) for task in tasks]


class Tasks(Sequence[tuple[str, str | None, int]]):
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


def files_to_read(survey: Survey) -> Iterator[tuple[str, bool]]:
    """The files to read, in task order, each with whether it has a recorded state."""
    for start in range(0, survey.todo, 4096):
        for path, _, known in survey.tasks(start, start + 4096):
            yield path, known


class Parser:
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

    def map(self, tasks: Sequence[tuple[str, str | None, int]]) -> Iterator[Outcome]:
        """Outcomes in task order. At most a few chunks per worker are in flight, so the
        workers keep parsing while the caller commits, and memory stays bounded."""
        if self.jobs <= 1 or len(tasks) < _PARALLEL_THRESHOLD:
            yield from map(work, tasks)
            return
        chunk = self._chunk(len(tasks))
        starts = iter(range(0, len(tasks), chunk))
        pending: deque[tuple[int, Future[list[Outcome]]]] = deque()

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

    def _isolated(self, task: tuple[str, str | None, int]) -> Outcome:
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
        from newsidx import placement, prepared
        from newsidx.formats import dataset, work  # --map overrides and roots reach workers

        return {"mp_context": ctx, "initializer": work.init_worker,
                "initargs": (parent, lock_fd, dataset.overrides(), placement.roots(),
                             prepared.stories_on())}

    def _pool(self) -> ProcessPoolExecutor:
        if self.pool is None:
            self.pool = ProcessPoolExecutor(self.jobs, **self._pool_args())
        return self.pool

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)
            self.pool = None


def dedup(records: Iterable[Article]) -> dict[str, Article]:
    """One record per id within one file: the first full article, else the first entry."""
    out: dict[str, Article] = {}
    for record in records:
        if record.id not in out or (record.kind == "article" and out[record.id].kind != "article"):
            out[record.id] = record
    return out

