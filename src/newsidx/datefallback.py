"""Where a post's date comes from when its front matter has no date key.

Site generators often carry the date elsewhere: Zola's ``path = "2025/06/26/Rust-1.88.0"``,
a Jekyll ``permalink: /2024/03/05/title/``, ``slug: 2019-01-02-foo``, a ``url`` with
``/2024/03/05/`` in it; the file's own path (``2024/03/05/`` folders, a
``2024-03-05-`` name prefix, a page bundle's folder ``2024-03-05-slug/index.md``); a TOML
``[extra]`` or ``[taxonomies]`` value that is a date. :func:`fallback` tries them in that
order and says which one it used (the record's ``date_source``). The parser calls it only
when no date key gave a date, so dated posts cost nothing here.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from datetime import date, datetime, timezone
from typing import Any

from newsidx.dates import ParsedDate, date_from_file_name, parse_date

__all__ = ["KEYS", "TABLES", "fallback"]

KEYS = ("path", "permalink", "slug", "url")
"""Front-matter keys whose value (a path or URL) may hold the date, best first."""
TABLES = ("extra", "taxonomies")
"""Tables (TOML ``[extra]``, ``[taxonomies]``) searched for a value that is a date."""

# a date as folders (2024/03/05) or as a name prefix (2024-03-05-), at a path boundary
_IN_PATH = re.compile(r"(?:^|[/_])(\d{4})([/-])(\d{2})\2(\d{2})(?=$|[/_.-])")
# the date folders end the file's folder path, or are followed by one slug folder
_FOLDERS = re.compile(r"(?:^|/)(\d{4})/(\d{2})/(\d{2})(?:/[^/]+)?/?$")
_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}(?:$|[T ]\d)")


def _day(year: str, month: str, day: str, raw: str) -> ParsedDate | None:
    try:
        instant = datetime(int(year), int(month), int(day), tzinfo=timezone.utc)
    except ValueError:
        return None
    return ParsedDate(instant, raw, None, True)


def _from_text(text: str) -> ParsedDate | None:
    """The first day written as ``YYYY/MM/DD`` or ``YYYY-MM-DD`` at a path boundary."""
    for m in _IN_PATH.finditer(text):
        found = _day(m[1], m[3], m[4], m[0].lstrip("/_"))
        if found is not None:
            return found
    return None


def _from_path(source: str, file_name: str) -> tuple[ParsedDate, str] | None:
    """A date in the file's name (or its page bundle's folder name), else its folders."""
    from_name = date_from_file_name(file_name)
    if from_name is not None:
        return from_name, "filename"
    folder = os.path.dirname(source)
    if os.sep != "/":
        folder = folder.replace(os.sep, "/")
    if file_name.partition(".")[0] in ("index", "_index"):
        from_name = date_from_file_name(folder.rpartition("/")[2] + "-")
        if from_name is not None:
            return from_name, "filename"
    m = _FOLDERS.search(folder)
    if m is not None:
        found = _day(m[1], m[2], m[3], f"{m[1]}/{m[2]}/{m[3]}")
        if found is not None:
            return found, "folders"
    return None


def _table_date(value: Any) -> ParsedDate | None:
    """``value`` as a date when it is one: a TOML date or datetime, or ISO text
    (``2024-03-05``, ``2024-03-05T10:00:00+02:00``); a one-item list of either."""
    if isinstance(value, list) and len(value) == 1:
        value = value[0]
    if isinstance(value, (datetime, date)):
        parsed = parse_date(value)
    elif isinstance(value, str) and _ISO_DAY.match(value.strip()):
        parsed = parse_date(value.strip())
    else:
        return None
    return parsed if parsed.instant is not None else None


def _from_tables(rest: Mapping[Any, Any]) -> tuple[ParsedDate, str] | None:
    for table in TABLES:
        values = rest.get(table)
        if not isinstance(values, dict):
            continue
        for key, value in values.items():
            parsed = _table_date(value)
            if parsed is not None:
                return parsed, f"{table}.{key}"
    return None


def fallback(rest: Mapping[Any, Any], url: str | None, source: str | None,
             file_name: str | None) -> tuple[ParsedDate, str] | None:
    """The date of a post whose date keys gave none, and where it came from (``path``,
    ``permalink``, ``slug``, ``url``, ``filename``, ``folders``, ``extra.KEY``,
    ``taxonomies.KEY``); None when nothing holds one. ``rest`` is the front matter not
    yet consumed, ``url`` the ``url`` key's value (already taken from ``rest``),
    ``source`` and ``file_name`` the file's path and name (None for a dataset item or a
    related entry, which have no path of their own)."""
    for key in KEYS:
        value = url if key == "url" and "url" not in rest else rest.get(key)
        if isinstance(value, str) and value:
            found = _from_text(value)
            if found is not None:
                return found, key
    if source and file_name:
        found_path = _from_path(source, file_name)
        if found_path is not None:
            return found_path
    return _from_tables(rest)
