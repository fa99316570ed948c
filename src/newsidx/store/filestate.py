"""A source file's state as ingest records it, and how ``state.db``'s ``files`` columns hold it."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class FileState:
    """What ingest remembers of one source file to skip it when it has not changed;
    ``ids`` are the records it produced, its article first, then the related records
    that article cites. ``many`` marks a file of many articles (a dataset, a feed):
    every id is then an article of its own and none is cited by another.

    ``partial`` marks a change, not a state: a streamed dataset's mid-file commit, whose
    ``ids`` (that batch's items) are *added* to the file's recorded ids and whose state
    becomes a placeholder (see :meth:`newsidx.store.bookkeeping.Bookkeeping.apply`)."""

    size: int
    mtime_ns: int
    sha256: str
    ids: tuple[str, ...]
    many: bool = False
    partial: bool = False

    @staticmethod
    def part(ids: Iterable[str]) -> FileState:
        """The change of a streamed dataset's mid-file commit that gives ``ids``."""
        return FileState(-1, -1, "", tuple(ids), many=True, partial=True)

    def to_json(self, path: str) -> dict[str, Any]:
        out = {"path": path, "size": self.size, "mtime_ns": self.mtime_ns,
               "sha256": self.sha256, "ids": list(self.ids)}
        if self.many:
            out["many"] = True
        if self.partial:
            out["partial"] = True
        return out

    @staticmethod
    def from_json(data: Mapping[str, Any]) -> tuple[str, FileState]:
        ids = data["ids"]
        if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
            raise TypeError("ids is not a list of strings")
        return str(data["path"]), FileState(
            int(data["size"]), int(data["mtime_ns"]), str(data["sha256"]), tuple(ids),
            bool(data.get("many", False)), bool(data.get("partial", False)))


def sha_column(sha: str) -> str | bytes:
    """A file's sha256 as stored: its 32 bytes, not 64 hex digits (any other text, such
    as a placeholder's ``""``, as it is)."""
    try:
        packed = bytes.fromhex(sha)
    except ValueError:
        return sha
    return packed if packed and packed.hex() == sha else sha


def sha_of(column: str | bytes) -> str:
    """The hex digest of a stored sha256 (text from a schema 2 database stays text)."""
    return column.hex() if isinstance(column, bytes) else column


def row_state(size: int, mtime_ns: int, stored: str | bytes, ids: str) -> FileState:
    sha = sha_of(stored)
    found = json.loads(ids)
    if isinstance(found, dict):  # {"articles": [...]}: a file of many articles
        return FileState(size, mtime_ns, sha, tuple(found["articles"]), many=True)
    return FileState(size, mtime_ns, sha, tuple(found))


def ids_json(state: FileState) -> str:
    """The ``files.ids`` column: a list, article first; ``{"articles": [...]}`` for a
    file of many articles (the one bit that says none of its ids cites another)."""
    return json.dumps({"articles": list(state.ids)} if state.many else list(state.ids))


def ids_of(column: str) -> tuple[list[str], bool]:
    found = json.loads(column)
    if isinstance(found, dict):
        return list(found.get("articles", [])), True
    return list(found), False
