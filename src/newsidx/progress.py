"""Progress of long work (reindex, check, export) as typed steps through a callback.

The core never prints: it says what runs now with a :class:`Step` to an :data:`OnStep`
callback, and the command line renders the steps as a progress bar on a terminal
(:mod:`newsidx.cli.progress`). Ingest has its own, richer events
(:class:`newsidx.ingest.ProgressEvent`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Step:
    """What runs now: ``phase`` (a few words for people, "indexing"), ``done`` units of
    ``total`` (None when the total is not known)."""

    phase: str
    done: int = 0
    total: int | None = None


OnStep = Callable[[Step], None]
"""Receives each :class:`Step`; it must be quick (it runs in the working thread)."""


def counted(items: Iterable[T], on_step: OnStep | None, phase: str, *,
            total: int | None = None, then: str | None = None,
            every: int = 500) -> Iterator[T]:
    """``items`` as they are, reporting ``phase`` with the count so far every ``every``
    items; once they run out, ``then`` (the work that follows, e.g. "writing the index")
    starts as a phase of unknown length, so the last stretch is not silent."""
    if on_step is None:
        yield from items
        return
    on_step(Step(phase, 0, total))
    done = 0
    for item in items:
        yield item
        done += 1
        if done % every == 0:
            on_step(Step(phase, done, total))
    on_step(Step(phase, done, total if total is None else max(total, done)))
    if then is not None:
        on_step(Step(then))


def step(on_step: OnStep | None, phase: str, done: int = 0, total: int | None = None) -> None:
    """Report one step when someone listens."""
    if on_step is not None:
        on_step(Step(phase, done, total))
