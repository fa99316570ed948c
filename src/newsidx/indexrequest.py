"""What a search or listing asks of the index: :class:`SearchRequest`, checked, fitted to
the index and compiled to one tantivy query with its filters.

Shared by the hits side (:mod:`newsidx.index`) and the counting side
(:mod:`newsidx.indexcounts`), which compile the same request the same way.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import NamedTuple

import tantivy

from newsidx import analysis, fieldterms
from newsidx import query as q
from newsidx.errors import QueryError

DEFAULT_RECENCY_WEIGHT = 0.1
SORTS = ("relevance", "newest", "oldest")
SELECT_SORTS = ("newest", "oldest", "provider", "title")


class SearchRequest(NamedTuple):
    """What to find: query text, filters (AND-ed; values within one filter OR-ed), page, order."""

    text: str = ""
    providers: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    kind: str | None = None
    authors: tuple[str, ...] = ()
    langs: tuple[str, ...] = ()
    folders: tuple[str, ...] = ()
    stories: tuple[str, ...] = ()
    since: datetime | None = None
    until: datetime | None = None
    limit: int = 20
    offset: int = 0
    sort: str = "relevance"
    recency_weight: float = DEFAULT_RECENCY_WEIGHT


def compile_request(
    index: tantivy.Index, request: SearchRequest
) -> tuple[tantivy.Query, str, q.Highlights]:
    """The request's text and filters as one query, how it was understood, and what to
    highlight; filters add no score."""
    schema = index.schema
    compiled = q.build(request.text, schema)
    clauses = [(tantivy.Occur.Must, compiled.query)]
    shown = (
        []
        if compiled.understood == "everything" and has_filters(request)
        else [compiled.understood]
    )
    filters: list[tuple[tantivy.Query, str]] = []
    if request.providers:
        filters.append(
            (
                q.keyword_filter(schema, "provider", request.providers),
                "provider:" + "|".join(analysis.keyword(p) for p in request.providers),
            )
        )
    if request.topics:
        filters.append(
            (
                q.keyword_filter(schema, "topic", request.topics),
                "topic:" + "|".join(analysis.keyword(t) for t in request.topics),
            )
        )
    filters.extend(fieldterms.filters(schema, request))
    if request.stories:
        filters.append((q.keyword_filter(schema, "story", request.stories),
                        "story:" + "|".join(analysis.keyword(s) for s in request.stories)))
    if request.kind is not None:
        if request.kind not in ("article", "related"):
            raise QueryError(f"unknown kind {request.kind!r}: use article or related")
        filters.append(
            (q.keyword_filter(schema, "kind", [request.kind]), f"kind:{request.kind}")
        )
    if request.since is not None or request.until is not None:
        since, until = utc(request.since), utc(request.until)
        filters.append((q.date_range(schema, since, until), date_text(since, until)))
    for fq, text in filters:
        clauses.append((tantivy.Occur.Must, tantivy.Query.const_score_query(fq, 0.0)))
        shown.append(text)
    query = compiled.query if len(clauses) == 1 else tantivy.Query.boolean_query(clauses)
    return query, q.describe_filters(shown), compiled.highlights


def count_of(result: tantivy.SearchResult) -> int:
    """The number of matches a search counted (``count=True``)."""
    return int(result.count)  # type: ignore[attr-defined]


def has_filters(request: SearchRequest) -> bool:
    """Whether the request filters (then "everything" is not said of its empty text)."""
    return bool(
        request.providers
        or request.topics
        or request.authors or request.langs or request.folders or request.stories
        or request.kind
        or request.since is not None
        or request.until is not None
    )


def check_page(request: SearchRequest) -> None:
    """A negative limit or offset refused with one line naming it."""
    if request.limit < 0:
        raise QueryError(f"limit must be 0 or more, not {request.limit}")
    if request.offset < 0:
        raise QueryError(f"offset must be 0 or more, not {request.offset}")


def fit_page(request: SearchRequest, docs: int) -> SearchRequest:
    """The request's page cut to the ``docs`` records the index holds. tantivy makes room
    for offset + limit hits up front, so an absurd ``--limit`` or ``--offset`` would abort
    the process or overflow; no page can hold more than every record anyway."""
    offset = min(request.offset, docs)
    return request._replace(offset=offset, limit=min(request.limit, docs - offset))


def utc(value: datetime | None) -> datetime | None:
    """``value`` in UTC; a naive one taken as UTC."""
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


def date_text(since: datetime | None, until: datetime | None) -> str:
    """How a date filter is said in ``understood``."""
    parts = []
    if since is not None:
        parts.append(f"published >= {since.isoformat().replace('+00:00', 'Z')}")
    if until is not None:
        parts.append(f"published < {until.isoformat().replace('+00:00', 'Z')}")
    return " AND ".join(parts)
