"""The story commands' answers: one record's story, and stories listed by size or recency.

Both read the index, never the whole catalogue: a story's members are a ``story:ID``
listing, oldest first; a listing of stories is one terms aggregation on the ``story``
field over the matching records (with the first and last publication instant of
each), then, when a query or filter narrowed it, the same aggregation over those
stories' whole membership, so sizes, dates and outlets describe whole stories. Only
the page's stories have their records read (for outlets and headline).
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from newsidx.answers import Stories, Story, StorySummary
from newsidx.errors import NotFoundError, QueryError

if TYPE_CHECKING:
    from newsidx.answers import Timeline
    from newsidx.api import Archive
    from newsidx.index import SearchIndex
    from newsidx.indexrequest import SearchRequest
    from newsidx.model import Article

STORY_SORTS = ("size", "recent")
MAX_STORIES = 65000
"""Stories one aggregation returns at most (tantivy's bucket limit)."""


def resolve(archive: Archive, ref: str) -> Article:
    """The record ``ref`` names: an id, unique id prefix or URL (as ``show``), or the
    path of an ingested file (its article)."""
    import os

    try:
        return archive.get(ref)
    except NotFoundError:
        if "://" in ref or not (os.sep in ref or os.path.exists(ref)):
            raise
        book = archive.catalogue.bookkeeping()
        state = None if book is None else book.file(os.path.abspath(ref))
        if state is None or not state.ids:
            raise NotFoundError(f"no record comes from the file {ref!r}") from None
        return archive.get(state.ids[0])


def story_of(archive: Archive, ref: str) -> Story:
    """The story of the record ``ref`` names, its members first published first."""
    from newsidx.filters import Filters

    record = resolve(archive, ref)
    if not record.story:
        return Story(record.id, (record,))
    members = [h.record for h in archive.iter_list(Filters(stories=record.story),
                                                   sort="oldest")]
    return Story(record.story, tuple(members) or (record,))


def stories(archive: Archive, index: SearchIndex, request: SearchRequest, *, sort: str,
            min_size: int, limit: int | None, offset: int) -> Stories:
    """Stories with a record matching ``request``, at least ``min_size`` records big,
    biggest (``size``) or latest (``recent``) first."""
    from newsidx.indexrequest import SearchRequest, has_filters

    if sort not in STORY_SORTS:
        raise QueryError(f"unknown sort {sort!r}: use {', '.join(STORY_SORTS)}")
    if min_size < 1:
        raise QueryError(f"min size must be 1 or more, not {min_size}")
    matched = spans(index, request)
    if request.text.strip() or has_filters(request):
        ids = [b[0] for b in matched]
        whole = spans(index, SearchRequest(stories=tuple(ids))) if ids else []
    else:
        whole = matched
    if sort == "size":
        whole.sort(key=lambda b: (-b[1], -(b[3] or -2**62), b[0]))
    else:
        whole.sort(key=lambda b: (-(b[3] or -2**62), -b[1], b[0]))
    kept = [b for b in whole if b[1] >= min_size]
    page = kept[offset:None if limit is None else offset + limit]
    rows = tuple(_summary(archive, b) for b in page)
    return Stories(rows, len(kept), len(whole) - len(kept))


def spans(index: SearchIndex, request: SearchRequest,
          ) -> list[tuple[str, int, float | None, float | None]]:
    """``(story, records, first, last)`` per story of the matching records (epoch
    seconds; None when all its matching records are undated)."""
    from newsidx.indexrequest import compile_request

    tindex = index._open()
    query, _, _ = compile_request(tindex, request)
    agg: dict[str, Any] = {"s": {"terms": {"field": "story", "size": MAX_STORIES},
                                 "aggs": {"first": {"min": {"field": "published"}},
                                          "last": {"max": {"field": "published"}}}}}
    found = tindex.searcher().aggregate(query, agg)["s"]["buckets"]
    return [(str(b["key"]), int(b["doc_count"]), _stamp(b["first"]["value"]),
             _stamp(b["last"]["value"])) for b in found]


def _stamp(value: object) -> float | None:
    """An aggregated date (nanoseconds) as seconds; None when every record was undated."""
    if not isinstance(value, int | float):
        return None
    return float(value) / 1e9


def _iso(stamp: float | None) -> str | None:
    if stamp is None:
        return None
    text = datetime.fromtimestamp(stamp, timezone.utc).isoformat(timespec="seconds")
    return text.replace("+00:00", "Z")


def _summary(archive: Archive, bucket: tuple[str, int, float | None, float | None],
             ) -> StorySummary:
    """A story's row: outlets counted in the index, the headline its first record's."""
    from newsidx.filters import Filters

    story, size, first, last = bucket
    only = Filters(stories=story)
    outlets = tuple(c.key for c in archive.facets("provider", filters=only))
    head = archive.list(only, limit=1, sort="oldest").hits
    return StorySummary(story, size, _iso(first), _iso(last), outlets,
                        head[0].record.title if head else "")


def first_seen(index: SearchIndex, request: SearchRequest, by: str,
               ) -> tuple[list[tuple[str, int]], int]:
    """Stories per period of their earliest matching record (``by``: day, week, month
    or year), oldest first, and how many matching stories have no dated record."""
    counts: dict[str, int] = {}
    undated = 0
    for _, _, first, _ in spans(index, request):
        if first is None:
            undated += 1
            continue
        key = period(datetime.fromtimestamp(first, timezone.utc), by)
        counts[key] = counts.get(key, 0) + 1
    return sorted(counts.items()), undated


def period(instant: datetime, by: str) -> str:
    """The period key of a UTC instant, as the index's ``bucket_*`` fields spell it."""
    year = f"{instant.year:04d}"
    if by == "year":
        return year
    if by == "month":
        return f"{year}-{instant.month:02d}"
    if by == "week":
        iso = instant.isocalendar()
        return f"{iso[0]:04d}-W{iso[1]:02d}"
    return f"{year}-{instant.month:02d}-{instant.day:02d}"


def story_timeline(index: SearchIndex, request: SearchRequest, by: str) -> Timeline:
    """Stories per period (``auto``: chosen from the span of first days), each counted
    in the period of its earliest matching record; empty periods included."""
    from newsidx.answers import Count, Timeline
    from newsidx.timeline import auto_bucket, fill_gaps

    days, undated = first_seen(index, request, "day")
    if by == "auto":
        by = auto_bucket(days[0][0] if days else None, days[-1][0] if days else None)
    buckets = days if by == "day" else first_seen(index, request, by)[0]
    return Timeline(by, tuple(Count(k, n) for k, n in fill_gaps(buckets, by)), undated)
