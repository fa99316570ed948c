"""Timeline periods: pick a bucket size from a span of dates, and fill the quiet gaps.

Pure date arithmetic over the index's ``(period, count)`` histograms, so that a bar
chart shows empty weeks too. Period keys are ``2024-03-05`` (day), ``2024-W10`` (ISO
week), ``2024-03`` (month) and ``2024`` (year).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

PERIODS = ("day", "week", "month", "year")
MAX_FILLED_BUCKETS = 5000


def auto_bucket(first: str | None, last: str | None) -> str:
    """day up to ~2 months of dates, week up to ~1 year, month up to 10 years, else year."""
    if not first or not last:
        return "day"
    span = (date.fromisoformat(last) - date.fromisoformat(first)).days
    if span <= 62:
        return "day"
    if span <= 366:
        return "week"
    return "month" if span <= 3660 else "year"


def _key(day: date, by: str) -> str:
    if by == "week":
        year, week, _ = day.isocalendar()
        return f"{year:04d}-W{week:02d}"
    return {"day": day.isoformat(), "month": f"{day.year:04d}-{day.month:02d}",
            "year": f"{day.year:04d}"}[by]


def _start(key: str, by: str) -> date:
    if by == "week":
        year, week = key.split("-W")
        return date.fromisocalendar(int(year), int(week), 1)
    if by == "day":
        return date.fromisoformat(key)
    return date(int(key[:4]), int(key[5:7]) if by == "month" else 1, 1)


def _advance(day: date, by: str) -> date:
    if by in ("day", "week"):
        return day + timedelta(days=1 if by == "day" else 7)
    if by == "month":
        return date(day.year + (day.month == 12), day.month % 12 + 1, 1)
    return date(day.year + 1, 1, 1)


def fill_gaps(buckets: Sequence[tuple[str, int]], by: str) -> list[tuple[str, int]]:
    """Insert the empty periods between the first and last bucket, so a bar chart shows
    the quiet stretches too; a span of over MAX_FILLED_BUCKETS periods is left as is."""
    if len(buckets) < 2 or by not in PERIODS:
        return list(buckets)
    try:
        first, last = _start(buckets[0][0], by), _start(buckets[-1][0], by)
    except ValueError:
        return list(buckets)
    per = {"day": 1, "week": 7, "month": 28, "year": 365}[by]
    if (last - first).days // per > MAX_FILLED_BUCKETS:
        return list(buckets)
    counts = dict(buckets)
    keys: list[str] = []
    day = first
    while day <= last:
        keys.append(_key(day, by))
        try:
            day = _advance(day, by)
        except (OverflowError, ValueError):
            break
    return [(k, counts.get(k, 0)) for k in keys]


OUTLIER_GAP_DAYS = 730
"""An end of the dates is an outlier only when two years or more from the rest."""


def outliers(days: Sequence[tuple[str, int]]) -> tuple[int, int]:
    """How many of the first and of the last non-empty ``(YYYY-MM-DD, count)`` days are
    outliers: a few records (at most 1% of them, or one) at either end, separated from
    the rest by a gap of over two years that is also longer than the rest's span, such as
    a 1970-01-01 or 2099 placeholder date. A chart of them would be almost all empty."""
    dated = [(date.fromisoformat(k), n) for k, n in days if n > 0]
    total = sum(n for _, n in dated)
    limit = max(1, total // 100)

    def cut(seq: list[tuple[date, int]]) -> int:
        best, held = 0, 0
        for i in range(len(seq) - 1):
            held += seq[i][1]
            if held > limit:
                break
            gap = abs((seq[i + 1][0] - seq[i][0]).days)
            span = abs((seq[-1][0] - seq[i + 1][0]).days)
            if gap >= OUTLIER_GAP_DAYS and gap > span:
                best = i + 1
        return best

    head = cut(dated)
    tail = cut(list(reversed(dated[head:])))
    return head, tail


def collapse_empty(buckets: Sequence[tuple[str, int]]) -> list[tuple[str, int, int]]:
    """``(key, count, run)`` rows where each run of two or more empty periods is one row
    (``key`` its first period, ``run`` its length, later shown as ``first–last``)."""
    rows: list[tuple[str, int, int]] = []
    i = 0
    while i < len(buckets):
        key, n = buckets[i]
        j = i
        while n == 0 and j + 1 < len(buckets) and buckets[j + 1][1] == 0:
            j += 1
        rows.append((key if j == i else f"{key}–{buckets[j][0]}", n, j - i + 1))
        i = j + 1
    return rows
