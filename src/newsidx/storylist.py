"""The story commands' answers: one record's story, and stories listed by size or recency.

Both read the index, never the whole catalogue: a story's members are a ``story:ID``
listing, oldest first; a listing of stories is a terms aggregation on the ``story``
field over the matching records (then, when a query or filter narrowed it, over those
stories' whole membership, so sizes, dates and outlets describe whole stories), sorted
here (tantivy's top-N terms are approximate across segments); only the page's stories
get their dates and outlets aggregated and their first record read (the headline).
``--sort recent`` needs every story's last date: one full aggregation more.
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


def stories(index: SearchIndex, request: SearchRequest, *, sort: str,
            min_size: int, limit: int | None, offset: int) -> Stories:
    """Stories with a record matching ``request``, at least ``min_size`` records big,
    biggest (``size``) or latest (``recent``) first."""
    from newsidx.indexrequest import SearchRequest, has_filters

    if sort not in STORY_SORTS:
        raise QueryError(f"unknown sort {sort!r}: use {', '.join(STORY_SORTS)}")
    if min_size < 1:
        raise QueryError(f"min size must be 1 or more, not {min_size}")
    base = request
    if request.text.strip() or has_filters(request):  # whole stories, not their matches
        ids = tuple(story for story, _ in sizes(index, request))
        if not ids:
            return Stories((), 0, 0)
        base = SearchRequest(stories=ids)
    counts = sizes(index, base)
    kept = [(story, n) for story, n in counts if n >= min_size]
    if sort == "recent":  # every kept story's last instant: one more full aggregation
        last = {story: stamp for story, _, _, stamp in spans(index, base)}
        kept.sort(key=lambda c: (-(last.get(c[0]) or -2.0**62), -c[1], c[0]))
    else:
        kept.sort(key=lambda c: (-c[1], c[0]))
    page = [story for story, _ in kept[offset:None if limit is None else offset + limit]]
    found = {b[0]: b for b in spans(index, SearchRequest(stories=tuple(page)))} if page else {}
    outlets = _outlets(index, tuple(page)) if page else {}
    rows = tuple(_summary(index, found[story], outlets.get(story, ())) for story in page
                 if story in found)
    return Stories(rows, len(kept), len(counts) - len(kept))


def sizes(index: SearchIndex, request: SearchRequest) -> list[tuple[str, int]]:
    """``(story, matching records)`` per story with a matching record (one terms
    aggregation, no sub-aggregations: cheap next to :func:`spans`)."""
    agg: dict[str, Any] = {"s": {"terms": {"field": "story", "size": MAX_STORIES}}}
    found = _aggregate(index, request, agg)
    return [(str(b["key"]), int(b["doc_count"])) for b in found]


def _aggregate(index: SearchIndex, request: SearchRequest,
               agg: dict[str, Any]) -> list[dict[str, Any]]:
    from newsidx.indexrequest import compile_request

    tindex = index._open()
    query, _, _ = compile_request(tindex, request)
    too_many = QueryError(f"more than {MAX_STORIES:,} stories match, more than one "
                          "aggregation counts: narrow them with a query, --since or --provider")
    try:
        buckets: list[dict[str, Any]] = tindex.searcher().aggregate(query, agg)["s"]["buckets"]
    except ValueError as exc:  # tantivy's bucket limit
        raise too_many from exc
    if len(buckets) >= MAX_STORIES:  # cut at the limit: a count would be silently short
        raise too_many
    return buckets


def spans(index: SearchIndex, request: SearchRequest,
          ) -> list[tuple[str, int, float | None, float | None]]:
    """``(story, records, first, last)`` per story of the matching records; instants in
    epoch seconds, None when all its matching records are undated. The two date
    sub-aggregations cost several times the plain :func:`sizes` (0.25 s against 0.05 s
    over 24,000 stories), so ``stories`` asks it for a page's stories only."""
    agg: dict[str, Any] = {"s": {"terms": {"field": "story", "size": MAX_STORIES},
                                 "aggs": {"first": {"min": {"field": "published"}},
                                          "last": {"max": {"field": "published"}}}}}
    found = _aggregate(index, request, agg)
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


def _outlets(index: SearchIndex, stories: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    """Each story's providers, most records first (one aggregation for the page)."""
    from newsidx.indexrequest import SearchRequest

    agg: dict[str, Any] = {"s": {"terms": {"field": "story", "size": MAX_STORIES},
                                 "aggs": {"p": {"terms": {"field": "provider_key",
                                                          "size": 1000}}}}}
    out: dict[str, tuple[str, ...]] = {}
    for b in _aggregate(index, SearchRequest(stories=stories), agg):
        pairs = sorted(((str(p["key"]), int(p["doc_count"])) for p in b["p"]["buckets"]),
                       key=lambda kv: (-kv[1], kv[0]))
        out[str(b["key"])] = tuple(k for k, _ in pairs)
    return out


def _summary(index: SearchIndex, bucket: tuple[str, int, float | None, float | None],
             outlets: tuple[str, ...]) -> StorySummary:
    """A story's row: the headline its first record's title."""
    from newsidx.indexrequest import SearchRequest

    story, size, first, last = bucket
    head = index.select(SearchRequest(stories=(story,), limit=1, sort="oldest")).hits
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
