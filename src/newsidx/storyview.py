"""Stories as people and programs read them: grouped search and listing rows.

A grouped row is its best record written as :func:`newsidx.render.write_hits` writes
any hit, plus what the row stands for. On a terminal, a dim line under the title:
``+4 more: scmp.com, ft.com, caixinglobal.com …`` (the other matching members'
outlets), with the story's size when more of it did not match. Piped as plain text, the
same words as a last tab-separated field (``-`` for a story of one), so each row stays
one line. JSON, JSONL and CSV add ``story_size`` (every record of the story) and
``story_members`` (the ids of its matching records, the shown one first); ``ids`` and
``paths`` write the shown record of each row only (``--all-copies`` for every one).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from newsidx.answers import StoryResults, StoryRow

SHOWN_OUTLETS = 3


def more_line(row: StoryRow) -> str:
    """What a row folds, in words; empty for a story of one record."""
    outlets = [p for p in row.providers if p != "-"]
    words = ""
    if row.folded:
        listed = ", ".join(outlets[:SHOWN_OUTLETS])
        tail = " \u2026" if len(outlets) > SHOWN_OUTLETS else ""
        words = f"+{row.folded} more" + (f": {listed}{tail}" if listed else "")
    if row.size > len(row.members):
        words += ("; " if words else "") + f"{row.size} records in its story"
    return words


def row_extra(row: StoryRow) -> dict[str, Any]:
    """The keys a grouped row adds to its record's JSON and CSV."""
    return {"story": row.story, "story_size": row.size, "story_members": list(row.members)}


def write_grouped(results: StoryResults, out: TextIO, *, fmt: str, query: str | None,
                  tty: bool, nul: bool, ranked: bool, short_ids: Mapping[str, str],
                  width: int, color: bool | None) -> int:
    """Write a page of stories in ``fmt``; returns the rows written."""
    from newsidx.render import write_hits

    rows = results.rows
    return write_hits(
        [r.hit for r in rows], out, fmt=fmt, query=query, total=results.total, tty=tty,
        nul=nul, ranked=ranked, short_ids=short_ids, width=width, color=color,
        extra={r.hit.record.id: row_extra(r) for r in rows},
        below={r.hit.record.id: more_line(r) for r in rows})
