"""Ctrl-C: what an interrupted command says, and parse workers that leave it to their
parent.

A terminal sends SIGINT to the whole foreground process group, parse workers included.
Workers ignore it (:func:`ignore_in_worker`; SIGINT is held while they are forked, so
none can take it before it ignores it), so no worker dies mid-task or prints a
traceback and the pool stays whole; the parent alone raises ``KeyboardInterrupt``,
stops its workers on the way out, and the command line turns that into one line and
exit 130 (:class:`newsidx.errors.ExitCode`). An interrupted ingest raises
:class:`Interrupted`, still a ``KeyboardInterrupt``, whose text says what stays: every
commit before the interrupt is whole (the commit protocol), the batch in flight is not
written.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from newsidx.ingest import IngestReport


class Interrupted(KeyboardInterrupt):
    """Ctrl-C during a write; ``str()`` is the one line for people."""


def ingest_interrupted(report: IngestReport, generation: int,
                       index_generation: int | None = None) -> Interrupted:
    """What an ingest interrupted at catalogue ``generation`` (as now committed) keeps;
    ``index_generation`` is the search index's, when known: one behind is said too."""
    if generation <= report.generation_before:
        return Interrupted("interrupted: nothing of this ingest was written; the catalogue "
                           "is as it was")
    files = report.files_committed
    behind = ("; the search index is behind it until the next search or `newsidx reindex`"
              if index_generation is not None and index_generation != generation else "")
    return Interrupted(
        f"interrupted: what was committed stays ({files} file{'s' if files != 1 else ''}, "
        f"generation {generation}); run the same ingest again to read the rest{behind}")


@contextlib.contextmanager
def held() -> Iterator[None]:
    """Hold SIGINT in this thread for a block (a fork of workers); one that arrives
    meanwhile is delivered when the block ends."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    try:
        old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    except (AttributeError, OSError, ValueError):
        yield
        return
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


def ignore_in_worker() -> None:
    """In a new parse worker: ignore SIGINT (the parent ends the workers), then let
    signals through again; a SIGINT held since the fork is discarded, not raised."""
    with contextlib.suppress(AttributeError, OSError, ValueError):
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    with contextlib.suppress(AttributeError, OSError, ValueError):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
