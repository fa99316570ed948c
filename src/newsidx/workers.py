"""Parse worker processes that follow their parent: sized to the work, gone when it is.

Ingest forks its parse workers early (:class:`newsidx.parsepool.Parser`). Left to
themselves, workers outlived a parent killed with ``kill -9`` (each holds the other
workers' ends of the pool's pipes, so none ever reads end-of-file) and kept the
caller's stdout open, so ``newsidx ingest DIR | wc -c`` never ended. Each worker now
asks Linux to kill it when its parent dies, checks that the parent is still the one
that forked it, and points its stdin, stdout and stderr at ``/dev/null``: it reports
everything, errors included, as results through the pool. And ``-j`` never starts more
workers than there are files to read or than :data:`PER_CORE` per core.
"""

from __future__ import annotations

import contextlib
import functools
import os
import signal
import sys
from collections.abc import Callable

PER_CORE = 4
"""Workers per usable core at most: parsing is CPU-bound, a few more hide file reads."""
_PR_SET_PDEATHSIG = 1


def cores() -> int:
    """The cores this process may run on (its affinity, not the machine's count)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def worker_count(jobs: int | None, files: int | None = None) -> int:
    """How many workers to start for ``-j jobs`` (None: one per core) and, when known,
    ``files`` to read: never more than either, nor than :data:`PER_CORE` per core."""
    count = min(cores() if jobs is None else jobs, PER_CORE * cores())
    if files is not None:
        count = min(count, files)
    return max(1, count)


def init_worker(parent: int | None, lock_fd: int | None) -> None:
    """Pool initializer run in each new worker; must never raise (a failing initializer
    breaks the pool). ``parent`` is the pid that starts the workers (None under
    ``forkserver``, whose server is their parent); ``lock_fd`` an inherited descriptor
    to close (the catalogue's writer lock, under ``fork``)."""
    ignore_interrupts()
    if lock_fd is not None:
        with contextlib.suppress(OSError):
            os.close(lock_fd)
    die_with_parent(parent)
    detach_stdio()


def ignore_interrupts() -> None:
    """Ignore SIGINT: Ctrl-C reaches the whole process group, and a worker that raised
    KeyboardInterrupt mid-task would break the pool and print a traceback; the parent
    ends the workers (:mod:`newsidx.interrupts`)."""
    from newsidx.interrupts import ignore_in_worker

    ignore_in_worker()


def die_with_parent(parent: int | None) -> None:
    """Be killed when the process that forked this one dies (Linux), and exit now if it
    already has: a parent killed just before the request would not trigger it."""
    prctl = _prctl()
    if prctl is not None:
        prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
    if parent is not None and os.getppid() != parent:
        os._exit(1)


def detach_stdio() -> None:
    """Point descriptors 0, 1 and 2 at ``/dev/null``, so that a worker holds none of the
    caller's terminal or pipes (a pipeline after ingest ends when ingest does)."""
    with contextlib.suppress(OSError):
        devnull = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            with contextlib.suppress(OSError):
                os.dup2(devnull, fd)
        if devnull > 2:
            os.close(devnull)


@functools.cache
def _prctl() -> Callable[..., int] | None:
    if not sys.platform.startswith("linux"):
        return None
    import ctypes

    try:
        prctl: Callable[..., int] = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    return prctl
