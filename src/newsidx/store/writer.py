"""Writing a catalogue: the lock, atomic commits, and the fold that leaves plain JSON at rest.

A commit appends its lines to the last segment of each shard it changes (past the
committed length, fsync) or, for a new shard or one whose dead lines would outnumber its
live ones, writes it anew as one segment of its live lines (temp file, fsync, rename);
then it writes the manifest, which holds each last segment's committed length, the same
way (the commit point); then the bookkeeping database's transaction, so the database
may lag the JSON but never leads it. A cold ingest so writes each line once, plus the
last commit's fold (``compact=True``): it rewrites every shard that has dead lines, so
at rest each is one file of its live records, and removes every file the new manifest
does not name. See docs/catalogue.md.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from newsidx.errors import CatalogueError
from newsidx.model import Article
from newsidx.store import manifest as mf
from newsidx.store import places, tails
from newsidx.store.bookkeeping import Bookkeeping, open_writable
from newsidx.store.filestate import FileState
from newsidx.store.journal import Journal, journal_lines, read_journal
from newsidx.store.layout import (
    LEGACY_FILES_DIR,
    RECORDS_DIR,
    SCHEMA_VERSION,
    Row,
    append_bytes,
    atomic_write,
    atomic_write_bytes,
    fsync_dir,
    segment_name,
)
from newsidx.store.segments import (
    committed,
    fold,
    is_clean,
    line_id,
    open_all,
    segments_of,
    tombstone,
)
from newsidx.store.writelock import take_lock

if TYPE_CHECKING:
    from newsidx.store.catalogue import Catalogue


@contextlib.contextmanager
def open_writer(catalogue: Catalogue, *, wait: bool = False) -> Iterator[CatalogueWriter]:
    """Take the writer lock on ``catalogue`` for a block and yield its writer."""
    fd = take_lock(catalogue.root, wait=wait)
    writer: CatalogueWriter | None = None
    try:
        catalogue.reload()
        writer = CatalogueWriter(catalogue, fd)
        yield writer
    finally:
        if writer is not None:
            writer.close()
        os.close(fd)
        catalogue.reload()


class CatalogueWriter:
    """Commits changes under the writer lock; each commit is atomic.

    The writer reads the manifest once and keeps it in memory across commits: being the
    only writer, it knows what it committed. It brings the bookkeeping database in step
    with the manifest when it starts (a crash may have left it a commit behind, and a
    schema 3 catalogue has none).
    """

    def __init__(self, catalogue: Catalogue, lock_fd: int) -> None:
        self.catalogue = catalogue
        self.lock_fd = lock_fd
        self._head: dict[str, Any] | None = None  # the manifest but its facets
        self._facets: mf.Counts | None = None
        self._book: Bookkeeping | None = None

    @property
    def root(self) -> Path:
        return self.catalogue.root

    def close(self) -> None:
        if self._book is not None:
            self._book.close()
            self._book = None

    # -- loading ------------------------------------------------------------------------

    def _load(self) -> tuple[dict[str, Any], mf.Counts]:
        if self._head is None or self._facets is None:
            m = dict(self.catalogue.manifest())
            self._facets = mf.Counts(m)
            legacy = m.pop("files", None) if m["schema_version"] != SCHEMA_VERSION else None
            m.pop("id_table", None)
            self._head = {k: v for k, v in m.items() if k in mf.HEAD_KEYS}
            self._head["shards"] = dict(m["shards"])
            self._head["totals"] = dict(m["totals"])
            self.catalogue.reload()
            self._book = self._open_book(int(m["generation"]), legacy)
            tails.cut(self.root, self._head["shards"])  # a killed commit's
        return self._head, self._facets

    def _open_book(self, generation: int, legacy: list[str] | None) -> Bookkeeping:
        """The bookkeeping database, rebuilt from the shards when it is not in step."""
        book, have = open_writable(self.root)
        if have is not None and have == generation - 1 and self._replay(book, generation):
            self._fill_places(book)  # the crashed commit's places were never recorded
            return book
        if have != generation and not (have is None and generation == 0):
            files: Iterable[tuple[str, FileState]] | None = None
            if legacy is not None:
                from newsidx.store.legacy import legacy_states

                # Kept with their ids, but read again by the next ingest: schema 3 ids of
                # records without a page URL came from their text (see bookkeeping).
                files = [(p, FileState(-1, -1, "", s.ids, many=s.many))
                         for p, s in legacy_states(self.root, legacy).items()]
            book.rebuild(self._stored_keys(), generation, files)
        if not book.has_places:
            self._fill_places(book)
        return book

    def refill_places(self) -> None:
        """Record every stored record's place again from the shards (``newsidx reindex``,
        ``check --repair``). A database in step needs only the manifest's head; one that
        is not (lost, lagging) is rebuilt whole from the shards, places included."""
        if self._book is not None and self._head is not None:
            self._fill_places(self._book, self._head["shards"])
            return
        head = self.catalogue.head()
        book, have = open_writable(self.root)
        try:
            if have == int(head["generation"]):
                self._fill_places(book, head["shards"])
                return
        finally:
            book.close()
        self._load()  # rebuilds the database from the shards, then fills its places

    def _fill_places(self, book: Bookkeeping, shards: Mapping[str, Any] | None = None) -> None:
        """Record the place of every stored record's current line (``places.fill``)."""
        if shards is None:
            assert self._head is not None
            shards = self._head["shards"]
        places.fill(book, self.root, shards)

    def _replay(self, book: Bookkeeping, generation: int) -> bool:
        """Apply the last commit's journal to a database one commit behind (a crash came
        between the manifest and the database's commit); False when it cannot be had."""
        assert self._head is not None
        name = self._head.get("journal")
        try:
            changes = read_journal(self.root / name) if name else Journal({}, [], {})
        except (OSError, ValueError, KeyError, TypeError):
            return False
        try:
            book.begin()
            book.apply(shards=changes.shards, deletes=changes.deletes, files=changes.files,
                       generation=generation)
            book.commit()
        except sqlite3.Error:
            book.rollback()
            return False
        if name:
            with contextlib.suppress(OSError):  # state.db has it now
                os.unlink(self.root / name)
        return True

    def _stored_keys(self) -> Iterator[tuple[str, str, list[str]]]:
        """``(id, shard, sources)`` of every stored record."""
        assert self._head is not None
        for shard in sorted(self._head["shards"]):
            for line in self._fold(shard, self._head["shards"][shard], tombstones=False):
                record = self.catalogue.parse_line(shard, line)
                if record is not None:
                    yield record.id, shard, list(record.sources)

    @property
    def book(self) -> Bookkeeping:
        self._load()
        assert self._book is not None
        return self._book

    @property
    def generation(self) -> int:
        return int(self._load()[0]["generation"])

    def record_count(self) -> int:
        return int(self._load()[0]["totals"]["records"])

    def needs_fold(self) -> bool:
        """Whether a shard has several segments or files of the previous commit remain."""
        head = self._load()[0]
        return bool(head["previous_files"]) or any(
            not is_clean(e) for e in head["shards"].values())

    # -- reading what this writer committed ---------------------------------------------

    def _fold(self, shard: str, entry: Mapping[str, Any], *, tombstones: bool) -> Iterator[str]:
        handles = open_all(segments_of(self.root, entry))
        if handles is None:
            raise CatalogueError(f"a segment of shard {shard} of {self.root} is missing; "
                                 "run newsidx check --repair")
        try:
            yield from fold(handles, tombstones=tombstones, clean=is_clean(entry))
        finally:
            for handle in handles:
                handle.close()

    def get_many(self, ids: Iterable[str]) -> dict[str, Article]:
        """Like :meth:`Catalogue.get_many`, from what this writer committed."""
        out: dict[str, Article] = {}
        for rid, (shard, line) in self._located(ids).items():
            record = self.catalogue.parse_line(shard, line)
            if record is not None:
                out[rid] = record
        return out

    def get_lines(self, ids: Iterable[str]) -> dict[str, str]:
        """The stored shard line of each of ``ids`` that is present."""
        return {rid: line for rid, (_, line) in self._located(ids).items()}

    def _located(self, ids: Iterable[str]) -> dict[str, tuple[str, str]]:
        out: dict[str, tuple[str, str]] = {}
        for shard, wanted in self.book.shards_of(ids).items():
            for rid, line in self._find(shard, wanted).items():
                out[rid] = (shard, line)
        return out

    def _find(self, shard: str, ids: set[str]) -> dict[str, str]:
        """The current line of each of ``ids`` held in ``shard``, as committed: at its
        recorded place, or (a place missing or stale) by reading the shard through."""
        entry = self._load()[0]["shards"].get(shard)
        if entry is None or not ids:
            return {}
        found = {rid: line for rid, (_, line) in places.read(
            self.root, self.book.places_of(ids), committed(entry)).items()}
        missing = ids - found.keys()
        if missing:
            for line in self._fold(shard, entry, tombstones=False):
                rid = line_id(line)
                if rid in missing:
                    found[rid] = line
        return found

    # -- committing ---------------------------------------------------------------------

    def commit(
        self,
        *,
        upserts: Iterable[Article | Row],
        deletes: Iterable[str],
        files: Mapping[str, FileState | None],
        compact: bool = False,
        stage: Callable[[sqlite3.Connection], None] | None = None,
    ) -> int:
        """Store ``upserts`` (records or ready rows), drop ``deletes``, set (or drop, for
        None) file states. ``compact`` (the last commit of a write) folds every shard
        into one file and removes every file the new manifest does not name. ``stage``
        runs first, inside the bookkeeping transaction, before ``upserts`` is read: state
        derived beside the bookkeeping (stories) is written there, so it is committed
        after the manifest, with the bookkeeping, or not at all.

        Returns the new generation.
        """
        try:
            return self._commit(upserts, deletes, files, compact, stage)
        except BaseException:
            if self._book is not None:
                self._book.rollback()
            self.close()
            self._head = self._facets = None  # re-read all
            self.catalogue.reload()
            raise

    def _commit(self, upserts: Iterable[Article | Row], deletes: Iterable[str],
                files: Mapping[str, FileState | None], compact: bool,
                stage: Callable[[sqlite3.Connection], None] | None) -> int:
        old, facets = self._load()
        book = self.book
        try:
            book.begin()
            if stage is not None:
                stage(book.db)
        except sqlite3.Error as exc:
            raise CatalogueError(f"cannot write {book.path}: {exc}; the catalogue was left "
                                 "as it was") from exc
        m: dict[str, Any] = dict(old)
        m["shards"] = dict(old["shards"])
        m["totals"] = dict(old["totals"])
        generation = int(m["generation"]) + 1
        new = {r.id: r for r in (u if isinstance(u, Row) else Row.of(u) for u in upserts)}
        gone = set(deletes) - new.keys()
        old_shards = book.shards_of(new.keys() | gone)
        by_shard: dict[str, dict[str, Row]] = {}
        for row in new.values():
            by_shard.setdefault(row.shard, {})[row.id] = row
        shards = {rid: row.shard for rid, row in new.items()}
        del new
        referenced_before = mf.referenced(old)
        touched = old_shards.keys() | by_shard.keys()
        if compact:
            touched |= {k for k, v in old["shards"].items() if not is_clean(v)}
        try:  # inside the transaction begun above: places recorded as lines are written
            # every changed record's old line, read before any shard moves its place
            before = {shard: self._find(shard, ids) for shard, ids in old_shards.items()}
            for shard in sorted(touched):
                self._write_shard(shard, generation, m, old_shards.get(shard, set()),
                                  before.pop(shard, {}), by_shard.pop(shard, {}), facets,
                                  compact)
        except sqlite3.Error as exc:
            raise CatalogueError(f"cannot write {book.path}: {exc}; the catalogue was left "
                                 "as it was") from exc
        facets.totals(m["totals"])
        m["generation"] = generation
        m["previous_files"] = [] if compact else sorted(mf.referenced(old))
        m["journal"] = None
        if shards or gone or files:
            m["journal"] = f"journal.{generation}.jsonl"
            atomic_write(self.root / m["journal"], journal_lines(shards, gone, files))
        try:
            m["totals"]["files"] = book.apply(shards=shards, deletes=gone, files=files,
                                              generation=generation)
        except sqlite3.Error as exc:
            raise CatalogueError(f"cannot write {book.path}: {exc}; the catalogue was left "
                                 "as it was") from exc
        atomic_write(self.catalogue.manifest_path, mf.manifest_chunks(m, facets))
        try:
            book.commit()  # after the manifest: the bookkeeping never leads the JSON
        except sqlite3.Error as exc:
            raise CatalogueError(
                f"cannot write {book.path}: {exc}; the records were committed and the next "
                "write brings it in step") from exc
        if m["journal"]:
            with contextlib.suppress(OSError):  # state.db has it now
                os.unlink(self.root / m["journal"])
        self._head = m
        self.catalogue.reload()
        live = mf.referenced(m)
        self._collect_garbage(live if compact else live | referenced_before)
        return generation

    def _write_shard(self, shard: str, generation: int, m: dict[str, Any], present: set[str],
                     before: Mapping[str, str], adds: Mapping[str, Row], facets: mf.Counts,
                     compact: bool) -> None:
        """Write ``shard``'s changes: ``present`` are its stored ids that change (their
        lines ``before``), ``adds`` its new lines. They are appended to its last segment,
        unless the shard is new, or was written before appends, or its dead lines would
        outnumber its live ones (or, in the ``compact`` commit, be any): then it is
        written anew as one segment of its live lines."""
        entry = m["shards"].get(shard)
        count = int(entry["count"]) if entry else 0
        lines = int(entry["lines"]) if entry else 0
        leaving = sorted(present - adds.keys())
        live = count - len(present) + len(adds)
        for rid in present:
            line = before.get(rid)
            record = self.catalogue.parse_line(shard, line) if line is not None else None
            if record is None:
                raise CatalogueError(f"record {rid} in shard {shard} of {self.root} cannot "
                                     "be read; run newsidx check --repair")
            facets.remove(Row.of(record, line=line))  # its keys; the line not made again
        for row in adds.values():  # after the old copies' facets went
            facets.add(row)
        if live == 0:
            m["shards"].pop(shard, None)
            return
        dead = lines + len(adds) + len(leaving) - live
        if entry is not None and entry.get("bytes") is not None and dead <= live \
                and not (compact and dead):
            name = entry["files"][-1]
            out: list[tuple[str | None, str]] = [(k, adds[k].line) for k in sorted(adds)]
            out.extend((None, tombstone(rid)) for rid in leaving)
            start = int(entry["bytes"])
            size = append_bytes(self.root / name, start, places.placed_lines(
                name, out, self.book.set_places, start=start))
            m["shards"][shard] = {"files": entry["files"], "count": live,
                                  "lines": lines + len(out), "bytes": size}
            return
        replaced = present | adds.keys()
        written = [0]

        def kept() -> Iterator[tuple[str | None, str]]:
            """The shard's live lines but the replaced ones, then the new ones, with ids."""
            for line in self._fold(shard, entry, tombstones=False) if entry else ():
                rid = line_id(line)
                if rid is None:
                    raise CatalogueError(f"corrupt record in shard {shard} of {self.root}; "
                                         "run newsidx check --repair")
                if rid not in replaced:
                    written[0] += 1
                    yield rid, line
            for k in sorted(adds):
                written[0] += 1
                yield k, adds[k].line

        name = segment_name(shard, generation)
        size = atomic_write_bytes(self.root / name,
                                  places.placed_lines(name, kept(), self.book.set_places))
        m["shards"][shard] = {"files": [name], "count": live, "lines": written[0],
                              "bytes": size}

    def _collect_garbage(self, keep: set[str]) -> None:
        """Remove shard files ``keep`` does not name, schema 3's leftovers and temp files."""
        folder = self.root / RECORDS_DIR
        for name in os.listdir(folder):
            if f"{RECORDS_DIR}/{name}" not in keep:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(folder / name)
        legacy = self.root / LEGACY_FILES_DIR
        if legacy.is_dir():
            for name in os.listdir(legacy):
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(legacy / name)
            with contextlib.suppress(OSError):
                legacy.rmdir()
        for name in os.listdir(self.root):
            if name.startswith(".tmp-") or (name.startswith("journal.")
                                            and name != self._head_journal()):
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(self.root / name)

    def _head_journal(self) -> str | None:
        return self._head.get("journal") if self._head else None

    # -- repair -------------------------------------------------------------------------

    def adopt(self, rebuilt: Catalogue) -> int:
        """Replace this catalogue's records with ``rebuilt``'s (a folded scratch catalogue
        on the same file system), as one commit at a generation above any seen here;
        ``newsidx check --repair`` swaps in what it rebuilt this way."""
        scratch = dict(rebuilt.manifest())
        generation = max(self._highest_generation(), 0) + 1
        shards: dict[str, Any] = {}
        for shard, entry in scratch["shards"].items():
            (file,) = entry["files"]
            name = segment_name(shard, generation)
            os.replace(rebuilt.root / file, self.root / name)
            shards[shard] = {"files": [name], "count": entry["count"], "lines": entry["count"],
                             "bytes": os.stat(self.root / name).st_size}
        fsync_dir(self.root / RECORDS_DIR)
        m = {k: scratch[k] for k in mf.HEAD_KEYS}
        m.update(generation=generation, shards=shards, previous_files=[], journal=None)
        facets = mf.Counts(scratch)
        book = open_writable(self.root)[0] if self._book is None else self._book
        self._book = book
        atomic_write(self.catalogue.manifest_path, mf.manifest_chunks(m, facets))
        self._head, self._facets = m, facets
        self.catalogue.reload()
        book.rebuild(self._stored_keys(), generation, rebuilt.files().items())
        self._fill_places(book)
        self._collect_garbage(mf.referenced(m))
        return generation

    def _highest_generation(self) -> int:
        best = 0
        with contextlib.suppress(CatalogueError, OSError, ValueError, KeyError, TypeError):
            best = self.catalogue.generation
        with contextlib.suppress(OSError):
            for name in os.listdir(self.root / RECORDS_DIR):
                parts = name.split(".")
                if len(parts) >= 3 and parts[-2].isdigit():
                    best = max(best, int(parts[-2]))
        return best
