"""``export``: every record matching a QUERY and the filters, in full, streamed.

Without a QUERY the records come from the catalogue (the source of truth) in storage
order; with one, from the index, best match first. ``--format sqlite -o FILE`` writes a
database in sqlite-utils' shape (:mod:`newsidx.sqlitedb`). Nothing matching is exit 1,
with a note. With ``-o`` a progress bar runs on a terminal's stderr.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import click

from newsidx.cli import _archive, _exit, _out, command, fail
from newsidx.cli.notes import note_query
from newsidx.cli.output import note
from newsidx.cli.progress import bar_for
from newsidx.cli.querycmd import QueryCommand, query_argument, query_text
from newsidx.errors import ExitCode
from newsidx.options import filter_options, format_option, take_filters

if TYPE_CHECKING:
    from newsidx.model import Article


@command("export", cls=QueryCommand)
@query_argument(required=False)
@filter_options
@format_option(("json", "jsonl", "csv", "sqlite"), "jsonl")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write to this file instead of stdout (required for sqlite).")
def export_cmd(query: tuple[str, ...], fmt: str, output: Path | None, **kwargs: Any) -> None:
    """Write every record matching QUERY and the filters in full, streaming (CSV is
    formula-injection safe; sqlite is a database for sqlite-utils and Datasette).

    \b
    Examples:
      newsidx export --format csv --provider scmp.com -o scmp.csv
      newsidx export Alibaba --since 2024 --format jsonl
      newsidx export --format sqlite -o news.db
    """
    if fmt == "sqlite" and output is None:
        raise click.UsageError("--format sqlite writes a database file: give -o FILE")
    # the query and filters are checked before any output
    archive, text = _archive(), query_text(query)
    note_query(archive, text)
    filters = take_filters(kwargs)
    records = archive.export(filters, query=text)
    bar = bar_for(sys.stderr) if output is not None else None  # stdout may be the terminal
    with bar or contextlib.nullcontext():
        if bar is not None:
            from newsidx.filters import NO_FILTERS
            from newsidx.progress import counted

            total = None if text or filters != NO_FILTERS else len(archive)
            then = "building the full-text index" if fmt == "sqlite" else None
            records = counted(records, bar.step, "exporting", total=total, then=then)
        written = _write(records, fmt, output)
    if not written:
        note("no records match")
        _exit(ExitCode.NO_MATCH)


def _write(records: Iterator[Article], fmt: str, output: Path | None) -> int:
    """Write ``records`` in ``fmt`` to ``output`` (None: stdout); how many were written."""
    if fmt == "sqlite":
        from newsidx.sqlitedb import write_sqlite

        assert output is not None
        return write_sqlite(records, output)
    if output is None:
        return _export(records, _out(), fmt)
    with _open_output(output) as out:
        return _export(records, out, fmt)


def _export(records: Iterator[Article], out: TextIO, fmt: str) -> int:
    from newsidx.hits import Hit

    if fmt == "json":  # one array, still streamed record by record
        from newsidx.cli.output import write_json_array

        return write_json_array(records, out)
    from newsidx.render import write_hits

    return write_hits((Hit(record) for record in records), out, fmt=fmt, ranked=False)


def _open_output(path: Path) -> TextIO:
    try:
        return path.open("w", encoding="utf-8", newline="")
    except OSError as exc:
        fail(f"{path}: cannot write: {exc.strerror or exc}")
