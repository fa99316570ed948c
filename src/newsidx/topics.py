"""A post's topics as its site meant them: the union of every key sites use for them.

Jekyll sites give ``categories`` and ``tags`` together, a single-string ``category`` names
a kind of post (release, vulnerability), Hugo and Zola add ``keywords``, ``section`` and
TOML ``[taxonomies]``. Keeping only the first key found lost most of a site's categories
(issue 16), so every key counts: lists item by item, a string split at commas, the union
de-duplicated case-insensitively with the first spelling kept.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

TOPIC_KEYS = ("topics", "categories", "category", "tags", "keywords", "section")
"""In the order their values are listed; then every list of ``taxonomies``."""
TAXONOMIES = "taxonomies"


def values(value: Any, as_text: Callable[[Any], str | None]) -> tuple[list[str], list[Any]]:
    """The topics in one key's value, and the items that are not text. A string is split at
    commas; ``as_text`` turns a scalar into text (None: not a scalar)."""
    items = value if isinstance(value, (list, tuple)) else [value]
    found: list[str] = []
    dropped: list[Any] = []
    for item in items:
        text = as_text(item) if item is not None else None
        if text is None:
            if item is not None:
                dropped.append(item)
            continue
        parts = text.split(",") if isinstance(item, str) and not isinstance(value, list) else [text]
        found.extend(p.strip() for p in parts if p.strip())
    return found, dropped


def union(groups: Iterable[Iterable[str]]) -> tuple[str, ...]:
    """Every topic once, compared case-insensitively and by its spaces; the first spelling."""
    seen: dict[str, str] = {}
    for group in groups:
        for topic in group:
            seen.setdefault(" ".join(topic.split()).casefold(), topic)
    return tuple(seen.values())


def taxonomy_keys(value: Any) -> list[str]:
    """The keys of a ``[taxonomies]`` table that hold topics (lists or strings)."""
    if not isinstance(value, Mapping):
        return []
    return [k for k, v in value.items() if isinstance(k, str) and isinstance(v, (list, str))]
