"""Turn records, hits and counts into terminal tables, plain text, JSON, JSONL or CSV.

Terminal output (rich tables on a TTY, tab-separated plain text when piped) passes
all article text through :mod:`newsidx.safetext` and builds ``rich.text.Text``
objects, never markup strings. JSON, JSONL and CSV carry the text intact, yet never
raw to a terminal: JSON writes control, bidi and other format characters as ``\\u``
escapes (:func:`dumps`), and CSV quotes every cell holding one or, when written to a
terminal, shows them escaped (``\\x1b``). rich, json and csv are imported inside the
functions that need them so that a plain ``search --format ids`` stays fast.

Plain text layouts (one line per item, fields separated by one tab, an empty field
written as ``-``): search ``RANK DATE PROVIDER KIND ID TITLE SNIPPET``; list and
export ``DATE PROVIDER KIND ID TITLE``; counts ``NAME COUNT``; timeline
``BUCKET COUNT BAR``; grouped search and ``list --group`` (:mod:`newsidx.storyview`) add
a last field, what the row folds (``+4 more: scmp.com, ...``, or ``-``).
``ids``/``paths`` print one per line, a path with unsafe characters escaped
(``\\x0a``); with ``-0`` they are written raw, NUL-terminated.

CSV text cells that start with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return get
a leading ``'`` so that spreadsheets do not run them as formulas; numbers are written
as numbers (integral values without ``.0``), never guarded.

This module writes hits (search, list, export) in every format and is the one import
path for all output: records (:mod:`newsidx.recordview`), counts, timelines and
summaries (:mod:`newsidx.countview`), the safe JSON and CSV writers
(:mod:`newsidx.jsoncsv`) and the terminal pieces they share (:mod:`newsidx.termtext`)
are importable from here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, TextIO

from newsidx.color import is_terminal
from newsidx.countview import bar, human_size, write_counts, write_mapping, write_timeline
from newsidx.hits import Hit, Snippet, split_at
from newsidx.jsoncsv import FORMAT_VERSION, CsvWriter, csv_safe, dumps
from newsidx.model import to_json
from newsidx.recordview import query_terms, write_record
from newsidx.safetext import escape_name
from newsidx.termtext import (
    console_for,
    day_cell,
    marked,
    plain_field,
    plain_marked,
    provider_cell,
    snippet_cell,
    styled,
    term_color,
)

__all__ = [
    "COUNT_FORMATS", "CSV_COLUMNS", "FORMAT_VERSION", "HIT_FORMATS", "RECORD_FORMATS",
    "CsvWriter", "Hit", "bar", "console_for", "csv_safe", "dumps", "hit_json", "host",
    "human_size", "query_terms", "snippet_text", "write_counts", "write_hits",
    "write_mapping", "write_record", "write_timeline",
]

HIT_FORMATS = ("table", "json", "jsonl", "csv", "ids", "paths")
RECORD_FORMATS = HIT_FORMATS
COUNT_FORMATS = ("table", "json", "csv")


def snippet_text(snippet: Snippet) -> str:
    """The snippet's plain text, highlight marks dropped."""
    return snippet if isinstance(snippet, str) else "".join(text for text, _ in snippet)



