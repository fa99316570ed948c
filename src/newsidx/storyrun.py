"""A run's grouping: the grouper a writer keeps across its commits, the commit hook that
writes stories, and grouping records as they arrive, before their commit.

:func:`group` is the writer's ``stage`` hook: inside the bookkeeping transaction it gives
a commit's records their stories and writes the story state, so the state is committed
after the manifest and never leads the JSON. Matching is the costly part, and a commit
runs while the parse workers wait; so during a first ingest (an empty catalogue)
:func:`pregroup` matches records in chunks as they arrive from the workers, holding
what it decides in memory, and the commit then only writes it. Nothing is written
outside the commit: the tables are read there, never changed.
"""

from __future__ import annotations

import json
import sqlite3
import weakref
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from newsidx.stories import _SCHEMA, Grouper, _create

if TYPE_CHECKING:
    from newsidx.prepared import Prepared
    from newsidx.store.writer import CatalogueWriter

PRE_CHUNK = 2000  # records matched at once as they arrive (each chunk earliest first)

_NULL_TAIL = ',"story":null}\n'  # a line written before null values were left out


def with_story(prepared: Prepared, story: str) -> Prepared:
    """``prepared`` carrying ``story`` in its shard line and its index document."""
    line = prepared.row.line
    tail = f',"story":{json.dumps(story)}}}\n'
    # spelled as record_line spells it, so a stored line compares equal to a re-parse
    if line.endswith("]}\n"):  # a line record_line wrote without a story: "parents" last
        line = line[:-2] + tail
    elif line.endswith(_NULL_TAIL):
        line = line[:-len(_NULL_TAIL)] + tail
    else:
        data = json.loads(line)
        if data.get("story") != story:
            from newsidx.store.layout import record_line

            data["story"] = story
            line = record_line(data)
    return prepared._replace(row=prepared.row._replace(line=line), story_id=story)


def _stored(writer: CatalogueWriter) -> Iterator[tuple[str, dict[str, Any]]]:
    for record in writer.catalogue.iter_records():
        from newsidx.model import to_json

        yield record.id, dict(to_json(record))


# writer -> (the generation its next commit builds on, its grouper, records not matched yet)
_HELD: weakref.WeakKeyDictionary[CatalogueWriter, tuple[int, Grouper, list[Prepared]]] = (
    weakref.WeakKeyDictionary())


def group(db: sqlite3.Connection, writer: CatalogueWriter, upserts: list[Prepared],
          deletes: Sequence[str]) -> list[Prepared]:
    """A commit's records with their stories (see :meth:`Grouper.assign`); ``deletes``
    leave theirs. The writer calls this inside its bookkeeping transaction, before it
    writes the shards; a state that does not reflect the generation being built on is
    rebuilt from the shards first. The grouper is kept for the writer's next commit, and
    used by it only if this one was committed (the generation it expects is the one the
    writer builds on next): a commit rolled back leaves what it held behind."""
    generation = writer.generation
    held = _HELD.pop(writer, None)
    if held is not None and held[0] == generation and held[1].db is db:
        grouper = held[1]
    else:
        _create(db)
        grouper = Grouper(db)
        if grouper.meta("generation") != generation or grouper.meta("schema") != _SCHEMA:
            grouper.rebuild(_stored(writer) if generation else iter(()), generation)
    if deletes:
        grouper.write({p.id for p in upserts})  # what was matched ahead, before forgetting
        grouper.forget(deletes)
    stories = grouper.assign_prepared(upserts)
    grouper.write({p.id for p in upserts})
    grouper.set_meta("generation", generation + 1)
    _HELD[writer] = (generation + 1, grouper, [])
    return [with_story(p, stories[p.id]) for p in upserts]


def pregroup(writer: CatalogueWriter, items: Sequence[Prepared]) -> None:
    """Match ``items`` (records just parsed, not yet committed) now, a chunk at a time,
    when the writer's catalogue was empty at the start of its run: :func:`group` then
    finds them matched. Reads the story tables at most; writes nothing."""
    if not items:
        return
    generation = writer.generation
    held = _HELD.get(writer)
    if held is None:
        if generation:  # only a first ingest is grouped ahead (the state is all held)
            return
        db = writer.book.db
        _create(db)  # empty tables, made ahead of the first commit: nothing leads
        grouper = Grouper(db)
        grouper.fresh()
        held = _HELD[writer] = (generation, grouper, [])
    elif held[0] != generation or not held[1].ahead:
        return
    pending = held[2]
    pending.extend(p for p in items if p.story is not None)
    if len(pending) >= PRE_CHUNK:
        held[1].preassign(pending)
        pending.clear()


def start_afresh(db: sqlite3.Connection, writer: CatalogueWriter) -> None:
    """Empty the story state as of the writer's generation (inside its bookkeeping
    transaction), so that the records grouped next are grouped as new
    (:mod:`newsidx.storyregroup`)."""
    _HELD.pop(writer, None)
    _create(db)
    grouper = Grouper(db)
    grouper.clear()
    grouper.set_meta("schema", _SCHEMA)
    grouper.set_meta("generation", writer.generation)
