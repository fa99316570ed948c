"""One row per story: a page of ranked (or listed) hits folded by their ``story``.

Grouping is a view at query time, never a merge: the index ranks records as it always
does, and this module walks the ranked hits, keeping the first (best) hit of each story
until the page's stories are found plus one (to know whether more follow). Only as many
hits are read as that takes: a first window of ``2 x (offset + limit) + 10`` ranked hits
(at least 40), widened eightfold while it ends before the page is full. Each hit read
costs a catalogue record (~0.2 ms), so the window is kept close to the page, and only
the rows shown get snippets (:meth:`SearchIndex.marked`). The page's stories
are then asked for once more, ``their records AND the query``, to list every matching
member (not just those inside the window), and each story's size is counted in the index.
Nothing scans the archive: the cost follows the page, not the number of records.

A record without a story (a catalogue written before stories) is its own story.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from newsidx.answers import StoryResults, StoryRow

if TYPE_CHECKING:
    from newsidx.hits import Hit, ResultStream
    from newsidx.index import SearchIndex
    from newsidx.indexrequest import SearchRequest

FIRST_WINDOW = 40
"""Ranked hits read first, at least (``2 x (offset + limit) + 10`` for a bigger page)."""
MEMBER_CAP = 5000
"""Matching members read for a page's stories at most (a story's ``members`` then stop)."""

Streamer = Callable[["SearchRequest", bool], "ResultStream"]
"""Runs a request as the ungrouped reader would (search or listing), with snippets or not."""
Members = dict[str, list[tuple[str, str]]]
"""story -> its matching members' ``(id, provider)``, in result order."""


def story_of(hit: Hit) -> str:
    """The story a hit's record belongs to; a record without one is its own."""
    return hit.record.story or hit.record.id


def group(index: SearchIndex, request: SearchRequest, *, listing: bool = False,
          snippets: bool = True) -> StoryResults:
    """The stories of ``request``'s page (its ``limit`` and ``offset`` count stories,
    ``limit >= 2**62`` meaning all), each with its best hit as the index ranks them (or
    orders them, ``listing``)."""

    def stream(part: SearchRequest, marks: bool) -> ResultStream:
        return index.stream(part, listing=listing, snippets=marks)

    want = None if request.limit >= 2**62 else request.offset + request.limit
    window = FIRST_WINDOW if want is None else max(FIRST_WINDOW, 2 * want + 10)
    while True:
        depth = 2**62 if want is None else window
        found = stream(request._replace(offset=0, limit=depth), False)
        firsts, complete = _firsts(found, None if want is None else want + 1)
        if want is None or len(firsts) > want or depth >= found.total:
            break
        window *= 8
    more = want is not None and len(firsts) > want
    page = list(firsts.values())[request.offset:want]
    if snippets and not listing and page:  # passages for the rows shown, not the window
        page = index.marked(request, page)
    members = (complete if complete is not None
               else _members(request, stream, [story_of(h) for h in page]))
    rows = []
    for head in page:
        story = story_of(head)
        rest = [(i, p) for i, p in members.get(story, ()) if i != head.record.id]
        size = index.count(_whole(story)) if head.record.story else 1
        rows.append(StoryRow(head, story, max(size, len(rest) + 1),
                             (head.record.id, *(i for i, _ in rest)),
                             tuple(dict.fromkeys(p for _, p in rest))))
    folded = sum(r.folded for r in rows)
    return StoryResults(tuple(rows), found.total, folded, more, found.understood)


def _firsts(hits: ResultStream, stop: int | None) -> tuple[dict[str, Hit], Members | None]:
    """The first hit of each story in order, stopping once ``stop`` stories are found,
    and, when every hit was read, each story's members."""
    firsts: dict[str, Hit] = {}
    members: Members = {}
    for hit in hits:
        story = story_of(hit)
        if story not in firsts:
            if stop is not None and len(firsts) == stop:
                return firsts, None
            firsts[story] = hit
        members.setdefault(story, []).append((hit.record.id, _provider(hit)))
    return firsts, members


def _provider(hit: Hit) -> str:
    r = hit.record
    return r.provider_key or (r.provider.name if r.provider and r.provider.name else "") or "-"


def _members(request: SearchRequest, stream: Streamer, stories: Iterable[str]) -> Members:
    """Every matching member of ``stories`` (up to :data:`MEMBER_CAP`), in result order."""
    wanted = tuple(dict.fromkeys(stories))
    members: Members = {}
    if not wanted:
        return members
    # a --story filter already names every story the page can hold
    found = stream(request._replace(stories=request.stories or wanted, offset=0,
                                    limit=MEMBER_CAP), False)
    keep = set(wanted)
    for hit in found:
        story = story_of(hit)
        if story in keep:
            members.setdefault(story, []).append((hit.record.id, _provider(hit)))
    return members


def _whole(story: str) -> SearchRequest:
    """A request for every record of ``story``, no text or other filter."""
    from newsidx.indexrequest import SearchRequest

    return SearchRequest(stories=(story,), limit=0)
