"""Read access to a catalogue folder: the manifest, the records of its shards, lookups.

A reader never takes the lock and never sees half a write: it reads the segments the
manifest it read names, and retries from a newer manifest when a write removed them.
Record ids are found through the bookkeeping database when it is in step with the
manifest, else by reading the shards.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from newsidx.errors import CatalogueError, NotFoundError
from newsidx.model import Article, SkippedLines, canonical_url, make_id
from newsidx.store import manifest as mf
from newsidx.store import places
from newsidx.store.bookkeeping import Bookkeeping, BookkeepingError
from newsidx.store.filestate import FileState
from newsidx.store.layout import HEX, MANIFEST, MIN_PREFIX, default_root
from newsidx.store.segments import fold, is_clean, line_id, open_all, segments_of

if TYPE_CHECKING:
    from contextlib import AbstractContextManager

    from newsidx.store.writer import CatalogueWriter

_READ_RETRIES = 5
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")  # bytes that were not UTF-8, as read


class Catalogue:
    """Read access to a catalogue directory; :meth:`writer` gives write access.

    Reading a missing or empty directory gives an empty catalogue and creates nothing.
    Lines that cannot be read as records are skipped and counted in :attr:`skipped`;
    :meth:`damage` says in one line what a full read found missing.
    """

    def __init__(self, root: Path | str | None = None) -> None:
        self.root = Path(root) if root is not None else default_root()
        self._manifest: dict[str, Any] | None = None
        self._head: dict[str, Any] | None = None
        self._book: Bookkeeping | bool | None = None  # False: none in step
        self.skipped = SkippedLines()
        self.notify: Callable[[str], None] | None = None  # a line for a person, if wanted
        self._misplaced_noted = False

    # -- manifest -----------------------------------------------------------------------

    @property
    def manifest_path(self) -> Path:
        return self.root / MANIFEST

    def reload(self) -> None:
        """Forget what was read so the next access reads the latest commit."""
        self._manifest = None
        self._head = None
        if isinstance(self._book, Bookkeeping):
            self._book.close()
        self._book = None

    def head(self) -> Mapping[str, Any]:
        """The manifest's head (``generation``, ``totals``, ``shards``), without the facets."""
        if self._manifest is not None:
            return self._manifest
        if self._head is None:
            self._head = mf.read_head(self.root, self.manifest_path)
        return self._head

    def manifest(self) -> Mapping[str, Any]:
        """The manifest as committed: providers, topics, dates, totals, shards."""
        if self._manifest is None:
            self._manifest = mf.read_manifest(self.root, self.manifest_path)
        return self._manifest

    @property
    def generation(self) -> int:
        return int(self.head()["generation"])

    def peek_generation(self) -> int:
        """The committed generation, from the manifest's first bytes when they allow."""
        if self._manifest is not None or self._head is not None:
            return self.generation
        if not self.manifest_path.exists() and (not self.root.exists() or self.root.is_dir()):
            return 0
        found = mf.peek_generation(self.manifest_path)
        return self.generation if found is None else found

    def __len__(self) -> int:
        return int(self.head()["totals"]["records"])

    # -- bookkeeping --------------------------------------------------------------------

    def bookkeeping(self) -> Bookkeeping | None:
        """The bookkeeping database when it reflects this manifest's generation."""
        if self._book is None:
            self._book = False
            with contextlib.suppress(BookkeepingError, OSError):
                book = Bookkeeping(self.root)
                try:
                    in_step = book.generation == self.generation
                except Exception:
                    in_step = False
                if in_step:
                    self._book = book
                else:
                    book.close()
        return self._book if isinstance(self._book, Bookkeeping) else None

    def ids(self) -> Iterator[str]:
        """Every record id, sorted."""
        book = self.bookkeeping()
        if book is not None:
            yield from book.ids()
            return
        yield from sorted(self._scan_ids())

    def _scan_ids(self) -> dict[str, str]:
        """Record id -> shard, by reading every shard."""
        found: dict[str, str] = {}
        for shard in sorted(self.head()["shards"]):
            for line in self._shard_lines(shard):
                rid = line_id(line)
                if rid is not None:
                    found[rid] = shard
        return found

    def _shards_for(self, ids: Iterable[str]) -> dict[str, set[str]]:
        book = self.bookkeeping()
        if book is not None:
            return book.shards_of(ids)
        wanted = set(ids)
        out: dict[str, set[str]] = {}
        for rid, shard in self._scan_ids().items():
            if rid in wanted:
                out.setdefault(shard, set()).add(rid)
        return out

    def files(self) -> dict[str, FileState]:
        """Source path -> the state ingest recorded for it (every one, in memory: for
        tests and repair; ingest compares states in SQL)."""
        with contextlib.suppress(BookkeepingError, OSError):
            book = Bookkeeping(self.root)
            try:
                return dict(book.all_files())
            finally:
                book.close()
        if self.head().get("files"):  # schema 3, not yet upgraded
            from newsidx.store.legacy import legacy_states

            return legacy_states(self.root, self.manifest()["files"])
        return {}

    # -- records ------------------------------------------------------------------------

    def _shard_lines(self, shard: str) -> Iterator[str]:
        """Live lines of one shard of the cached manifest; retries once the manifest
        moves on under it."""
        for _ in range(_READ_RETRIES):
            entry = self.head()["shards"].get(shard)
            if entry is None:
                return
            handles = open_all(segments_of(self.root, entry))
            if handles is None:
                self.reload()
                continue
            try:
                yield from fold(handles, clean=is_clean(entry))
            finally:
                for handle in handles:
                    handle.close()
            return
        raise CatalogueError(f"catalogue {self.root} kept changing while being read; retry")

    def parse_line(self, shard: str, line: str, number: int = 0) -> Article | None:
        """The record of a shard line, or None (counted in :attr:`skipped`) when it is not
        one. Shards are read with ``surrogateescape``: a line holding bytes that are not
        UTF-8 goes back to bytes, so it is refused rather than read with surrogates."""
        where = f"{self.root} shard {shard}" + (f" line {number}" if number else "")
        data: str | bytes = line
        if _LONE_SURROGATE.search(line):
            data = line.encode("utf-8", "surrogateescape")
        return self.skipped.read(data, where)

    def damage(self, read: int) -> str | None:
        """After a full read of ``read`` records: one line naming what could not be read
        (bad lines, or fewer records than the manifest lists), or None."""
        if self.skipped.message:
            return self.skipped.message
        listed = len(self)
        if read != listed:
            return (f"catalogue {self.root}: {read} records read where the manifest lists "
                    f"{listed}; 'newsidx check --repair' repairs the catalogue")
        return None

    def iter_records(self) -> Iterator[Article]:
        """Stream every record, one shard at a time; bad lines are skipped and noted."""
        for shard in sorted(self.head()["shards"]):
            for number, line in enumerate(self._shard_lines(shard), 1):
                record = self.parse_line(shard, line, number)
                if record is not None:
                    yield record

    def get_many(self, ids: Iterable[str]) -> dict[str, Article]:
        """The records with these ids; ids that are absent are left out. Each line is read
        at its recorded place (:mod:`newsidx.store.places`) when that checks out; the
        others come from a scan of their shards, noted once."""
        out: dict[str, Article] = {}
        wanted_ids = set(ids)
        book = self.bookkeeping()
        if book is not None and book.has_places and wanted_ids:
            found = places.read(self.root, book.places_of(wanted_ids),
                                places.segment_files(self.head()["shards"]))
            for rid, (shard, line) in found.items():
                record = self.parse_line(shard, line)
                if record is not None and record.id == rid:
                    out[rid] = record
            wanted_ids -= found.keys()  # a damaged line is skipped (and counted) once
            if not wanted_ids:
                return out
        located = self._shards_for(wanted_ids)
        if located and book is not None and book.has_places:
            self._note_misplaced(sum(map(len, located.values())))
        for shard, wanted in located.items():
            for line in self._shard_lines(shard):
                if line_id(line) in wanted:
                    record = self.parse_line(shard, line)
                    if record is not None:
                        out[record.id] = record
        return out

    def _note_misplaced(self, count: int) -> None:
        """Say once that records were found by a scan where their places did not check out."""
        if self.notify is not None and not self._misplaced_noted:
            self._misplaced_noted = True
            self.notify(f"catalogue {self.root}: {count} record(s) not where the bookkeeping "
                        "places them; read from their shards instead ('newsidx check "
                        "--repair' records them again)")

    def get(self, ref: str) -> Article:
        """A record by full id, unique id prefix (at least 4 characters) or URL."""
        ref = ref.strip()
        if "://" in ref:
            return self._get_url(ref)
        lowered = ref.lower()
        if not HEX.fullmatch(lowered):
            raise NotFoundError(f"{ref!r} is neither a record id, an id prefix nor a URL")
        if len(lowered) < MIN_PREFIX:
            raise NotFoundError(f"id prefix {ref!r} is too short: give at least {MIN_PREFIX}")
        book = self.bookkeeping()
        if book is not None:
            matches = book.with_prefix(lowered)
        else:
            matches = sorted(i for i in self._scan_ids() if i.startswith(lowered))
        if lowered in matches:
            matches = [lowered]
        if not matches:
            raise NotFoundError(f"no record with id or id prefix {ref!r}")
        if len(matches) > 1:
            shown = ", ".join(matches[:10]) + (" ..." if len(matches) > 10 else "")
            count = f"{len(matches)}" if len(matches) <= 10 else "more than 10"
            raise NotFoundError(
                f"id prefix {ref!r} is ambiguous: {count} records match ({shown})"
            )
        found = self.get_many(matches)
        if matches[0] not in found:
            raise CatalogueError(
                f"record {matches[0]} is listed in {self.root} but cannot be read; "
                "run newsidx check --repair"
            )
        return found[matches[0]]

    def _get_url(self, url: str) -> Article:
        key = make_id(url=url)
        found = self.get_many([key])
        if key in found:
            return found[key]
        target = canonical_url(url)
        matches: list[Article] = []
        for record in self.iter_records():  # a URL that is no id (a bare home page, say)
            if any(c and canonical_url(c) == target
                   for c in (record.url, record.web_url, record.original_url, record.amp_url)):
                matches.append(record)
                if len(matches) > 10:
                    break
        if len(matches) == 1:
            return matches[0]
        if matches:
            shown = ", ".join(r.id for r in matches[:10]) + (" ..." if len(matches) > 10 else "")
            count = f"{len(matches)}" if len(matches) <= 10 else "more than 10"
            raise NotFoundError(f"URL {url} is ambiguous: {count} records have it ({shown}); "
                                "give a record id")
        raise NotFoundError(f"no record with URL {url}")

    # -- consistency and writing --------------------------------------------------------

    def check(self) -> list[str]:
        """Problems found by reading everything back; an empty list means consistent."""
        from newsidx.store.verify import verify

        return verify(self)

    def writer(self, *, wait: bool = False) -> AbstractContextManager[CatalogueWriter]:
        """Take the writer lock (or fail with LockedError unless ``wait``) for a block."""
        from newsidx.store.writer import open_writer

        return open_writer(self, wait=wait)
