"""``story REF`` (one record's story, first published first) and ``stories [QUERY]``
(stories by size or recency). Both exit 1 when there is nothing to show."""

from __future__ import annotations

import sys
from typing import Any

import click

from newsidx.cli import _archive, _empty, _exit, _is_tty, _out, command
from newsidx.cli.notes import note_query
from newsidx.cli.output import columns, note
from newsidx.cli.querycmd import QueryCommand, query_argument, query_text
from newsidx.errors import ExitCode
from newsidx.options import (
    color_for,
    color_option,
    filter_options,
    format_option,
    page_limit,
    page_options,
    take_filters,
)

_FORMATS = ("table", "json", "jsonl", "csv", "ids")


@command("story")
@click.argument("ref")
@format_option(_FORMATS, "table")
@color_option
@click.option("-0", "--null", "nul", is_flag=True,
              help="Separate ids with NUL instead of newlines.")
def story_cmd(ref: str, fmt: str, nul: bool) -> None:
    """List the records of REF's story, first published first (undated last).

    REF: a record id, a unique id prefix, a URL, or the path of an ingested file.

    \b
    Examples:
      newsidx story 37a84f
      newsidx story seeds/004_d6b0fcc1b5121d05.txt --format json
    """
    from newsidx.cli.notes import note_stories_off
    from newsidx.hits import Hit
    from newsidx.render import write_hits

    archive = _archive()
    note_stories_off(archive)
    story = archive.story(ref)
    tty = _is_tty(sys.stdout)
    short = (archive.short_ids(r.id for r in story.records) if tty and fmt == "table"
             else {})
    write_hits([Hit(r) for r in story.records], _out(), fmt=fmt, query=None,
               total=len(story.records), tty=tty, nul=nul, ranked=False, short_ids=short,
               width=columns(), color=color_for(sys.stdout),
               extra={r.id: {"story": story.id, "story_size": len(story.records)}
                      for r in story.records})
    if tty and fmt == "table":
        note(f"story {story.id}: {len(story.records)} record"
             f"{'s' if len(story.records) != 1 else ''}")


@command("stories", cls=QueryCommand)
@query_argument(required=False)
@filter_options
@page_options
@click.option("--sort", type=click.Choice(["size", "recent"]), default="size",
              show_default=True, help="Biggest stories first, or latest last-seen first.")
@click.option("--min-size", type=click.IntRange(min=1), default=2, show_default=True,
              metavar="N", help="Only stories of at least N records (1: every story).")
@format_option(_FORMATS, "table")
@color_option
@click.option("-0", "--null", "nul", is_flag=True,
              help="Separate ids with NUL instead of newlines.")
def stories_cmd(query: tuple[str, ...], limit: int | None, everything: bool, offset: int,
                sort: str, min_size: int, fmt: str, nul: bool, **kwargs: Any) -> None:
    """List stories with first-seen, last-seen, records, outlets and headline, biggest
    first; with QUERY or filters, only stories with a matching record (their sizes and
    dates still count every record). Exit 1 when none.

    \b
    Examples:
      newsidx stories
      newsidx stories Alibaba --sort recent
      newsidx stories --since 2023-10 --min-size 5 --format json
    """
    from newsidx.cli.notes import note_stories_off
    from newsidx.storyview import write_summaries

    text, filters, archive = query_text(query), take_filters(kwargs), _archive()
    note_stories_off(archive)
    note_query(archive, text)
    tty = _is_tty(sys.stdout)
    found = archive.stories(text, filters, sort=sort, min_size=min_size,
                            limit=page_limit(limit, everything, fmt=fmt, tty=tty),
                            offset=offset)
    if not found.total and not found.smaller and _empty(archive):
        _exit(ExitCode.NO_MATCH)
    written = write_summaries(found, _out(), fmt=fmt, query=text or None, tty=tty, nul=nul,
                              color=color_for(sys.stdout))
    if found.smaller:
        note(f"{found.smaller} {'story' if found.smaller == 1 else 'stories'} of fewer than "
             f"{min_size} records not shown (--min-size 1 lists every story)")
    if not written:
        note("no stories match" if not found.total else
             f"no stories on this page ({found.total} match; lower --offset)")
        _exit(ExitCode.NO_MATCH)
    if offset + written < found.total or offset:
        note(f"showing {offset + 1}\u2013{offset + written} of {found.total} stories"
             + (" (-n N or --all for more)" if offset + written < found.total else ""))
