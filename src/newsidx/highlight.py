"""Which whole words of a text a query's words match, as the index matches them.

Both sides go through the index's stemming analyser, so ``war`` marks "war" and "wars"
but never the "war" inside "warns", and ``investing`` marks "invest". Used by ``show
--query``; it loads tantivy, so only commands that highlight import it.
"""

from __future__ import annotations

from collections.abc import Iterable

from newsidx.analysis import STEMMED, analyze, tokens_with_offsets


def word_spans(text: str, terms: Iterable[str]) -> list[tuple[int, int]]:
    """``(start, end)`` character offsets of the words of ``text`` matching ``terms``."""
    stems = {stem for term in terms for stem in analyze(term, STEMMED)}
    if not stems or not text:
        return []
    return [(a, b) for token, a, b in tokens_with_offsets(text, STEMMED) if token in stems]
