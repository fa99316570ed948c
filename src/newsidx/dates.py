"""Every date form an archive uses → one aware UTC instant, plus the text as written.

Fast paths first (``datetime`` objects, ``datetime.fromisoformat``); python-dateutil
only reads what they cannot, so a million ISO dates never touch it.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from dateutil import parser as _dateutil
from dateutil import tz as _tz

__all__ = ["ParsedDate", "date_from_file_name", "format_offset", "parse_date"]

_MAX_TEXT = 100
_EPOCH_MIN_DIGITS = 9
_MILLIS_FROM = 100_000_000_000
_DEFAULT = datetime(2000, 1, 1)
_TZINFOS = {
    name: _tz.tzoffset(name, hours * 3600)
    for name, hours in {
        "UT": 0, "GMT": 0, "UTC": 0, "Z": 0,
        "EST": -5, "EDT": -4, "CST": -6, "CDT": -5,
        "MST": -7, "MDT": -6, "PST": -8, "PDT": -7,
    }.items()
}
_JEKYLL = re.compile(r"(\d{4})-(\d{2})-(\d{2})-")
_DIGITS = re.compile(r"[+-]?\d+(?:\.\d+)?")


@dataclass(frozen=True, slots=True)
class ParsedDate:
    """A read date: ``instant`` is aware UTC or None when the text could not be read."""

    instant: datetime | None
    raw: str | None
    offset: str | None = None
    zoneless: bool = False
    warning: str | None = None


EMPTY = ParsedDate(None, None)


def format_offset(delta: timedelta | None) -> str | None:
    """A UTC offset as ``+08:00`` (``+05:30:15`` when it has seconds)."""
    if delta is None:
        return None
    seconds = int(delta.total_seconds())
    sign = "-" if seconds < 0 else "+"
    hours, rest = divmod(abs(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    text = f"{sign}{hours:02d}:{minutes:02d}"
    return f"{text}:{secs:02d}" if secs else text


def _unreadable(raw: str) -> ParsedDate:
    shown = raw if len(raw) <= 60 else raw[:57] + "..."
    return ParsedDate(None, raw, warning=f"unreadable date {shown!r}: left empty")


def _from_datetime(value: datetime, raw: str) -> ParsedDate:
    try:
        offset = value.utcoffset()
    except ValueError:  # a zone of 24 hours or more (``+24:00``), which Python refuses
        shown = raw if len(raw) <= 60 else raw[:57] + "..."
        return ParsedDate(None, raw, warning=f"date {shown!r} has an impossible UTC offset "
                                             "(24 hours or more): left empty")
    if offset is None:
        return ParsedDate(value.replace(tzinfo=timezone.utc), raw, None, True)
    try:
        instant = value.astimezone(timezone.utc)
    except (OverflowError, ValueError):
        return _unreadable(raw)
    return ParsedDate(instant, raw, format_offset(offset), False)


def _from_epoch(seconds: float, raw: str) -> ParsedDate:
    if abs(seconds) >= _MILLIS_FROM:
        seconds /= 1000
    try:
        instant = datetime.fromtimestamp(seconds, tz=timezone.utc)
    except (OverflowError, OSError, ValueError):
        return _unreadable(raw)
    return ParsedDate(instant, raw, "+00:00", False)


def _iso(text: str) -> datetime | None:
    """``fromisoformat`` with the two spellings it misses: ``Z`` (3.10) and ``' +0000'``."""
    if text[-1:] in "zZ":
        text = text[:-1] + "+00:00"
    elif len(text) > 16 and text[-6] == " " and text[-5] in "+-" and text[-4:].isdigit():
        text = f"{text[:-6]}{text[-5:-2]}:{text[-2:]}"
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def _from_text(raw: str) -> ParsedDate:
    text = raw.strip()
    if not text:
        return EMPTY
    if len(text) > _MAX_TEXT:
        return _unreadable(text)
    if _DIGITS.fullmatch(text) and len(text.lstrip("+-").split(".")[0]) >= _EPOCH_MIN_DIGITS:
        return _from_epoch(float(text), text)
    if text[0].isdigit() and "-" in text[:5]:
        value = _iso(text)
        if value is not None:
            return _from_datetime(value, text)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            value = _dateutil.parse(text, default=_DEFAULT, tzinfos=_TZINFOS)
    except (ValueError, OverflowError, TypeError, LookupError):
        return _unreadable(text)
    return _from_datetime(value, text)


def parse_date(value: object) -> ParsedDate:
    """Read a date given as a string, number (epoch seconds), ``datetime`` or ``date``.

    A value without a zone is read as UTC and marked ``zoneless``; a bare date is
    midnight UTC. Numbers of 9+ digits are epoch seconds (milliseconds from 1e11);
    shorter numbers are read as text (``20240305``). Unreadable values give
    ``instant=None`` and a one-line ``warning``; this function never raises.
    """
    if value is None:
        return EMPTY
    if isinstance(value, datetime):
        return _from_datetime(value, value.isoformat())
    if isinstance(value, date):
        midnight = datetime(value.year, value.month, value.day, tzinfo=timezone.utc)
        return ParsedDate(midnight, value.isoformat(), None, True)
    if isinstance(value, bool):
        return _unreadable(str(value).lower())
    if isinstance(value, (int, float)):
        raw = getattr(value, "raw", None) or repr(value)
        if value != value or abs(value) < 10 ** (_EPOCH_MIN_DIGITS - 1):
            return _from_text(raw)
        return _from_epoch(float(value), raw)
    if isinstance(value, str):
        return _from_text(value)
    return _unreadable(type(value).__name__)


def date_from_file_name(name: str) -> ParsedDate | None:
    """The date of a Jekyll post name ``YYYY-MM-DD-slug.md`` (midnight UTC, zoneless)."""
    match = _JEKYLL.match(name)
    if match is None:
        return None
    try:
        year, month, day_ = (int(g) for g in match.groups())
        day = datetime(year, month, day_, tzinfo=timezone.utc)
    except ValueError:
        return None
    return ParsedDate(day, match.group(0)[:-1], None, True)
