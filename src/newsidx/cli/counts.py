"""``providers``, ``topics``, ``timeline`` and ``count``: questions answered in one command.

Each takes a QUERY (``-word`` is NOT, quoting optional) and the usual filters, so "which
publishers covered Musk in 2023" is ``newsidx count '"Elon Musk"' --since 2023 --until
2023 --by provider``. Like ``search``, a terminal table shows a first page and says how
many rows there are; piped, or as JSON/CSV, every row comes out unless ``-n`` says
otherwise. Nothing matching is exit 1.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import click

from newsidx.cli import _archive, _empty, _exit, _is_tty, _out, command, human_format_option
from newsidx.cli.notes import note_query, note_undated, undated_matches
from newsidx.cli.output import note
from newsidx.cli.querycmd import QueryCommand, query_argument, query_text
from newsidx.errors import ExitCode
from newsidx.options import (
    color_for,
    color_option,
    filter_options,
    format_option,
    page_limit,
    take_filters,
)

if TYPE_CHECKING:
    from newsidx.api import Archive
    from newsidx.filters import Filters

FIELDS = ("provider", "topic", "author", "lang", "folder")
PERIODS = ("day", "week", "month", "year")
Row = tuple[Any, ...]


def _limit_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """``-n/--limit`` and ``--all`` for rows of counts."""
    func = click.option("--all", "everything", is_flag=True,
                        help="Every row, also in a terminal table (as -n 0).")(func)
    return click.option("-n", "--limit", type=click.IntRange(min=0), default=None,
                        metavar="N", help="At most N rows; 0 for all [default: all, or 20 "
                        "in a terminal table].")(func)


def _count_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """QUERY, the filters, ``-n``/``--all``, ``--sort`` and ``--format table|json|csv``."""
    func = color_option(format_option(("table", "json", "csv"), "table")(func))
    func = click.option("--sort", type=click.Choice(["count", "name"]), default=None,
                        help="Most records first, or by name (periods: in time order) "
                        "[default: count; name for periods].")(func)
    return query_argument(required=False)(filter_options(_limit_options(func)))


def _shown(rows: Sequence[Row], limit: int | None, everything: bool, fmt: str,
           what: str, *, latest: bool = False) -> list[Row]:
    """The rows to write, with a note when some are cut (``latest``: keep the last ones)."""
    keep = page_limit(limit, everything, fmt="table" if fmt == "table" else fmt,
                      tty=_is_tty(sys.stdout))
    if keep is None or len(rows) <= keep:
        return list(rows)
    note(f"showing {keep} of {len(rows)} {what} (-n N or --all for more)")
    return list(rows[-keep:] if latest else rows[:keep])


def _write(rows: Sequence[Row], fmt: str, name: str, extra: Sequence[str] = ()) -> None:
    from newsidx.render import write_counts

    write_counts(rows, _out(), fmt=fmt, name=name, tty=_is_tty(sys.stdout), extra=extra,
                 color=color_for(sys.stdout))


def _nothing(archive: Archive, query: str, filters: Filters, lacking: str = "") -> None:
    """Exit 1 with a reason when nothing matched, or (``lacking``: "names a provider",
    "has a topic") when records match but none has what is counted."""
    if not _empty(archive):
        matched = archive.count(query, filters) if lacking else 0
        if matched:
            note(f"{matched} record(s) match, and none {lacking}")
        else:
            note("no records match")
            note_undated(archive, query, filters)
    _exit(ExitCode.NO_MATCH)


def _order(rows: list[Row], sort: str | None, default: str) -> list[Row]:
    if (sort or default) == "name":
        return sorted(rows, key=lambda r: (str(r[0]).lower(), str(r[0])))
    return sorted(rows, key=lambda r: (-int(r[1]), str(r[0]).lower(), str(r[0])))


@command("providers", cls=QueryCommand)
@_count_options
def providers_cmd(query: tuple[str, ...], limit: int | None, everything: bool,
                  sort: str | None, fmt: str, **kwargs: Any) -> None:
    """Count matching records per provider (publisher domain), with name and date range.

    \b
    Examples:
      newsidx providers --sort name
      newsidx providers Alibaba --since 2024 --format csv
    """
    text, filters, archive = query_text(query), take_filters(kwargs), _archive()
    note_query(archive, text)
    found = archive.providers(text, filters, sort="name" if sort == "name" else "count")
    rows = [(p.key, p.count, p.name, p.first, p.last) for p in found]
    if not rows:
        _nothing(archive, text, filters, "names a provider")
    _write(_shown(rows, limit, everything, fmt, "providers"), fmt, "provider",
           ("name", "first", "last"))
    note_undated(archive, text, filters)


@command("topics", cls=QueryCommand)
@_count_options
def topics_cmd(query: tuple[str, ...], limit: int | None, everything: bool,
               sort: str | None, fmt: str, **kwargs: Any) -> None:
    """Count matching records per topic.

    \b
    Examples:
      newsidx topics
      newsidx topics Alibaba --format csv
    """
    text, filters, archive = query_text(query), take_filters(kwargs), _archive()
    note_query(archive, text)
    found = archive.facets("topic", text, filters, sort="name" if sort == "name" else "count")
    rows = [(c.key, c.count) for c in found]
    if not rows:
        _nothing(archive, text, filters, "has a topic")
    _write(_shown(rows, limit, everything, fmt, "topics"), fmt, "topic")
    note_undated(archive, text, filters)


@command("count", cls=QueryCommand)
@_count_options
@click.option("--by", type=click.Choice([*FIELDS, *PERIODS]), default=None,
              help="Count per provider, topic, author, language, folder or period instead of in "
                   "all.")
def count_cmd(query: tuple[str, ...], by: str | None, limit: int | None, everything: bool,
              sort: str | None, fmt: str, **kwargs: Any) -> None:
    """Count the records matching QUERY and the filters, in all or per provider, topic or
    period; exit 1 when none match.

    \b
    Examples:
      newsidx count Zhipu
      newsidx count Alibaba --since 2024 --until 2024 --by provider
      newsidx count --by month --format csv
    """
    text, filters, archive = query_text(query), take_filters(kwargs), _archive()
    note_query(archive, text)
    total = archive.count(text, filters)
    if not total:
        _nothing(archive, text, filters)
    if by is None:
        _out().write(f"{total}\n")
        note_undated(archive, text, filters)
        return
    rows: list[Row]
    if by in PERIODS:
        timeline = archive.timeline(text, filters, by=by)
        rows = _order([(b.key, b.count) for b in timeline.buckets if b.count], sort, "name")
        missing = total - timeline.total
        if missing and not (filters.since or filters.until):
            undated = missing
        else:
            undated = undated_matches(archive, text, filters)
        if undated:
            note(f"{undated} undated {'match' if undated == 1 else 'matches'} not counted "
                 f"by {by}")
        if not rows:
            _exit(ExitCode.NO_MATCH)
    else:
        facets = archive.facets(by, text, filters)  # type: ignore[arg-type]
        rows = _order([(c.key, c.count) for c in facets], sort, "count")
        left = total - sum(int(r[1]) for r in rows)
        if by in ("provider", "lang", "folder") and left > 0:
            what = {"provider": "no provider", "lang": "no language",
                    "folder": "no folder (at the ingest root)"}[by]
            note(f"{left} {'match has' if left == 1 else 'matches have'} {what}")
        note_undated(archive, text, filters)
    name = "bucket" if by in PERIODS else by
    _write(_shown(rows, limit, everything, fmt, "rows", latest=False), fmt, name)


@command("timeline", cls=QueryCommand)
@query_argument(required=False)
@filter_options
@_limit_options
@click.option("--by", type=click.Choice(["auto", *PERIODS]), default="auto",
              show_default=True, help="Bucket size; auto picks one from the span of dates.")
@click.option("--outliers", is_flag=True,
              help="Also chart far-off dates, such as a 1970 placeholder (left out with a "
              "note by default).")
@click.option("--stories", "per_story", is_flag=True,
              help="Count stories, each in the period of its earliest matching record.")
@human_format_option(("json", "csv"))
@color_option
def timeline_cmd(query: tuple[str, ...], by: str, limit: int | None, everything: bool,
                 outliers: bool, per_story: bool, fmt: str, **kwargs: Any) -> None:
    """Count matching records (or, with --stories, stories first seen) over time: a bar
    chart on a terminal, BUCKET<TAB>COUNT lines when piped, or JSON/CSV.

    \b
    Examples:
      newsidx timeline Zhipu --by day
      newsidx timeline --by month --format csv
    """
    from newsidx.cli.output import columns
    from newsidx.cli.timelinecut import without_outliers
    from newsidx.render import write_timeline

    text, filters, archive = query_text(query), take_filters(kwargs), _archive()
    if per_story:
        from newsidx.cli.notes import note_stories_off

        note_stories_off(archive)
    note_query(archive, text)
    timeline = archive.timeline(text, filters, by=by, stories=per_story)
    if not timeline.buckets and _empty(archive):
        _exit(ExitCode.NO_MATCH)
    if timeline.buckets and not outliers:
        timeline = without_outliers(archive, text, filters, by, timeline,
                                    stories=per_story)
    buckets = [(b.key, b.count) for b in timeline.buckets]
    if limit or everything:  # the most recent periods
        buckets = [tuple(b) for b in _shown(buckets, limit, everything, "json", "periods",
                                            latest=True)]
    write_timeline(buckets, _out(), fmt=fmt, width=max(10, min(60, columns() - 30)),
                   tty=_is_tty(sys.stdout))
    if not buckets:
        note("no dated records match")
        note_undated(archive, text, filters)
        _exit(ExitCode.NO_MATCH)
    if per_story:  # undated records of a charted story are in its count already
        if timeline.undated:
            left = timeline.undated
            note(f"{left} {'story has' if left == 1 else 'stories have'} no dated matching "
                 "record: not shown")
        return
    undated = undated_matches(archive, text, filters)
    if undated:
        note(f"{undated} undated {'match' if undated == 1 else 'matches'} not shown")
