"""Notes that keep an answer from being silent: what a date filter or a timeline left out.

Each costs two index counts, and only when there is something to say it about.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from newsidx.cli.output import note

if TYPE_CHECKING:
    from newsidx.api import Archive
    from newsidx.filters import Filters

EARLIEST = datetime(1, 1, 2, tzinfo=timezone.utc)


def undated_matches(archive: Archive, query: str, filters: Filters) -> int:
    """How many records match ``query`` and ``filters``' other filters but have no date."""
    base = replace(filters, since=None, until=None)
    everything = archive.count(query, base)
    if not everything:
        return 0
    dated = archive.count(query, replace(base, since=EARLIEST))
    return max(0, everything - dated)


def note_undated(archive: Archive, query: str, filters: Filters, *, quiet: bool = False) -> int:
    """Say how many undated matches a ``--since``/``--until`` filter left out."""
    if quiet or (filters.since is None and filters.until is None):
        return 0
    undated = undated_matches(archive, query, filters)
    if undated:
        note(f"{undated} undated {_matches(undated)} not shown (no date to compare with "
             "--since/--until)")
    return undated


def note_query(archive: Archive, query: str) -> None:
    """Say which words the query takes differently than written, and check its
    ``provider:`` values as ``--provider`` is checked (UnknownProvider: exit 1, a hint)."""
    if not query.strip():
        return
    from newsidx.filters import Filters
    from newsidx.queryhints import notes, provider_values

    for line in notes(query):
        note(line)
    providers = provider_values(query)
    if providers and archive.generation:
        archive.count("", Filters(providers=providers))


def note_stories_off(archive: Archive) -> None:
    """Say so when the archive does not group stories: then every record is its own
    story, unless it was grouped while grouping was on."""
    if archive.generation and not archive.stories_on:
        note("this catalogue does not group records into stories, so each record is its "
             "own story (turn grouping on: newsidx ingest --stories)")


def _matches(count: int) -> str:
    return "match" if count == 1 else "matches"
