"""The story reads of :class:`newsidx.api.Archive`: grouped search and listing, one
record's story, stories listed, (``Archive`` inherits them; see docs/api.md). The work is
in :mod:`newsidx.grouping` and :mod:`newsidx.storylist`; this class only checks the
arguments and finds the index, as ``Archive``'s other readers do."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from newsidx.answers import Stories, Story, StoryResults
from newsidx.filters import NO_FILTERS, Filters, to_request

if TYPE_CHECKING:
    from newsidx.api import Archive
    from newsidx.index import SearchIndex

class StoryReads:
    """Story reads over ``_index`` (the current index, or None for an empty archive)."""

    def _index(self, filters: Filters) -> SearchIndex | None:
        raise NotImplementedError  # Archive's

    def search_grouped(self, query: str, filters: Filters | None = None, *,
                       limit: int | None = 20, offset: int = 0, sort: str = "relevance",
                       recency_weight: float | None = None,
                       snippets: bool = True) -> StoryResults:
        """Like :meth:`search`, one row per story: each story's best-ranked match, its
        size and matching members; ``limit`` (None: all) and ``offset`` count stories."""
        from newsidx.query import parse

        parse(query)
        from newsidx.api import SEARCH_SORTS

        return self._grouped(query, filters, limit, offset, sort, SEARCH_SORTS, False,
                             recency_weight, snippets)

    def list_grouped(self, filters: Filters | None = None, *, limit: int | None = 20,
                     offset: int = 0, sort: str = "newest") -> StoryResults:
        """Like :meth:`list`, one row per story (its first record in ``sort`` order)."""
        from newsidx.api import LIST_SORTS

        return self._grouped("", filters, limit, offset, sort, LIST_SORTS, True, None, False)

    def _grouped(self, query: str, filters: Filters | None, limit: int | None, offset: int,
                 sort: str, sorts: tuple[str, ...], listing: bool,
                 recency_weight: float | None, snippets: bool) -> StoryResults:
        from newsidx.api import _check_page as check_page
        from newsidx.grouping import group

        check_page(sort, sorts, 0 if limit is None else limit, offset)
        request = to_request(filters or NO_FILTERS, query, sort=sort, offset=offset,
                             limit=2**62 if limit is None else limit,
                             recency_weight=recency_weight)
        index = self._index(filters or NO_FILTERS)
        return StoryResults((), 0, 0, False, "") if index is None else group(
            index, request, listing=listing, snippets=snippets)

    def story(self, ref: str) -> Story:
        """The story of the record ``ref`` names (an id, unique prefix, URL, or the path
        of an ingested file): its records, first published first. NotFoundError."""
        from newsidx.storylist import story_of

        return story_of(cast("Archive", self), ref)

    def stories(self, query: str = "", filters: Filters | None = None, *, sort: str = "size",
                min_size: int = 1, limit: int | None = 20, offset: int = 0) -> Stories:
        """Stories with a record matching ``query`` and ``filters`` and at least
        ``min_size`` records, biggest (``size``) or latest (``recent``) first; sizes,
        dates and outlets count each story's every record."""
        from newsidx.api import SEARCH_SORTS
        from newsidx.api import _check_page as check_page
        from newsidx.query import parse
        from newsidx.storylist import stories

        parse(query)
        check_page("relevance", SEARCH_SORTS, 0 if limit is None else limit, offset)
        filters = filters or NO_FILTERS
        index = self._index(filters)
        if index is None:
            return Stories((), 0, 0)
        return stories(index, to_request(filters, query), sort=sort,
                       min_size=min_size, limit=limit, offset=offset)


