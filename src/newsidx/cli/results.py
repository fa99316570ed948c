"""``search``, ``list`` and ``count``: every match for programs, a page for people.

Piped, or in any format but ``table``, a search or listing writes every match,
streamed, unless ``-n/--limit`` says otherwise; a terminal table shows the first page
and says on stderr how many there are. Whenever output is cut, stderr says so.
``-c/--count`` prints the number of matches, ``-q/--quiet`` nothing: both only set the
exit code besides.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

import click

from newsidx.cli import _LIST_FORMATS, _archive, _empty, _exit, _is_tty, _out, command
from newsidx.cli.notes import note_query, note_undated
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
from newsidx.queryhints import url_of

if TYPE_CHECKING:
    from newsidx.api import Archive
    from newsidx.filters import Filters
    from newsidx.hits import ResultStream


def _count_flags(func: Any) -> Any:
    func = click.option("-q", "--quiet", is_flag=True,
                        help="Print nothing; exit 0 when something matches, 1 when not.")(func)
    return click.option("-c", "--count", "count_only", is_flag=True,
                        help="Print only the number of matches.")(func)


def _null(func: Any) -> Any:
    return click.option("-0", "--null", "nul", is_flag=True,
                        help="Separate ids/paths with NUL instead of newlines.")(func)


def _just_count(archive: Archive, query: str, filters: Filters, *, quiet: bool) -> None:
    """``-c``/``-q``: the number of matches (or nothing), and the exit code."""
    total = archive.count(query, filters)
    if not quiet:
        _out().write(f"{total}\n")
    if total:
        note_undated(archive, query, filters, quiet=quiet)
    _exit(ExitCode.OK if total else ExitCode.NO_MATCH)


def _write(archive: Archive, stream: ResultStream, *, fmt: str, query: str | None,
           offset: int, tty: bool, nul: bool, ranked: bool, filters: Filters) -> None:
    """Write the stream, then say what was left out; exit 1 when nothing was written."""
    from newsidx.render import write_hits

    if not stream.total and _empty(archive):
        _exit(ExitCode.NO_MATCH)
    hits: Any = stream
    short: dict[str, str] = {}
    if tty and fmt == "table":  # a page for a person: small, and the ids to type
        hits = list(stream)
        short = archive.short_ids(h.record.id for h in hits)
    written = write_hits(hits, _out(), fmt=fmt, query=query, total=stream.total, tty=tty,
                         nul=nul, ranked=ranked, short_ids=short, width=columns(),
                         color=color_for(sys.stdout))
    if not written:
        note("no records match" if stream.total == 0 else
             f"no results on this page ({stream.total} match; lower --offset)")
        note_undated(archive, query or "", filters)
        _exit(ExitCode.NO_MATCH)
    if offset + written < stream.total or offset:
        note(f"showing {offset + 1}\u2013{offset + written} of {stream.total}"
             + (" (-n N or --all for more)" if offset + written < stream.total else ""))
    note_undated(archive, query or "", filters)


@command("search", cls=QueryCommand)
@query_argument()
@filter_options
@page_options
@click.option("--sort", type=click.Choice(["relevance", "newest", "oldest"]),
              default="relevance", show_default=True, help="Order of the results.")
@click.option("--recency-weight", type=click.FloatRange(min=0), default=None, metavar="W",
              help="How much newer articles are favoured in relevance order (0: not at all).")
@click.option("--explain", is_flag=True, help="Show how the query was understood and scored "
              "(lists every copy, as --all-copies).")
@click.option("--all-copies", "--no-group", "all_copies", is_flag=True,
              help="One row per record, not one per story.")
@format_option(_LIST_FORMATS, "table")
@color_option
@_null
@_count_flags
def search_cmd(query: tuple[str, ...], limit: int | None, everything: bool, offset: int,
               sort: str, recency_weight: float | None, explain: bool, all_copies: bool,
               fmt: str, nul: bool, count_only: bool, quiet: bool, **kwargs: Any) -> None:
    """Full-text search, best matches first; exit 1 when nothing matches. In a catalogue
    that groups stories (ingest --stories), one row per story (its best match; the others
    are counted under it), -n and --offset count stories, and --all-copies lists every
    matching record.

    QUERY: words (all must match), "a phrase", OR, -word, word*, and field filters
    such as provider:scmp.com topic:AI kind:related after:2024-01 before:2024-06;
    see docs/search.md. Quoting the whole query is optional.

    \b
    Examples:
      newsidx search Alibaba MiniMax
      newsidx search 'Zhipu -Tencent' --since 2023-10 --format ids
      newsidx search Zhipu --count
    """
    text = query_text(query)
    archive = _archive()
    filters = take_filters(kwargs)
    note_query(archive, text)
    url = url_of(text)
    found = None if url is None else _by_url(archive, url)
    if found is not None:
        if count_only or quiet:
            _out().write("" if quiet else "1\n")
            return
        _write(archive, found, fmt=fmt, query=None, offset=0, tty=_is_tty(sys.stdout),
               nul=nul, ranked=False, filters=filters)
        return
    if count_only or quiet:
        _just_count(archive, text, filters, quiet=quiet)
    tty = _is_tty(sys.stdout)
    if not (all_copies or explain) and archive.stories_on:
        from newsidx.cli.grouped import write_stories

        grouped = archive.search_grouped(
            text, filters, limit=page_limit(limit, everything, fmt=fmt, tty=tty),
            offset=offset, sort=sort, recency_weight=recency_weight,
            snippets=fmt not in ("ids", "paths"))
        write_stories(archive, grouped, fmt=fmt, query=text, offset=offset, tty=tty,
                      nul=nul, ranked=True, filters=filters)
        return
    stream = archive.iter_search(
        text, filters, limit=page_limit(limit, everything, fmt=fmt, tty=tty), offset=offset,
        sort=sort, recency_weight=recency_weight, snippets=fmt not in ("ids", "paths"))
    if explain:
        note(f"understood as: {stream.understood}")
        stream = _explained(archive, text, filters, stream, sort, recency_weight, offset)
    _write(archive, stream, fmt=fmt, query=text, offset=offset, tty=tty, nul=nul,
           ranked=True, filters=filters)


def _by_url(archive: Archive, url: str) -> ResultStream | None:
    """The record with this URL as a one-hit stream; None (after a note) when none has it."""
    from newsidx.errors import NotFoundError
    from newsidx.hits import Hit, ResultStream

    try:
        record = archive.get(url)
    except NotFoundError:
        note("no record has this URL: searched as text")
        return None
    return ResultStream(iter([Hit(record)]), 1, f"url:{url}")


def _explained(archive: Archive, text: str, filters: Filters, stream: ResultStream,
               sort: str, weight: float | None, offset: int) -> ResultStream:
    """The same hits with their explanations (``--explain`` is for a page, not a dump)."""
    from newsidx.hits import ResultStream

    first = list(stream)
    results = archive.search(text, filters, limit=len(first), offset=offset, sort=sort,
                             recency_weight=weight, explain=True) if first else None
    hits = results.hits if results else ()
    return ResultStream(iter(hits), stream.total, stream.understood)


@command("list")
@filter_options
@page_options
@click.option("--sort", type=click.Choice(["newest", "oldest", "provider", "title"]),
              default="newest", show_default=True, help="Order of the records.")
@click.option("--group", is_flag=True,
              help="One row per story (its first record in this order), as search shows.")
@format_option(_LIST_FORMATS, "table")
@color_option
@_null
@_count_flags
def list_cmd(limit: int | None, everything: bool, offset: int, sort: str, group: bool,
             fmt: str, nul: bool, count_only: bool, quiet: bool, **kwargs: Any) -> None:
    """List records matching the filters, newest first; exit 1 when none match.

    \b
    Examples:
      newsidx list --provider scmp.com
      newsidx list --since 2024 --format ids
      newsidx list --kind related --count
    """
    archive = _archive()
    filters = take_filters(kwargs)
    if count_only or quiet:
        _just_count(archive, "", filters, quiet=quiet)
    tty = _is_tty(sys.stdout)
    if group:
        from newsidx.cli.grouped import write_stories
        from newsidx.cli.notes import note_stories_off

        note_stories_off(archive)
        grouped = archive.list_grouped(
            filters, limit=page_limit(limit, everything, fmt=fmt, tty=tty), offset=offset,
            sort=sort)
        write_stories(archive, grouped, fmt=fmt, query=None, offset=offset, tty=tty, nul=nul,
                      ranked=False, filters=filters)
        return
    stream = archive.iter_list(filters, limit=page_limit(limit, everything, fmt=fmt, tty=tty),
                               offset=offset, sort=sort)
    _write(archive, stream, fmt=fmt, query=None, offset=offset, tty=tty, nul=nul,
           ranked=False, filters=filters)
