"""Grouping every stored record afresh, when stories are turned on for a catalogue that
already holds records (``newsidx ingest --stories``, docs/stories.md).

Grouping is decided once per record, when it enters the catalogue; records stored while
grouping was off have none. Turning it on therefore groups them first, a chunk at a time
in storage order (months, so roughly first published first), as one commit a chunk: the
story state is emptied in the first commit's bookkeeping transaction, each chunk's
records are grouped as if new (:func:`newsidx.storyrun.group`) and written back with
their ``story``, and the index follows each commit. It costs about what ingesting the
records did, and is said so on stderr by the CLI.
"""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING

from newsidx.prepared import Prepared

if TYPE_CHECKING:
    from newsidx.ingest import IndexSync
    from newsidx.store.writer import CatalogueWriter

CHUNK = 2000


def regroup_stored(writer: CatalogueWriter, index_sync: IndexSync | None) -> int:
    """Group every record in ``writer``'s catalogue afresh; returns how many were read.
    ``index_sync`` is ingest's (catalogue, upserts, deletes, generation) callback."""
    from newsidx import storyrun

    catalogue = writer.catalogue
    ids = [record.id for record in catalogue.iter_records()]  # storage (month) order
    done = 0
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start:start + CHUNK]
        found = catalogue.get_many(chunk)
        upserts = [Prepared.of(found[rid]) for rid in chunk if rid in found]
        first = start == 0

        def stage(db: sqlite3.Connection, upserts: list[Prepared] = upserts,
                  first: bool = first) -> None:
            if first:
                storyrun.start_afresh(db, writer)
            upserts[:] = storyrun.group(db, writer, upserts, ())

        generation = writer.commit(upserts=(p.row for p in upserts), deletes=(), files={},
                                   stage=stage)
        if index_sync is not None:
            index_sync(catalogue, list(upserts), (), generation)
        done += len(upserts)
    return done
