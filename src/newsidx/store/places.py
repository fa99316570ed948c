"""Where each record's line is: ``(segment file, byte offset, length)``, so a search page
reads its twenty records from the catalogue without a second copy of them in the index.

The writer records the place of every live line of each segment it writes (a new
segment, a merged one, a folded shard) in ``state.db`` (its ``records`` rows), in the
transaction of the commit, as it writes the line (:func:`placed_lines`: it knows each
line's offset and length then, so no segment is read again); a deleted record's place
goes. Like the rest of the bookkeeping places are derived: :func:`fill` records them
again from the shards (:func:`scan`). A reader trusts a place only after checking it:
the file must be one the manifest names for the record's shard, and the bytes there must
be one whole line of that id. A place that fails the check (a crash left it stale, a
line was damaged) costs a scan of the shard, never a wrong or a missing record.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from newsidx.store.layout import SEGMENT_NAME
from newsidx.store.segments import committed, is_tombstone

if TYPE_CHECKING:
    from newsidx.store.bookkeeping import Bookkeeping
    from newsidx.store.catalogue import Catalogue

Place = tuple[str, int, int]
"""``(segment file relative to the catalogue root, offset, length)`` of one line."""


Sink = Callable[[list[tuple[str, Place]]], None]
_BATCH = 10_000


def placed_lines(name: str, lines: Iterable[tuple[str | None, str]], sink: Sink,
                 start: int = 0) -> Iterator[bytes]:
    """The bytes of segment ``name``'s ``(id, line)`` pairs, in order, written from byte
    ``start``; the id is None for a line that has no place (a tombstone). The place of
    each other line is handed to ``sink`` as it is encoded, in batches, so a fold of a
    million records never holds a million places."""
    batch: list[tuple[str, Place]] = []
    offset = start
    for rid, line in lines:
        raw = line.encode("utf-8")
        if rid is not None:
            batch.append((rid, (name, offset, len(raw))))
            if len(batch) >= _BATCH:
                sink(batch)
                batch = []
        offset += len(raw)
        yield raw
    if batch:
        sink(batch)


def scan(root: Path, name: str, size: int | None = None) -> Iterator[tuple[str, Place | None]]:
    """``(id, place)`` of each line of segment ``name`` (of its first ``size`` bytes, the
    committed ones), in order; ``None`` for a tombstone (the record left the shard).
    Lines whose id cannot be read cheaply are left out: their records are found by a
    scan."""
    with open(root / name, "rb") as handle:
        offset = 0
        for raw in handle:
            at, length = offset, len(raw)
            offset += length
            if size is not None and offset > size:
                return
            rid = _raw_id(raw)
            if rid is None:
                continue
            if raw.endswith(b',"deleted":true}\n') and is_tombstone(raw.decode("ascii", "replace")):
                yield rid, None
            else:
                yield rid, (name, at, length)


def _raw_id(raw: bytes) -> str | None:
    """The id of a line newsidx wrote (``{"id":"...",``), without parsing the line."""
    if not raw.startswith(b'{"id":"'):
        return None
    end = raw.find(b'"', 7)
    if end < 8 or b"\\" in raw[7:end]:
        return None
    try:
        return raw[7:end].decode("ascii")
    except UnicodeDecodeError:
        return None


def read(root: Path, places: Mapping[str, Place], named: Mapping[str, int | None]
         ) -> dict[str, tuple[str, str]]:
    """``(shard, line)`` at each id's place that passes the checks (see the module doc):
    ``named`` maps the segments the manifest names to their committed lengths. Ids whose
    place fails them are left out, for the caller to find by a scan."""
    by_file: dict[str, list[tuple[int, int, str]]] = {}
    for rid, (name, offset, length) in places.items():
        if name in named and length > 0:
            size = named[name]
            if size is None or offset + length <= size:
                by_file.setdefault(name, []).append((offset, length, rid))
    out: dict[str, tuple[str, str]] = {}
    for name, wanted in by_file.items():
        found = SEGMENT_NAME.match(name.rpartition("/")[2])
        shard = found["shard"] if found else name
        try:
            handle = open(root / name, "rb")  # noqa: SIM115
        except OSError:
            continue
        with handle:
            for offset, length, rid in sorted(wanted):
                handle.seek(offset)
                raw = handle.read(length)
                if len(raw) == length and raw.endswith(b"\n") and _raw_id(raw) == rid \
                        and raw.count(b"\n") == 1:
                    out[rid] = (shard, raw.decode("utf-8", "surrogateescape"))
    return out


def segment_files(shards: Mapping[str, Mapping[str, Any]]) -> dict[str, int | None]:
    """Every segment file the manifest's ``shards`` name, with its committed length."""
    files: dict[str, int | None] = {}
    for entry in shards.values():
        files.update(committed(entry))
    return files


def stale_count(catalogue: Catalogue) -> int:
    """How many live records' recorded places differ from where their lines are (0 when
    the bookkeeping is not in step or keeps no places: readers then scan anyway)."""
    book = catalogue.bookkeeping()
    if book is None or not book.has_places:
        return 0
    count = 0
    for entry in catalogue.head()["shards"].values():
        latest: dict[str, Place | None] = {}
        for name, size in committed(entry).items():
            latest.update(scan(catalogue.root, name, size))
        live = {rid: place for rid, place in latest.items() if place is not None}
        recorded = book.places_of(live)
        count += sum(1 for rid, place in live.items() if recorded.get(rid) != place)
    return count


def fill(book: Bookkeeping, root: Path, shards: Mapping[str, Any]) -> None:
    """Record the place of every stored record's current line in ``shards`` (the
    manifest's), in one transaction: a database from before places, or one rebuilt."""
    book.begin()
    try:
        book.reset_places()
        for shard in sorted(shards):
            latest: dict[str, Place | None] = {}
            for name, size in committed(shards[shard]).items():
                latest.update(scan(root, name, size))
            here = book.shards_of(latest).get(shard, set())
            book.set_places((rid, p) for rid, p in latest.items()
                            if p is not None and rid in here)
        book.commit()
    except BaseException:
        book.rollback()
        raise
