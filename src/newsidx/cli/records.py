"""``show`` and ``open``: from a result to the article.

``show`` takes several refs (ids, unique id prefixes, URLs), or ``-`` for refs read
from stdin (``newsidx search X --format ids | newsidx show -``), prints each record's
title, date, provider, URL and text first and its metadata after, highlights the
words of ``--query`` on a terminal and pages through ``$PAGER`` there. ``open`` hands
a record's URL to the browser (:mod:`webbrowser`, which honours ``$BROWSER``).
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

import click

from newsidx.cli import _archive, _exit, _is_tty, _out, command, fail, human_format_option
from newsidx.cli.output import note
from newsidx.errors import ExitCode, NotFoundError
from newsidx.options import color_for, color_option

if TYPE_CHECKING:
    from newsidx.api import Archive
    from newsidx.model import Article


def _refs(refs: tuple[str, ...]) -> list[str]:
    """The refs given, ``-`` replaced by the whitespace- or NUL-separated refs on stdin."""
    out: list[str] = []
    for ref in refs:
        if ref == "-":
            out.extend(sys.stdin.read().replace("\0", " ").split())
        else:
            out.append(ref)
    return out


def _found(archive: Archive, refs: list[str]) -> tuple[list[Article], int]:
    """The records found, in order; each ref not found is one error line."""
    records: list[Article] = []
    missing = 0
    for ref in refs:
        try:
            records.append(archive.get(ref))
        except NotFoundError as exc:
            note(f"error: {exc}")
            missing += 1
    return records, missing


@command("show")
@click.argument("refs", nargs=-1, required=True)
@click.option("--query", "query", metavar="QUERY", default=None,
              help="Highlight the words of this query (on a terminal).")
@click.option("--no-pager", is_flag=True, help="Never page the output through $PAGER.")
@click.option("--raw", is_flag=True,
              help="Print the body as written (Markdown, HTML), not the text a reader sees.")
@human_format_option(("json",))
@color_option
def show_cmd(refs: tuple[str, ...], query: str | None, no_pager: bool, raw: bool,
             fmt: str) -> None:
    """Show records by id, unique id prefix or URL (`-`: read ids from stdin), with their
    related records; exit 1 if one is not found. The body is printed as a reader sees
    it (markup removed); `--raw` prints it as written, and `--format json` always does.

    \b
    Examples:
      newsidx show a0288e40
      newsidx search Zhipu --format ids | newsidx show - --no-pager
      newsidx show 46eae9 --query Zhipu
      newsidx show 46eae9 --raw
    """
    from newsidx.cli.pager import paged
    from newsidx.render import query_terms, write_record

    wanted = _refs(refs)
    if not wanted:
        raise click.UsageError("no record ids on stdin")
    archive = _archive()
    records, missing = _found(archive, wanted)
    tty = _is_tty(sys.stdout)
    terms = query_terms(query)
    if fmt == "json" and len(wanted) > 1:
        _write_json_records(archive, records)
    else:
        with paged(tty and fmt == "table" and not no_pager and bool(records)) as out:
            for number, record in enumerate(records):
                if number:
                    out.write("\n" + "\u2500" * 40 + "\n\n")
                links = archive.links(record)
                write_record(record, out, fmt=fmt, tty=tty, related=links.related,
                             parents=links.parents, terms=terms, raw=raw,
                             color=color_for(sys.stdout) and fmt == "table")
    _exit(ExitCode.NO_MATCH if missing else ExitCode.OK)


def _write_json_records(archive: Archive, records: list[Article]) -> None:
    """Several records: ``{"newsidx_format": 1, "records": [...]}``, each with its links."""
    from newsidx.model import to_json
    from newsidx.render import FORMAT_VERSION, dumps

    rows = []
    for record in records:
        links = archive.links(record)
        data: dict[str, Any] = dict(to_json(record))
        data["related_records"] = [to_json(a) for a in links.related]
        data["parent_records"] = [to_json(a) for a in links.parents]
        rows.append(data)
    _out().write(dumps({"newsidx_format": FORMAT_VERSION, "records": rows}, indent=2) + "\n")


@command("open")
@click.argument("ref")
def open_cmd(ref: str) -> None:
    """Open a record's URL in the web browser ($BROWSER, else the system's).

    \b
    Examples:
      newsidx open a0288e40
      BROWSER=echo newsidx open 46eae9
    """
    import webbrowser

    record = _archive().get(ref)
    url = record.url or record.web_url or record.original_url
    if not url:
        fail(f"record {record.id} has no URL", ExitCode.NO_MATCH)
    if not webbrowser.open(url):
        fail(f"could not start a web browser for {url}; set $BROWSER")
