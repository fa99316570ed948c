"""What a record that several files share by URL keeps of each copy.

The winning copy (a full article before a related entry, then the file whose path sorts
first; see :mod:`newsidx.ingest`) gives the record its fields; every other article copy
adds its headline to ``alt_titles`` (searched like the title, printed by ``show``) and its
topics to ``topics``, so no source's headline or topics are merged away.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any


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
