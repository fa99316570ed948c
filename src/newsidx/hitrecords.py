"""The records of search hits, read from the catalogue by id: the index keeps no copy.

The index stores only each document's id and a digest of its catalogue line; a page of
hits is turned into records with one :meth:`Catalogue.get_many` per page (a seek and a
read per record, through the places the bookkeeping keeps). A hit whose record cannot
be read (a damaged line, or a stale index read while an ingest runs) is left out and
said once, never a failed search.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from newsidx.model import Article
    from newsidx.store.catalogue import Catalogue

RecordSource = Callable[[Sequence[str]], Mapping[str, "Article"]]
"""Ids -> the records among them that can be read (absent ones left out)."""


def catalogue_source(catalogue: Catalogue) -> RecordSource:
    """The records of ``catalogue`` by id; ids it cannot give are noted once through its
    ``notify``."""
    noted = [False]

    def fetch(ids: Sequence[str]) -> Mapping[str, Article]:
        found = catalogue.get_many(ids)
        missing = len(set(ids) - found.keys())
        if missing and not noted[0]:
            noted[0] = True
            if catalogue.notify is not None:
                catalogue.notify(f"{missing} matching record(s) could not be read from the "
                                 f"catalogue {catalogue.root} and are left out; "
                                 "'newsidx check' says why")
        return found

    return fetch


def default_source(index_path: object) -> RecordSource:
    """The catalogue an index folder belongs to (``<catalogue>/index``), read lazily."""
    from pathlib import Path

    from newsidx.store.catalogue import Catalogue

    holder: list[RecordSource] = []

    def fetch(ids: Sequence[str]) -> Mapping[str, Article]:
        if not holder:
            holder.append(catalogue_source(Catalogue(Path(str(index_path)).parent)))
        return holder[0](ids)

    return fetch
