"""``search`` (by default) and ``list --group``: one row per story, and what was folded.

Writes a :class:`~newsidx.answers.StoryResults` page with :mod:`newsidx.storyview`, then
says on stderr what a reader cannot see in the rows: how many matching records were
folded into their stories' rows, and whether more stories follow (paging counts
stories). Exit 1 when no row was written.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from newsidx.cli import _empty, _exit, _out
from newsidx.cli.notes import note_undated
from newsidx.cli.output import columns, note
from newsidx.errors import ExitCode
from newsidx.options import color_for

if TYPE_CHECKING:
    from newsidx.answers import StoryResults
    from newsidx.api import Archive
    from newsidx.filters import Filters


def write_stories(archive: Archive, results: StoryResults, *, fmt: str, query: str | None,
                  offset: int, tty: bool, nul: bool, ranked: bool, filters: Filters) -> None:
    """Write the page of stories, then the notes; exit 1 when nothing was written."""
    from newsidx.storyview import write_grouped

    if not results.total and _empty(archive):
        _exit(ExitCode.NO_MATCH)
    short: dict[str, str] = {}
    if tty and fmt == "table":
        short = archive.short_ids(r.hit.record.id for r in results.rows)
    written = write_grouped(results, _out(), fmt=fmt, query=query, tty=tty, nul=nul,
                            ranked=ranked, short_ids=short, width=columns(),
                            color=color_for(sys.stdout))
    if not written:
        note("no records match" if results.total == 0 else
             f"no stories on this page ({results.total} records match; lower --offset)")
        note_undated(archive, query or "", filters)
        _exit(ExitCode.NO_MATCH)
    shown = f"stories {offset + 1}\u2013{offset + written}" if written > 1 else (
        f"story {offset + 1}")
    if results.more or offset:
        note(f"showing {shown}" + (" (-n N or --all for more)" if results.more else ""))
    if results.folded:
        note(f"{results.folded} more matching {_records(results.folded)} folded into "
             f"{'these stories' if written > 1 else 'this story'} ({results.total} match in "
             "all; --all-copies lists every one)")
    note_undated(archive, query or "", filters)


def _records(count: int) -> str:
    return "record" if count == 1 else "records"