def write_hits(
    hits: Iterable[Hit],
    out: TextIO,
    *,
    fmt: str,
    query: str | None = None,
    total: int | None = None,
    tty: bool = False,
    nul: bool = False,
    ranked: bool = True,
    short_ids: Mapping[str, str] | None = None,
    width: int = 80,
    color: bool | None = None,
    extra: Mapping[str, Mapping[str, Any]] | None = None,
    below: Mapping[str, str] | None = None,
) -> int:
    """Write hits in ``fmt``, streaming; returns how many were written. A table shows each
    record's ``short_ids`` entry (else its id) and, ``width`` 120 or more, its URL's host.
    ``color`` (default: on a terminal that allows it) highlights the matched words of
    titles and snippets in a table or plain text; JSON/JSONL carry their offsets
    (``highlights``) when ``ranked``, CSV, ids and paths never carry colour.

    Grouped results (:mod:`newsidx.storyview`) pass ``extra``, keys added to a record's
    JSON, JSONL and CSV (appended columns), and ``below``, a line shown under its title
    in a table (a last field when plain: ``-`` when it has none)."""
    more = dict(extra or {})
    if fmt in ("ids", "paths"):
        return _write_refs(hits, out, paths=fmt == "paths", nul=nul)
    if fmt == "json":
        return _write_json(hits, out, query=query, total=total, marks=ranked, extra=more)
    if fmt == "jsonl":
        return _write_jsonl(hits, out, marks=ranked, extra=more)
    if fmt == "csv":
        return _write_csv(hits, out, escape=tty or is_terminal(out), extra=more)
    if tty:
        return _write_table(hits, out, ranked=ranked, short_ids=short_ids or {},
                            wide=width >= 120, color=color, below=below or {})
    return _write_plain(hits, out, ranked=ranked, color=bool(color), below=below)


def _write_refs(hits: Iterable[Hit], out: TextIO, *, paths: bool, nul: bool) -> int:
    end = "\0" if nul else "\n"
    seen: set[str] = set()
    count = 0
    for hit in hits:
        count += 1
        refs = hit.record.sources if paths else (hit.record.id,)
        for ref in refs:
            if ref not in seen:
                seen.add(ref)
                out.write((ref if nul else escape_name(ref)) + end)
    return count


def hit_json(hit: Hit, rank: int | None = None, *, marks: bool = False) -> dict[str, Any]:
    """The full record plus rank, score, snippet, with ``marks`` the ``highlights``
    (``[start, end)`` code-point offsets of the matched words in ``title`` and
    ``snippet``), and the explanation when asked for."""
    data: dict[str, Any] = dict(to_json(hit.record))
    if rank is not None:
        data["rank"] = rank
    data["score"] = hit.score
    data["snippet"] = snippet_text(hit.snippet)
    if marks:
        data["highlights"] = {"title": [list(s) for s in hit.title_highlights],
                              "snippet": [list(s) for s in hit.snippet_highlights]}
    if hit.explanation is not None:
        data["explanation"] = hit.explanation
    return data


def _write_json(
    hits: Iterable[Hit], out: TextIO, *, query: str | None, total: int | None, marks: bool,
    extra: Mapping[str, Mapping[str, Any]],
) -> int:
    if total is None:
        hits = list(hits)
        total = len(hits)
    head = dumps({"newsidx_format": FORMAT_VERSION, "query": query, "total": total})
    out.write(head[:-1] + ', "results": [')  # one array, still streamed hit by hit
    count = 0
    for count, hit in enumerate(hits, 1):
        data = hit_json(hit, count, marks=marks) | dict(extra.get(hit.record.id, {}))
        out.write(("\n" if count == 1 else ",\n") + dumps(data))
    out.write("\n]}\n")
    return count


def _write_jsonl(hits: Iterable[Hit], out: TextIO, *, marks: bool,
                 extra: Mapping[str, Mapping[str, Any]]) -> int:
    count = 0
    for count, hit in enumerate(hits, 1):
        data = hit_json(hit, count, marks=marks) | dict(extra.get(hit.record.id, {}))
        out.write(dumps(data) + "\n")
    return count


CSV_COLUMNS = (
    "rank", "score", "id", "kind", "title", "published", "provider_name", "provider_domain",
    "topics", "category", "type", "url", "web_url", "original_url", "amp_url", "cdn_amp_url",
    "quality", "heat", "excerpt", "snippet", "body", "published_raw", "published_offset",
    "published_zoneless", "images", "related", "sources", "parents", "extra", "warnings",
    "story",
)


