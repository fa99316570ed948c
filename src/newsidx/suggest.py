"""Spelling suggestions ranked by similarity, for "did you mean" hints.

A known name that begins with what was typed comes first (``reuters`` → ``reuters.com``),
then the rest by :class:`difflib.SequenceMatcher` ratio, best first.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence


def closest(typed: str, known: Sequence[str], *, n: int = 3, cutoff: float = 0.5) -> list[str]:
    """Up to ``n`` of ``known`` close to ``typed`` (case ignored), most similar first."""
    low = typed.strip().lower()
    scored = []
    for name in known:
        ratio = difflib.SequenceMatcher(None, low, name.lower()).ratio()
        starts = bool(low) and name.lower().startswith(low)
        if starts or ratio >= cutoff:
            scored.append((not starts, -ratio, name))
    return [name for *_, name in sorted(scored)[:n]]
