"""The result types every reader shares: one :class:`Hit` and one :class:`SearchResults`.

The index builds them, :class:`newsidx.Archive` returns them and :mod:`newsidx.render`
writes them, so a search, a listing and an export are the same values all the way out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterator

    from newsidx.model import Article

Segments = tuple[tuple[str, bool], ...]
"""A passage as ``(text, highlighted)`` segments."""

Snippet = str | Segments
"""A passage as the index returns it (segments), or plain text."""


@dataclass(frozen=True, slots=True)
class Hit:
    """One result: the record, its score (``None`` in a listing or an export), a passage
    with the query's words marked, and how the score came about (when asked for)."""

    record: Article
    score: float | None = None
    snippet: Snippet = ()
    explanation: str | None = None


@dataclass(frozen=True, slots=True)
class SearchResults:
    """A page of hits, how many records matched in all, and the query as understood."""

    hits: tuple[Hit, ...]
    total: int
    understood: str = ""


@dataclass(frozen=True, slots=True)
class ResultStream:
    """Every hit of a search or listing, read one at a time as the caller iterates (once):
    an export of 60,000 hits never holds them all. ``total`` counts every match, however
    many the stream was asked for."""

    hits: Iterator[Hit]
    total: int
    understood: str = ""

    def __iter__(self) -> Iterator[Hit]:
        return self.hits
