"""What a record that several files share by URL keeps of each copy.

The winning copy (a full article before a related entry, then the file whose path sorts
first; see :mod:`newsidx.ingest`) gives the record its fields; every other article copy
adds its headline to ``alt_titles`` (searched like the title, printed by ``show``) and its
topics to ``topics``, so no source's headline or topics are merged away.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any

from newsidx.model import Article


def combine(winner: Mapping[str, Any], others: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """``winner``'s JSON object with the headlines and topics of the article copies among
    ``others`` (JSON objects of the same id, in their paths' order) added."""
    from newsidx.topics import union

    data = dict(winner)
    copies = [o for o in others if o.get("kind") == "article"]
    candidates = [*(winner.get("alt_titles") or ()), *(str(o.get("title", "")) for o in copies)]
    titles = [t for t in dict.fromkeys(candidates) if t and t != data.get("title")]
    if copies:
        topics = list(union([data.get("topics") or (), *(o.get("topics") or () for o in copies)]))
        if topics != list(data.get("topics") or ()):
            data["topics"] = topics
    if titles:
        data["alt_titles"] = titles
    else:
        data.pop("alt_titles", None)
    return data


def absorb(first: Article, other: Article) -> Article:
    """``first`` (an earlier item of the same dataset or feed with ``other``'s URL) with
    ``other``'s headline in ``alt_titles`` and its topics added."""
    from newsidx.topics import union

    titles = tuple(t for t in dict.fromkeys((*first.alt_titles, other.title))
                   if t and t != first.title)
    return replace(first, alt_titles=titles, topics=union([first.topics, other.topics]))
