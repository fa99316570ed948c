"""Which whole words of a text a query's words match, as the index matches them.

Both sides go through the index's stemming analyser, so ``war`` marks "war" and "wars"
but never the "war" inside "warns", and ``investing`` marks "invest"; a CJK word marks
its characters wherever they stand, as the index's bigrams find them. Used by ``show
--query``; it loads tantivy, so only commands that highlight import it.
"""

from __future__ import annotations

from collections.abc import Iterable

from newsidx.analysis import STEMMED, analyze, cjk_runs, match_spans


def word_spans(text: str, terms: Iterable[str]) -> list[tuple[int, int]]:
    """``(start, end)`` character offsets of the words of ``text`` matching ``terms``."""
    words = list(terms)
    stems = {stem for term in words for stem in analyze(term, STEMMED)}
    cjk = {run for term in words for run in cjk_runs(term)}
    if not (stems or cjk) or not text:
        return []
    return list(match_spans(text, stems=stems, cjk=cjk))
