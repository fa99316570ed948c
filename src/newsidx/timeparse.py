"""Date expressions for filters (``--since``/``--until``, ``after:``/``before:``/``on:``).

Every expression names a span ``[start, end)`` of aware UTC instants: ``2024`` is the
whole year, ``2024-03`` the month, ``2024-03-05`` and ``yesterday`` a day, ``last week``
the previous Monday-to-Monday week, ``last month`` the previous calendar month. An
instant (``2024-03-05T10:00+08:00``, ``7 days ago``) is a span of zero length. Naive
values are taken as UTC. ``--since X`` uses the start of X and ``--until X`` its end,
so both bounds include the whole of a partial date.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import NamedTuple

from newsidx.errors import QueryError

_RELATIVE = re.compile(
    r"^(?P<n>\d+|an?|one)\s*(?P<unit>minute|min|hour|hr|h|day|d|week|wk|w|month|mon|year|yr|y)s?"
    r"\s+ago$"
)
_YEAR = re.compile(r"^(\d{4})$")
_MONTH = re.compile(r"^(\d{4})[-/.](\d{1,2})$")
_DAY = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$")
_UNIT_DAYS = {"day": 1, "d": 1, "week": 7, "wk": 7, "w": 7}
_UNIT_SECONDS = {"minute": 60, "min": 60, "hour": 3600, "hr": 3600, "h": 3600}
_UNIT_MONTHS = {"month": 1, "mon": 1, "year": 12, "yr": 12, "y": 12}


class Span(NamedTuple):
    """A half-open span of time ``[start, end)`` in aware UTC."""

    start: datetime
    end: datetime


def _day(d: datetime) -> datetime:
    return d.replace(hour=0, minute=0, second=0, microsecond=0)


def _add_months(d: datetime, months: int) -> datetime:
    total = d.year * 12 + (d.month - 1) + months
    year, month = divmod(total, 12)
    if year > 9999:
        return datetime.max.replace(tzinfo=timezone.utc)
    if year < 1:
        raise OverflowError("date out of range")
    import calendar

    last_day = calendar.monthrange(year, month + 1)[1]
    return d.replace(year=year, month=month + 1, day=min(d.day, last_day))


def _utc(y: int, m: int = 1, d: int = 1) -> datetime:
    return datetime(y, m, d, tzinfo=timezone.utc)


def _calendar(text: str) -> Span | None:
    if m := _YEAR.match(text):
        start = _utc(int(m[1]))
        return Span(start, _add_months(start, 12))
    if m := _MONTH.match(text):
        start = _utc(int(m[1]), int(m[2]))
        return Span(start, _add_months(start, 1))
    if m := _DAY.match(text):
        start = _utc(int(m[1]), int(m[2]), int(m[3]))
        end = start + timedelta(days=1) if start.year < 9999 or start.month < 12 or \
            start.day < 31 else datetime.max.replace(tzinfo=timezone.utc)
        return Span(start, end)
    return None


def _relative(text: str, now: datetime) -> Span | None:
    today = _day(now)
    if text == "now":
        return Span(now, now)
    if text == "today":
        return Span(today, today + timedelta(days=1))
    if text == "yesterday":
        return Span(today - timedelta(days=1), today)
    if text == "last week":
        this_week = today - timedelta(days=today.weekday())
        return Span(this_week - timedelta(days=7), this_week)
    if text == "last month":
        this_month = today.replace(day=1)
        return Span(_add_months(this_month, -1), this_month)
    if text == "last year":
        this_year = today.replace(month=1, day=1)
        return Span(this_year.replace(year=this_year.year - 1), this_year)
    m = _RELATIVE.match(text)
    if not m:
        return None
    n = 1 if m["n"] in ("a", "an", "one") else int(m["n"])
    unit = m["unit"]
    if unit in _UNIT_MONTHS:
        point = _add_months(now, -n * _UNIT_MONTHS[unit])
    elif unit in _UNIT_DAYS:
        point = now - timedelta(days=n * _UNIT_DAYS[unit])
    else:
        point = now - timedelta(seconds=n * _UNIT_SECONDS[unit])
    return Span(point, point)


def _dateutil(text: str) -> Span:
    from dateutil import parser as dparser

    # Parse twice with different defaults: fields that change were not in the text.
    base_a = datetime(2000, 1, 1, 0, 0, 0)
    base_b = datetime(2001, 2, 2, 1, 1, 1)
    a = dparser.parse(text, default=base_a)
    b = dparser.parse(text, default=base_b)
    value = a if a.tzinfo else a.replace(tzinfo=timezone.utc)
    value = value.astimezone(timezone.utc)
    if a.year != b.year:
        raise ValueError("no year given")
    if a.month != b.month:
        start = _utc(a.year)
        return Span(start, _add_months(start, 12))
    if a.day != b.day:
        start = _utc(a.year, a.month)
        return Span(start, _add_months(start, 1))
    if a.hour != b.hour:
        start = _utc(a.year, a.month, a.day)
        return Span(start, start + timedelta(days=1))
    return Span(value, value)


def parse_span(text: str, *, now: datetime | None = None) -> Span:
    """The span a date expression names, relative forms counted back from ``now``.

    Raises :class:`QueryError` for anything that is not a date.
    """
    if now is None:
        now = datetime.now(timezone.utc)
    elif now.tzinfo is None:
        now = now.replace(tzinfo=timezone.utc)
    now = now.astimezone(timezone.utc)
    cleaned = " ".join(text.strip().lower().split())
    if not cleaned:
        raise QueryError("empty date: give e.g. 2024-03-05, 2024-03, '7 days ago' or yesterday")
    try:
        span = _calendar(cleaned) or _relative(cleaned, now)
        if span is None:
            span = _dateutil(text.strip())
    except (ValueError, OverflowError) as exc:
        raise QueryError(
            f"unreadable date {text.strip()!r}: use e.g. 2024-03-05, 2024-03, 2024, "
            f"'7 days ago', 'last month', yesterday ({exc})"
        ) from None
    return span


def parse_since(text: str, *, now: datetime | None = None) -> datetime:
    """The inclusive lower bound for ``--since``: the start of the span."""
    return parse_span(text, now=now).start


def parse_until(text: str, *, now: datetime | None = None) -> datetime:
    """The exclusive upper bound for ``--until``: the end of the span (a whole partial date)."""
    return parse_span(text, now=now).end
