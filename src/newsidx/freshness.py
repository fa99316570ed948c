"""One policy for keeping the search index in step with the catalogue.

The catalogue is the truth; the index under ``<catalogue>/index`` is derived from it
and records the catalogue generation it reflects.

- **Writes** (ingest, ``--from-jsonl``) keep it in step commit by commit through
  :func:`index_sync`: an update when the index is one generation behind, else a rebuild.
- **Reads** go through :func:`fresh_index`: a missing or stale index is rebuilt once,
  under the catalogue's writer lock so that it never races an ingest. While another
  process holds the lock, a stale index is read as it is (with a note) and a missing
  one is an error to retry; one this user cannot rebuild (a read-only catalogue) is an
  error saying so.

:class:`newsidx.Archive` is the usual caller; this module is where the rules live.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from newsidx.errors import CatalogueError, LockedError

if TYPE_CHECKING:
    from newsidx.catalogue import Catalogue
    from newsidx.index import SearchIndex
    from newsidx.ingest import IndexSyncer
    from newsidx.progress import OnStep

Notify = Callable[[str], None]
"""Receives one line for a person (``the search index ... rebuilding it``)."""


def index_for(catalogue: Catalogue) -> SearchIndex:
    """The catalogue's search index (not checked for freshness): the one place that
    names its folder."""
    from newsidx.catalogue import INDEX_DIR
    from newsidx.hitrecords import catalogue_source
    from newsidx.index import SearchIndex

    return SearchIndex(catalogue.root / INDEX_DIR, records=catalogue_source(catalogue))


def index_sync(catalogue: Catalogue) -> IndexSyncer:
    """The ``index_sync`` hook a write passes to :func:`newsidx.ingest.ingest`; call its
    ``close()`` when the write ends (``ingest`` does)."""
    from newsidx.ingest import index_sync_for

    return index_sync_for(index_for(catalogue))


def is_current(catalogue: Catalogue, generation: int | None = None) -> bool:
    """Whether the index reflects the committed catalogue (an empty catalogue needs none)."""
    if generation is None:
        generation = catalogue.peek_generation()
    return not generation or index_for(catalogue).generation() == generation


def fresh_index(catalogue: Catalogue, *, generation: int | None = None,
                notify: Notify | None = None) -> SearchIndex:
    """The search index, rebuilt first when it is missing or stale (see the module doc).

    ``generation`` is the catalogue's :meth:`~Catalogue.peek_generation` when the caller
    has just read it, so the manifest is not opened twice. Raises CatalogueError when the
    index is missing and an ingest holds the lock.
    """
    say = notify or (lambda message: None)
    index = index_for(catalogue)
    if generation is None:
        generation = catalogue.peek_generation()
    if not generation or index.generation() == generation:
        return index
    try:
        with catalogue.writer():
            generation = catalogue.generation
            if index.generation() != generation:
                say("the search index is missing or out of date; rebuilding it")
                index.rebuild(catalogue.iter_records(), generation)
    except LockedError:
        if not index.exists():
            raise CatalogueError(f"catalogue {catalogue.root} is being written by an ingest and "
                                 "has no search index yet; retry when it finishes") from None
        say("an ingest is running: results may not include its latest changes")
    except CatalogueError as exc:  # a catalogue this user may only read, read-only media
        raise CatalogueError(f"the search index of {catalogue.root} is missing or out of date "
                             f"and cannot be rebuilt ({exc}); run `newsidx reindex` as a user "
                             "who may write the catalogue") from None
    return index


def rebuild(catalogue: Catalogue, *, wait: bool = False,
            progress: OnStep | None = None) -> int:
    """Rebuild the index (and the bookkeeping's record places) from scratch under the
    writer lock; returns the records indexed. ``progress`` hears "indexing" (records of
    the total), then "writing the index"."""
    from newsidx.progress import counted

    with catalogue.writer(wait=wait) as writer:
        writer.refill_places()  # derived like the index, rebuilt with it
        catalogue.reload()
        records = counted(catalogue.iter_records(), progress, "indexing",
                          total=len(catalogue), then="writing the index")
        index_for(catalogue).rebuild(records, catalogue.generation)
        return len(catalogue)
