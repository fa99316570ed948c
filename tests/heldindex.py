"""A search index for tests of the index alone, without a catalogue beside it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from newsidx.index import SearchIndex
from newsidx.model import Article


class HeldIndex(SearchIndex):
    """A real :class:`SearchIndex` whose hits' records come from the records it was last
    given (as the catalogue would give them), since no catalogue holds them."""

    def __init__(self, path: Path) -> None:
        self.held: dict[str, Article] = {}
        super().__init__(path, records=self._fetch)

    def _fetch(self, ids: Sequence[str]) -> Mapping[str, Article]:
        return {rid: self.held[rid] for rid in ids if rid in self.held}

    def rebuild(self, records: Iterable[Any], generation: int) -> None:
        records = list(records)
        self.held = {r.id: r for r in records if isinstance(r, Article)}
        super().rebuild(records, generation)

    def update(self, *, upserts: Iterable[Any], deletes: Iterable[str],
               generation: int) -> None:
        upserts, deletes = list(upserts), list(deletes)
        super().update(upserts=upserts, deletes=deletes, generation=generation)
        for rid in deletes:
            self.held.pop(rid, None)
        self.held.update((r.id, r) for r in upserts if isinstance(r, Article))
