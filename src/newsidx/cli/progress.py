"""The progress bar of long commands on a terminal's stderr; nothing when it is not one.

One rich bar with the phase, a count, the rate and the time left (a spinner and a
count while the total is unknown). It redraws ten times a second on its own, so a phase
that reports nothing for a while (a commit, tantivy's merges) still shows its label, a
moving spinner and the time it has taken. The library reports through typed callbacks
(:class:`newsidx.progress.Step`, :class:`newsidx.ingest.ProgressEvent`); this module
is the only one that draws them. rich is imported only when a bar is shown.
"""

from __future__ import annotations

import contextlib
from types import TracebackType
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

    from newsidx.ingest import ProgressEvent
    from newsidx.progress import Step

INGEST_PHASES = {
    "walk": "finding files",
    "file": "reading files",
    "save": "writing the catalogue",
    "index": "indexing",
    "fold": "folding the catalogue's shards",
    "finish": "finishing the index",
    "commit": "reading files",
}
"""What each ingest stage is called on the bar."""


def _is_tty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


class Bar:
    """A progress bar on ``stream``; use as a context manager (it starts and stops it,
    and leaves nothing behind on the terminal)."""

    def __init__(self, stream: TextIO) -> None:
        self.bar = _progress(stream)
        self.task: TaskID = self.bar.add_task("starting", total=None)
        self.phase = "starting"

    def __enter__(self) -> Bar:
        self.bar.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.bar.stop()

    def show(self, phase: str, done: int, total: int | None) -> None:
        """Show ``done`` of ``total`` (None: unknown) for ``phase``; a new phase starts
        its own rate and time."""
        total = total or None
        if phase != self.phase:  # a new task: rich cannot set a known total back to None
            # the new task first: a Ctrl-C between the two calls leaves a task to update
            old, self.phase = self.task, phase
            self.task = self.bar.add_task(phase, total=total, completed=done)
            with contextlib.suppress(KeyError):
                self.bar.remove_task(old)
        else:
            self.bar.update(self.task, completed=done, total=total)

    def step(self, step: Step) -> None:
        """The callback for :class:`newsidx.progress.Step` reports."""
        self.show(step.phase, step.done, step.total)

    def ingest(self, event: ProgressEvent) -> None:
        """The callback for :meth:`newsidx.Archive.ingest`'s events."""
        phase = INGEST_PHASES.get(event.stage, event.stage)
        if event.stage == "commit":  # a batch is saved and indexed: back to reading
            self.show(phase, event.done, event.total)
        elif event.stage == "walk":
            self.show(phase, event.done, None)  # the walk's total is its count, at the end
        else:
            self.show(phase, event.done, event.total)


def bar_for(stream: TextIO) -> Bar | None:
    """A :class:`Bar` when ``stream`` is a terminal, else None (piped: say nothing)."""
    return Bar(stream) if _is_tty(stream) else None


def _progress(stream: TextIO) -> Progress:
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        ProgressColumn,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )
    from rich.text import Text

    class RateColumn(ProgressColumn):
        """Units per second over the last seconds, blank until there is one."""

        def render(self, task: Any) -> Text:
            speed = task.finished_speed or task.speed
            return Text(f"{speed:,.0f}/s" if speed else "", style="progress.data.speed")

    return Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                    MofNCompleteColumn(), RateColumn(), TimeElapsedColumn(),
                    TimeRemainingColumn(), console=Console(file=stream),
                    transient=True, refresh_per_second=10)
