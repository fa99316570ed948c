"""Counts, timelines and summaries: key/count rows (providers, topics, buckets) as a
table, plain lines, JSON or CSV; a timeline's bars; ``key: value`` summaries.

Apart from the hit renderers (:mod:`newsidx.render`) because these rows are not
records. rich and :mod:`newsidx.timeline` are imported inside the functions that need
them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TextIO

from newsidx.color import is_terminal
from newsidx.jsoncsv import FORMAT_VERSION, CsvWriter, csv_safe, dumps
from newsidx.safetext import display
from newsidx.termtext import console_for, plain_field, styled, term_color


def write_counts(
    rows: Iterable[Sequence[Any]],
    out: TextIO,
    *,
    fmt: str,
    name: str,
    tty: bool = False,
    extra: Sequence[str] = (),
    color: bool | None = None,
) -> int:
    """Key/count rows (providers, topics, timeline buckets) in ``fmt``; each row may carry
    further values named by ``extra`` (None shows as ``-`` in text, null in JSON)."""
    items = [tuple(row) for row in rows]
    columns = (name, "count", *extra)
    if fmt == "json":
        data = {"newsidx_format": FORMAT_VERSION,
                name + "s": [dict(zip(columns, row, strict=True)) for row in items]}
        out.write(dumps(data, indent=2) + "\n")
    elif fmt == "csv":
        writer = CsvWriter(out, escape=tty or is_terminal(out))
        writer.row(columns)
        for row in items:
            writer.row(csv_safe("" if v is None else str(v)) if k != 1 else str(v)
                       for k, v in enumerate(row))
    elif tty:
        from rich.table import Table

        table = Table(box=None, pad_edge=False, header_style="bold")
        for column in columns:
            table.add_column(column, justify="right" if column == "count" else "left")
        for row in items:
            table.add_row(*(styled("-" if v is None else str(v)) for v in row))
        console_for(out, force_terminal=True, color=term_color(color)).print(table)
    else:
        for row in items:
            out.write("\t".join(plain_field("-" if v is None else str(v)) for v in row) + "\n")
    return len(items)


def bar(count: int, largest: int, width: int = 50) -> str:
    """A bar of full and partial block characters, at least one cell for a non-zero count."""
    if count <= 0 or largest <= 0:
        return ""
    eighths = max(1, round(count * width * 8 / largest))
    return "█" * (eighths // 8) + ("", "▏", "▎", "▍", "▌", "▋", "▊", "▉")[eighths % 8]


def write_timeline(
    buckets: Sequence[tuple[str, int]], out: TextIO, *, fmt: str, width: int = 50,
    tty: bool = False,
) -> int:
    """A histogram: JSON/CSV rows; piped, plain ``BUCKET<TAB>COUNT`` lines, every period;
    on a terminal, ``BUCKET COUNT BAR`` lines of block characters with each run of empty
    periods shown as one ``first–last 0`` line."""
    if fmt in ("json", "csv"):
        return write_counts(buckets, out, fmt=fmt, name="bucket")
    if not tty:
        for key, n in buckets:
            out.write(f"{plain_field(key)}\t{n}\n")
        return len(buckets)
    from newsidx.timeline import collapse_empty

    rows = collapse_empty(buckets)
    largest = max((n for _, n in buckets), default=0)
    label = max((len(key) for key, _, _ in rows), default=0)
    digits = len(str(largest))
    for key, n, _ in rows:
        out.write(f"{key:<{label}}  {n:>{digits}}  {bar(n, largest, width)}".rstrip() + "\n")
    return len(buckets)


def human_size(size: int) -> str:
    """Bytes as a short human figure: 512 B, 1.5 KiB, 3.2 MiB."""
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{int(value)} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def write_mapping(data: Mapping[str, Any], out: TextIO, *, fmt: str) -> None:
    """A flat summary (stats, ingest report): ``key: value`` lines or one JSON object."""
    if fmt == "json":
        out.write(dumps({"newsidx_format": FORMAT_VERSION, **data}, indent=2) + "\n")
        return
    width = max((len(k) for k in data), default=0)
    for key, value in data.items():
        shown = "-" if value is None or value == "" else value
        out.write(f"{key.replace('_', ' '):<{width}}  {display(str(shown))}\n")
