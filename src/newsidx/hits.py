"""The result types every reader shares: one :class:`Hit` and one :class:`SearchResults`.

The index builds them, :class:`newsidx.Archive` returns them and :mod:`newsidx.render`
writes them, so a search, a listing and an export are the same values all the way out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from newsidx.model import Article

Segments = tuple[tuple[str, bool], ...]
"""A passage as ``(text, highlighted)`` segments."""

Snippet = str | Segments
"""A passage as the index returns it (segments), or plain text."""

Span = tuple[int, int]
"""``[start, end)`` offsets of a marked word, in characters (Python ``str`` indexes,
i.e. code points, not bytes or UTF-16 units)."""


def segment_spans(snippet: Snippet) -> tuple[Span, ...]:
    """The marked segments' offsets in the snippet's plain text (segments joined)."""
    if isinstance(snippet, str):
        return ()
    spans: list[Span] = []
    cursor = 0
    for text, marked in snippet:
        if marked:
            spans.append((cursor, cursor + len(text)))
        cursor += len(text)
    return tuple(spans)


def split_at(text: str, spans: Iterable[Span]) -> list[tuple[str, bool]]:
    """``text`` cut at sorted, non-overlapping ``spans`` into ``(text, marked)`` segments;
    a span out of order or out of range is ignored, never marking a wrong word."""
    parts: list[tuple[str, bool]] = []
    cursor = 0
    for start, end in spans:
        if start < cursor or end > len(text) or start >= end:
            continue
        if start > cursor:
            parts.append((text[cursor:start], False))
        parts.append((text[start:end], True))
        cursor = end
    if cursor < len(text):
        parts.append((text[cursor:], False))
    return parts


@dataclass(frozen=True, slots=True)
class Hit:
    """One result: the record, its score (``None`` in a listing or an export), a passage
    with the query's words marked, how the score came about (when asked for), and the
    offsets of the whole words of the record's title that the query matched."""

    record: Article
    score: float | None = None
    snippet: Snippet = ()
    explanation: str | None = None
    title_highlights: tuple[Span, ...] = ()

    @property
    def snippet_highlights(self) -> tuple[Span, ...]:
        """Offsets of the marked words in the snippet's text (``render.snippet_text``)."""
        return segment_spans(self.snippet)


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
