"""Stories as people and programs read them: grouped search and listing rows, and the
stories of ``newsidx stories``.

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
    from newsidx.answers import Stories, StoryResults, StoryRow, StorySummary

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


def summary_json(row: StorySummary) -> dict[str, Any]:
    """One story of ``newsidx stories`` as JSON."""
    return {"story": row.id, "size": row.size, "first": row.first, "last": row.last,
            "outlets": len(row.providers), "providers": list(row.providers),
            "headline": row.headline}


SUMMARY_COLUMNS = ("story", "size", "first", "last", "outlets", "providers", "headline")


def write_summaries(stories: Stories, out: TextIO, *, fmt: str, query: str | None,
                    tty: bool, nul: bool, color: bool | None) -> int:
    """``newsidx stories`` in ``fmt``: a table on a terminal, ``STORY SIZE FIRST LAST
    OUTLETS HEADLINE`` lines when piped, JSON/JSONL/CSV, or story ids."""
    from newsidx.color import is_terminal
    from newsidx.jsoncsv import FORMAT_VERSION, CsvWriter, csv_safe, dumps

    rows = stories.rows
    if fmt == "ids":
        end = "\0" if nul else "\n"
        out.writelines(r.id + end for r in rows)
    elif fmt == "json":
        out.write(dumps({"newsidx_format": FORMAT_VERSION, "query": query,
                         "total": stories.total,
                         "stories": [summary_json(r) for r in rows]}) + "\n")
    elif fmt == "jsonl":
        out.writelines(dumps(summary_json(r)) + "\n" for r in rows)
    elif fmt == "csv":
        writer = CsvWriter(out, escape=tty or is_terminal(out))
        writer.row(SUMMARY_COLUMNS)
        for r in rows:
            data = summary_json(r)
            data["providers"] = ";".join(r.providers)
            writer.row([csv_safe("" if data[c] is None else str(data[c]))
                        for c in SUMMARY_COLUMNS])
    elif tty:
        _summary_table(rows, out, color=color)
    else:
        from newsidx.termtext import plain_field

        for r in rows:
            out.write("\t".join([r.id, str(r.size), _day(r.first), _day(r.last),
                                 str(len(r.providers)), plain_field(r.headline)]) + "\n")
    return len(rows)


def _day(instant: str | None) -> str:
    return instant[:10] if instant else "-"


def _summary_table(rows: tuple[StorySummary, ...], out: TextIO, *,
                   color: bool | None) -> None:
    from rich.table import Table

    from newsidx.termtext import console_for, styled, term_color

    if not rows:
        return
    table = Table(box=None, pad_edge=False, show_edge=False, header_style="bold")
    table.add_column("story", style="magenta", no_wrap=True)
    table.add_column("records", justify="right")
    table.add_column("first seen", no_wrap=True)
    table.add_column("last seen", no_wrap=True)
    table.add_column("headline", ratio=1)
    for r in rows:
        head = styled(r.headline, "bold")
        named = ", ".join(r.providers[:SHOWN_OUTLETS])
        tail = " \u2026" if len(r.providers) > SHOWN_OUTLETS else ""
        outlets = f"{len(r.providers)} outlet{'s' if len(r.providers) != 1 else ''}"
        head.append("\n").append_text(styled(f"{outlets}: {named}{tail}" if named
                                             else outlets, "dim"))
        table.add_row(styled(r.id), styled(str(r.size)), styled(_day(r.first)),
                      styled(_day(r.last)), head)
    console_for(out, force_terminal=True, color=term_color(color)).print(table)
