"""JSON and CSV text that is safe wherever it goes: to a file, a pipe or a terminal.

JSON writes control, bidi and other format characters as ``\\u`` escapes
(:func:`dumps`); CSV cells are formula-safe (:func:`csv_safe`) and a row holding an
unsafe character is quoted, or shown escaped on a terminal (:class:`CsvWriter`). Apart
from the renderers that use them (:mod:`newsidx.render`, :mod:`newsidx.recordview`,
:mod:`newsidx.countview`) so that each of those holds one kind of output. json and csv
are imported inside the functions that need them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TextIO

from newsidx.safetext import escape_name, is_safe, json_escape

FORMAT_VERSION = 1
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: str) -> str:
    """A CSV cell that a spreadsheet will show as text, never run as a formula."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def dumps(value: Any, *, indent: int | None = None) -> str:
    """``value`` as JSON text, non-ASCII kept, every unsafe character a ``\\u`` escape."""
    import json

    return json_escape(json.dumps(value, ensure_ascii=False, indent=indent))


class CsvWriter:
    """Rows for a spreadsheet or a script, safe on a terminal.

    Cells are formula-safe (:func:`csv_safe`). A row with a cell holding a control,
    bidi or other unsafe character is written with every cell quoted, so a CR or ESC
    only ever appears inside quotes; on a terminal (``escape=True``) such characters
    are shown escaped instead (``\\x1b``), the row then being for reading only.
    """

    def __init__(self, out: TextIO, *, escape: bool) -> None:
        import csv

        self.escape = escape
        self.plain = csv.writer(out, lineterminator="\n")
        self.quoted = csv.writer(out, lineterminator="\n", quoting=csv.QUOTE_ALL)

    def row(self, cells: Iterable[str]) -> None:
        row = list(cells)
        if self.escape:
            safe = all(is_safe(cell) for cell in row)
            self.plain.writerow(row if safe else [escape_name(cell) for cell in row])
        elif all(_safe_but_newlines(cell) for cell in row):
            self.plain.writerow(row)  # the csv module quotes a cell holding a newline
        else:
            self.quoted.writerow(row)


def _safe_but_newlines(cell: str) -> bool:
    return is_safe(cell.replace("\n", " ") if "\n" in cell else cell)