def _csv_row(hit: Hit, rank: int, extra: Mapping[str, Any] | None = None,
             columns: tuple[str, ...] = CSV_COLUMNS) -> list[str]:
    import json

    data = hit_json(hit, rank) | dict(extra or {})
    provider = data.pop("provider") or {}
    data["provider_name"] = provider.get("name")
    data["provider_domain"] = provider.get("domain")
    data["topics"] = ";".join(data["topics"])
    row: list[str] = []
    for column in columns:
        value = data.get(column)
        if value is None:
            cell = ""
        elif isinstance(value, (list, dict)):
            cell = json.dumps(value, ensure_ascii=False)
        elif isinstance(value, bool):
            cell = "true" if value else "false"
        elif isinstance(value, int | float):  # a number stays a number: no formula guard
            row.append(str(int(value)) if float(value).is_integer() else repr(value))
            continue
        else:
            cell = str(value)
        row.append(csv_safe(cell))
    return row


def _write_csv(hits: Iterable[Hit], out: TextIO, *, escape: bool,
               extra: Mapping[str, Mapping[str, Any]]) -> int:
    writer = CsvWriter(out, escape=escape)
    columns = CSV_COLUMNS + tuple(dict.fromkeys(k for v in extra.values() for k in v))
    writer.row(columns)
    count = 0
    for count, hit in enumerate(hits, 1):
        writer.row(_csv_row(hit, count, extra.get(hit.record.id), columns))
    return count


def _write_plain(hits: Iterable[Hit], out: TextIO, *, ranked: bool, color: bool,
                 below: Mapping[str, str] | None) -> int:
    count = 0
    for count, hit in enumerate(hits, 1):
        r = hit.record
        title = plain_marked(split_at(r.title, hit.title_highlights), color)
        fields = [day_cell(r), provider_cell(r), r.kind, r.id, title]
        if ranked:
            snippet = hit.snippet
            text = [(snippet, False)] if isinstance(snippet, str) else list(snippet)
            fields = [str(count), *fields, plain_marked(text, color)]
        if below is not None:
            fields.append(plain_field(below.get(r.id) or "-"))
        out.write("\t".join(fields) + "\n")
        if hit.explanation:
            out.write("\t" + plain_field(hit.explanation) + "\n")
    return count


def host(url: str | None) -> str:
    """The host of a URL, ``www.`` dropped; empty when there is none."""
    if not url or "://" not in url:
        return ""
    name = url.split("://", 1)[1].split("/", 1)[0].split("@")[-1].split(":")[0].lower()
    return name[4:] if name.startswith("www.") else name


def _write_table(hits: Iterable[Hit], out: TextIO, *, ranked: bool,
                 short_ids: Mapping[str, str], wide: bool, color: bool | None,
                 below: Mapping[str, str]) -> int:
    from rich.table import Table

    table = Table(box=None, pad_edge=False, show_edge=False, header_style="bold")
    if ranked:
        table.add_column("#", justify="right", style="dim")
    table.add_column("id", style="magenta", no_wrap=True)
    table.add_column("date", no_wrap=True)
    table.add_column("provider", style="cyan", max_width=24, overflow="ellipsis")
    if wide:
        table.add_column("domain", max_width=28, overflow="ellipsis", no_wrap=True)
    table.add_column("title", ratio=1)
    count = 0
    for count, hit in enumerate(hits, 1):
        r = hit.record
        title = marked(split_at(r.title, hit.title_highlights), "bold")
        if r.kind == "related":
            title = styled("(related) ", "dim").append_text(title)
        if ranked and hit.snippet:
            title.append("\n").append_text(snippet_cell(hit.snippet))
        if hit.explanation:
            title.append("\n").append_text(styled(hit.explanation, "italic"))
        if below.get(r.id):
            title.append("\n").append_text(styled(below[r.id], "dim"))
        cells = [styled(short_ids.get(r.id, r.id)), styled(day_cell(r)), styled(provider_cell(r))]
        if wide:
            cells.append(styled(host(r.url) or "-"))
        cells.append(title)
        if ranked:
            cells.insert(0, styled(str(count)))
        table.add_row(*cells)
    if count:
        console_for(out, force_terminal=True, color=term_color(color)).print(table)
    return count
