"""``timeline`` without its outliers: a few records dated far from the rest (a 1970-01-01
placeholder, a 2099 typo) would stretch the chart into decades of empty periods and pick
year buckets for a month of news. They are left out, and a note says which and how many.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time, timedelta, timezone
from typing import TYPE_CHECKING

from newsidx.cli.output import note
from newsidx.timeline import outliers

if TYPE_CHECKING:
    from newsidx.api import Archive, Timeline
    from newsidx.filters import Filters


def without_outliers(archive: Archive, query: str, filters: Filters, by: str,
                     timeline: Timeline, *, stories: bool = False) -> Timeline:
    """``timeline`` again over the dates between the outliers, if there are any (a note
    names them), else ``timeline`` itself."""
    days = [(b.key, b.count) for b in archive.timeline(query, filters, by="day").buckets]
    head, tail = outliers(days)
    if not head and not tail:
        return timeline
    dated = [(k, n) for k, n in days if n > 0]
    kept = dated[head:len(dated) - tail]
    left = dated[:head] + dated[len(dated) - tail:]
    first, last = date.fromisoformat(kept[0][0]), date.fromisoformat(kept[-1][0])
    narrowed = replace(filters, since=datetime.combine(first, time.min, timezone.utc),
                       until=datetime.combine(last + timedelta(days=1), time.min,
                                                    timezone.utc))
    count = sum(n for _, n in left)
    shown = ", ".join(k for k, _ in left[:3]) + (", ..." if len(left) > 3 else "")
    note(f"{count} {'record' if count == 1 else 'records'} dated far from the rest left out "
         f"({shown}; --outliers to chart them)")
    return archive.timeline(query, narrowed, by=by, stories=stories)
