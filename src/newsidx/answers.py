"""The typed answers of :class:`newsidx.api.Archive` besides records and hits: counts,
providers, timelines, catalogue totals, links and stories (re-exported by
``newsidx.api`` and ``newsidx``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from newsidx.hits import Hit
    from newsidx.model import Article


@dataclass(frozen=True, slots=True)
class Count:
    """How many matching records one key (provider, topic, period) has."""

    key: str
    count: int


@dataclass(frozen=True, slots=True)
class ProviderCount:
    """One provider: its domain key, records, most common display name, first and last
    publication day (``None`` when all its records are undated)."""

    key: str
    count: int
    name: str | None
    first: str | None
    last: str | None


@dataclass(frozen=True, slots=True)
class Timeline:
    """Counts of matching dated records per period, oldest first, quiet periods included;
    ``by`` is the period used (``auto`` resolved to day, week, month or year). A timeline
    of stories counts each story once, in the period of its earliest matching record;
    ``undated`` then holds how many matching stories have no dated record (not charted)."""

    by: str
    buckets: tuple[Count, ...]
    undated: int | None = None

    @property
    def total(self) -> int:
        return sum(b.count for b in self.buckets)


@dataclass(frozen=True, slots=True)
class Stats:
    """Totals of the catalogue, and the sizes on disk of the catalogue and its index."""

    catalogue: str
    records: int
    articles: int
    related: int
    providers: int
    topics: int
    first_date: str | None
    last_date: str | None
    undated: int
    sources: int
    catalogue_bytes: int
    index_bytes: int
    generation: int


@dataclass(frozen=True, slots=True)
class Links:
    """The records linked to one: those it cites, and the articles citing it."""

    related: tuple[Article, ...]
    parents: tuple[Article, ...]


@dataclass(frozen=True, slots=True)
class StoryRow:
    """One row of a grouped search or listing: the best-ranked matching member of a story
    (``hit``), the story's id, how many records the story holds in all (``size``), the
    ids of its members that match (``members``: the shown one first, then in result order)
    and those other members' distinct providers (``providers``, in the same order)."""

    hit: Hit
    story: str
    size: int
    members: tuple[str, ...]
    providers: tuple[str, ...]

    @property
    def folded(self) -> int:
        """The matching members shown in this row rather than as rows of their own."""
        return len(self.members) - 1


@dataclass(frozen=True, slots=True)
class StoryResults:
    """A page of stories: one row per story, best first; ``total`` records matched in all,
    ``folded`` of the page's matching records are shown under their story's row, and
    ``more`` says whether stories past this page match."""

    rows: tuple[StoryRow, ...]
    total: int
    folded: int
    more: bool
    understood: str = ""


@dataclass(frozen=True, slots=True)
class Story:
    """One story: its id and its records, first published first (undated ones last)."""

    id: str
    records: tuple[Article, ...]


@dataclass(frozen=True, slots=True)
class StorySummary:
    """One story in a listing: its id, how many records it holds, its first and last
    publication instants (ISO 8601, UTC; ``None`` when all are undated), its distinct
    outlets (provider keys, most records first) and its headline (the first record's
    title)."""

    id: str
    size: int
    first: str | None
    last: str | None
    providers: tuple[str, ...]
    headline: str


@dataclass(frozen=True, slots=True)
class Stories:
    """A page of stories by size or recency: the ``rows``, how many stories have a
    matching record and the size asked for (``total``), and how many matched but are
    smaller than the size asked for (``smaller``)."""

    rows: tuple[StorySummary, ...]
    total: int
    smaller: int
