"""The catalogue's bookkeeping in SQLite: record id -> shard, source file states, id <-> files.

``<root>/state.db`` (WAL mode) is derived, like the index: everything in it but the
files' sizes, mtimes and hashes can be rebuilt from the JSON records, and those come
back on the next walk. Each catalogue commit applies its changes here in one
transaction committed *after* the manifest, so the bookkeeping may lag the JSON by a
commit after a crash but never leads it; a writer that finds it lagging rebuilds it
(:meth:`Bookkeeping.rebuild`) and forgets every file's state, so the next ingest reads
every file again rather than trust a state that may be older than the records.

Paths are stored as bytes (``os.fsencode``), so names that are not valid UTF-8 round-trip,
and once each (the tables and the upgrade of older ones: :mod:`newsidx.store.bookschema`).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import sys
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from newsidx.errors import CatalogueError
from newsidx.store import bookschema
from newsidx.store.filestate import FileState, ids_json, ids_of, row_state, sha_column, sha_of
from newsidx.store.layout import SEGMENT_NAME, segment_name
from newsidx.store.places import Place

DB_NAME = "state.db"
_SET_SHARD = "INSERT OR REPLACE INTO records (id, shard) VALUES (?, ?)"
_SET_PLACE = ("INSERT INTO records (id, shard, gen, offset, length) VALUES (?, ?, ?, ?, ?) "
              "ON CONFLICT (id) DO UPDATE SET shard = excluded.shard, gen = excluded.gen, "
              "offset = excluded.offset, length = excluded.length")
_CHUNK = 500  # values per IN (...) list: well under SQLite's variable limit

class BookkeepingError(CatalogueError):
    """The database cannot be opened or read; ``corrupt`` when it is not a database."""

    def __init__(self, message: str, *, corrupt: bool = False) -> None:
        super().__init__(message)
        self.corrupt = corrupt


_CORRUPT = frozenset({"SQLITE_CORRUPT", "SQLITE_NOTADB"})


def _failure(path: Path, exc: sqlite3.Error) -> BookkeepingError:
    name = getattr(exc, "sqlite_errorname", "")
    return BookkeepingError(f"{path}: {exc}", corrupt=name in _CORRUPT)


def _chunks(values: list[Any]) -> Iterator[list[Any]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start:start + _CHUNK]


class Bookkeeping:
    """One connection to ``state.db``; read-only unless ``write``."""

    def __init__(self, root: Path, *, write: bool = False) -> None:
        self.path = root / DB_NAME
        self.write = write
        try:
            if write:
                self.db = sqlite3.connect(self.path, isolation_level=None)
                self.db.execute("PRAGMA journal_mode=WAL")
                self.db.execute("PRAGMA synchronous=FULL")
                self.db.executescript(bookschema.TABLES)
            else:
                if not self.path.exists():
                    raise BookkeepingError(f"{self.path} does not exist")
                uri = f"{self.path.absolute().as_uri()}?mode=ro"
                self.db = sqlite3.connect(uri, uri=True, isolation_level=None)
            self.db.execute("PRAGMA temp_store=FILE")
            found = dict(self.db.execute("SELECT key, value FROM meta").fetchall())
            # a database from before mid-file commits were recorded has no partial table
            self._partial = write or self.db.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'partial'"
            ).fetchone() is not None
        except sqlite3.Error as exc:
            raise _failure(self.path, exc) from exc
        self.upgraded = False  # this writer forgot the file states of a schema 1 database
        schema = found.get("schema", bookschema.SCHEMA)
        if schema not in (bookschema.SCHEMA, bookschema.PATH_KEYED, bookschema.IDS_BY_TEXT):
            self.close()
            raise BookkeepingError(f"{self.path} has bookkeeping schema {found['schema']}")
        try:
            self._numbered, self._placed = bookschema.layout(self.db)
            if write and ("schema" not in found or schema != bookschema.SCHEMA
                          or not (self._numbered and self._placed)):
                self.upgraded = bookschema.upgrade(self.db, schema)
                self._numbered = self._placed = True
        except sqlite3.Error as exc:
            raise _failure(self.path, exc) from exc

    def _numbered_files(self) -> None:
        """Refuse to read file states from a database of the path-keyed layout (read-only:
        the next writer upgrades it)."""
        if not self._numbered:
            raise BookkeepingError(f"{self.path} has an older bookkeeping schema; "
                                   "the next write upgrades it")

    def close(self) -> None:
        with contextlib.suppress(sqlite3.Error):
            self.db.close()

    # -- generation ---------------------------------------------------------------------

    @property
    def generation(self) -> int | None:
        """The catalogue generation these tables reflect; None when never filled."""
        row = self.db.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()
        return int(row[0]) if row else None

    # -- records ------------------------------------------------------------------------

    def shards_of(self, ids: Iterable[str]) -> dict[str, set[str]]:
        """Shard -> those of ``ids`` it holds; absent ids are left out."""
        out: dict[str, set[str]] = {}
        for part in _chunks(list(set(ids))):
            marks = ",".join("?" * len(part))
            for rid, shard in self.db.execute(
                f"SELECT id, shard FROM records WHERE id IN ({marks})", part
            ):
                out.setdefault(shard, set()).add(rid)
        return out

    def places_of(self, ids: Iterable[str]) -> dict[str, Place]:
        """Id -> the place of its line (:mod:`newsidx.store.places`), for those of ``ids``
        that have one; none at all while :attr:`has_places` is false."""
        out: dict[str, Place] = {}
        if not self.has_places:
            return out
        for part in _chunks(list(set(ids))):
            marks = ",".join("?" * len(part))
            for rid, shard, gen, offset, length in self.db.execute(
                f"SELECT id, shard, gen, offset, length FROM records "
                f"WHERE id IN ({marks}) AND gen IS NOT NULL", part
            ):
                out[rid] = (segment_name(shard, gen), offset, length)
        return out

    @property
    def has_places(self) -> bool:
        """Whether places are kept (a database from before them has none)."""
        if not self._placed:
            return False
        try:
            row = self.db.execute("SELECT value FROM meta WHERE key = 'places'").fetchone()
        except sqlite3.Error:
            return False
        return bool(row and row[0])

    def set_places(self, places: Iterable[tuple[str, Place | None]]) -> None:
        """Record (or, for None, forget) line places, inside the open transaction; a
        place's shard and generation are read from its segment's name."""
        db = self.db
        named: dict[str, tuple[str, int] | None] = {}
        batch: list[tuple[str, str, int, int, int]] = []
        for rid, place in places:
            if place is None:
                self.forget_places((rid,))
                continue
            name, offset, length = place
            if name not in named:
                found = SEGMENT_NAME.match(name.rpartition("/")[2])
                named[name] = (found["shard"], int(found["generation"])) if found else None
            segment = named[name]
            if segment is None:
                continue  # not a segment newsidx names: the reader scans for it
            batch.append((rid, *segment, offset, length))
            if len(batch) >= 10_000:
                db.executemany(_SET_PLACE, batch)
                batch.clear()
        db.executemany(_SET_PLACE, batch)

    def forget_places(self, ids: Iterable[str]) -> None:
        """Drop the places of ``ids`` (inside the open transaction)."""
        self.db.executemany(
            "UPDATE records SET gen = NULL, offset = NULL, length = NULL WHERE id = ?",
            ((r,) for r in ids))

    def reset_places(self) -> None:
        """Forget every place and mark them kept: the caller refills them in this
        transaction."""
        self.db.execute("UPDATE records SET gen = NULL, offset = NULL, length = NULL")
        self.db.execute("INSERT OR REPLACE INTO meta VALUES ('places', 1)")

    def with_prefix(self, prefix: str, limit: int = 11) -> list[str]:
        """Up to ``limit`` ids starting with ``prefix``, sorted."""
        rows = self.db.execute(
            "SELECT id FROM records WHERE id >= ? AND id < ? ORDER BY id LIMIT ?",
            (prefix, prefix + "\U0010ffff", limit),
        )
        return [r[0] for r in rows]

    def ids(self) -> Iterator[str]:
        for (rid,) in self.db.execute("SELECT id FROM records ORDER BY id"):
            yield rid

    def id_shards(self) -> dict[str, str]:
        return dict(self.db.execute("SELECT id, shard FROM records"))

    def record_count(self) -> int:
        return int(self.db.execute("SELECT count(*) FROM records").fetchone()[0])

    # -- files --------------------------------------------------------------------------

    def _with_parts(self, fid: int, state: FileState) -> FileState:
        """A placeholder state's ids with those its streamed file's mid-file commits gave
        (the ``partial`` table), so that a file gone after a crash mid-file accounts for
        every record it left; a real state holds them all already."""
        if state.size != -1 or not self._partial:
            return state
        parts = [r[0] for r in self.db.execute(
            "SELECT id FROM partial WHERE fid = ?", (fid,))]
        if not parts:
            return state
        return FileState(-1, -1, "", tuple(dict.fromkeys((*state.ids, *parts))), many=True)

    def file(self, path: str) -> FileState | None:
        self._numbered_files()
        row = self.db.execute(
            "SELECT fid, size, mtime_ns, sha256, ids FROM files WHERE path = ?",
            (os.fsencode(path),)).fetchone()
        return self._with_parts(row[0], row_state(*row[1:])) if row else None

    def files(self, paths: Iterable[str]) -> dict[str, FileState]:
        """The states of those of ``paths`` that have one."""
        return {path: state for path, (_, state) in self._states(paths).items()}

    def _states(self, paths: Iterable[str]) -> dict[str, tuple[int, FileState]]:
        """``(fid, state)`` of those of ``paths`` that have a state."""
        self._numbered_files()
        out: dict[str, tuple[int, FileState]] = {}
        for part in _chunks([os.fsencode(p) for p in set(paths)]):
            marks = ",".join("?" * len(part))
            for raw, fid, *rest in self.db.execute(
                f"SELECT path, fid, size, mtime_ns, sha256, ids FROM files "
                f"WHERE path IN ({marks})", part,
            ):
                out[os.fsdecode(raw)] = fid, self._with_parts(fid, row_state(*rest))
        return out

    def all_files(self) -> Iterator[tuple[str, FileState]]:
        self._numbered_files()
        for raw, fid, *rest in self.db.execute(
            "SELECT path, fid, size, mtime_ns, sha256, ids FROM files ORDER BY path"
        ):
            yield os.fsdecode(raw), self._with_parts(fid, row_state(*rest))

    def file_count(self) -> int:
        return int(self.db.execute("SELECT count(*) FROM files").fetchone()[0])

    def paths_of(self, ids: Iterable[str]) -> dict[str, set[str]]:
        """Record id -> the files that produced it, for those of ``ids`` any file did."""
        self._numbered_files()
        out: dict[str, set[str]] = {}
        for part in _chunks(list(set(ids))):
            marks = ",".join("?" * len(part))
            for rid, raw in self.db.execute(
                f"SELECT s.id, f.path FROM sources s JOIN files f USING (fid) "
                f"WHERE s.id IN ({marks})", part
            ):
                out.setdefault(rid, set()).add(os.fsdecode(raw))
        return out

    # -- the walk against the states ----------------------------------------------------

    def survey(self, walked: Iterable[tuple[str, int, int]]) -> Survey:
        """Compare walked ``(path, size, mtime_ns)`` with the states in SQL, so a no-op
        run over a million files never holds a million states in Python."""
        db = self.db
        db.executescript("""
            DROP TABLE IF EXISTS temp.walk; DROP TABLE IF EXISTS temp.todo;
            CREATE TEMP TABLE walk (seq INTEGER PRIMARY KEY, path BLOB NOT NULL,
                                    size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL);
        """)
        db.execute("BEGIN")
        encoding, errors = sys.getfilesystemencoding(), sys.getfilesystemencodeerrors()
        db.executemany("INSERT INTO temp.walk (path, size, mtime_ns) VALUES (?, ?, ?)",
                       ((p.encode(encoding, errors), s, m) for p, s, m in walked))  # fsencode
        db.execute("COMMIT")
        db.executescript("""
            CREATE INDEX temp.walk_path ON walk (path);
            CREATE TEMP TABLE todo (seq INTEGER PRIMARY KEY, path BLOB NOT NULL, sha256 BLOB,
                                    known INTEGER NOT NULL);
            INSERT INTO temp.todo (path, sha256, known)
                SELECT w.path, f.sha256, f.path IS NOT NULL
                FROM temp.walk w LEFT JOIN main.files f USING (path)
                WHERE f.path IS NULL OR f.size != w.size OR f.mtime_ns != w.mtime_ns
                ORDER BY w.seq;
        """)
        seen = int(db.execute("SELECT count(*) FROM temp.walk").fetchone()[0])
        todo = int(db.execute("SELECT count(*) FROM temp.todo").fetchone()[0])
        unwalked = [os.fsdecode(r[0]) for r in db.execute(
            "SELECT path FROM main.files WHERE path NOT IN (SELECT path FROM temp.walk)")]
        db.execute("DROP TABLE temp.walk")
        return Survey(self, seen, todo, unwalked)

    # -- writing ------------------------------------------------------------------------

    def begin(self) -> None:
        self.db.execute("BEGIN IMMEDIATE")

    def commit(self) -> None:
        self.db.execute("COMMIT")

    def rollback(self) -> None:
        with contextlib.suppress(sqlite3.Error):
            self.db.execute("ROLLBACK")

    def apply(self, *, shards: Mapping[str, str], deletes: Iterable[str],
              files: Mapping[str, FileState | None], generation: int) -> int:
        """Set record shards, drop ``deletes``, set or drop file states, inside the open
        transaction; returns the number of file states after it."""
        db = self.db
        db.executemany(  # the writer placed them already (shard included): kept as they are
            "INSERT INTO records (id, shard) VALUES (?, ?) ON CONFLICT (id) "
            "DO UPDATE SET shard = excluded.shard WHERE shard != excluded.shard",
            shards.items())
        db.executemany("DELETE FROM records WHERE id = ?", ((r,) for r in deletes))
        # A partial change adds its batch's ids, so it never reads the file's ids so far:
        # a mid-file commit costs in proportion to its batch, not to the file.
        old = self._states(p for p, new in files.items() if new is None or not new.partial)
        for path, (fid, state) in old.items():
            new_state = files[path]
            keep = set(new_state.ids) if new_state is not None else set()
            db.executemany("DELETE FROM sources WHERE id = ? AND fid = ?",  # kept ones stay
                           ((rid, fid) for rid in state.ids if rid not in keep))
            db.execute("DELETE FROM partial WHERE fid = ?", (fid,))
        whole: list[tuple[bytes, FileState]] = []
        for path, new in files.items():
            raw = os.fsencode(path)
            if new is None:
                db.execute("DELETE FROM files WHERE path = ?", (raw,))
                continue
            if not new.partial:
                whole.append((raw, new))
                continue
            db.execute(
                "INSERT INTO files (path, size, mtime_ns, sha256, ids) "
                "VALUES (?, -1, -1, '', ?) ON CONFLICT (path) "
                "DO UPDATE SET size = -1, mtime_ns = -1, sha256 = ''",
                (raw, ids_json(FileState(-1, -1, "", (), many=True))))
            fid = self._fid(raw)
            db.executemany("INSERT OR IGNORE INTO partial VALUES (?, ?)",
                           ((fid, rid) for rid in new.ids))
            db.executemany("INSERT OR IGNORE INTO sources VALUES (?, ?)",
                           ((rid, fid) for rid in new.ids))
        db.executemany(  # an upsert, not a REPLACE: a file keeps its fid
            "INSERT INTO files (path, size, mtime_ns, sha256, ids) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (path) DO UPDATE SET size = excluded.size, "
            "mtime_ns = excluded.mtime_ns, sha256 = excluded.sha256, ids = excluded.ids",
            ((raw, new.size, new.mtime_ns, sha_column(new.sha256), ids_json(new))
             for raw, new in whole))
        db.executemany("INSERT OR IGNORE INTO sources SELECT ?, fid FROM files WHERE path = ?",
                       ((rid, raw) for raw, new in whole for rid in new.ids))
        db.execute("INSERT OR REPLACE INTO meta VALUES ('generation', ?)", (generation,))
        return self.file_count()

    def _fid(self, raw: bytes) -> int:
        return int(self.db.execute("SELECT fid FROM files WHERE path = ?", (raw,)).fetchone()[0])

    def set_generation(self, generation: int) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta VALUES ('generation', ?)", (generation,))

    def rebuild(self, records: Iterable[tuple[str, str, list[str]]], generation: int,
                files: Iterable[tuple[str, FileState]] | None = None) -> None:
        """Refill the records and sources tables from ``(id, shard, sources)`` of every
        stored record. The file states are replaced by ``files`` when given; otherwise
        each keeps its ids (recomputed from the sources) but loses its size, mtime and
        hash, so the next ingest reads it again."""
        db = self.db
        self.begin()
        try:
            db.execute("DELETE FROM records")
            db.execute("DELETE FROM sources")
            db.execute("DELETE FROM partial")  # the placeholders below hold every id
            db.execute("INSERT OR REPLACE INTO meta VALUES ('places', 0)")  # refilled next
            produced: dict[bytes, list[str]] = {}
            rows: list[tuple[str, str]] = []
            for rid, shard, sources in records:
                rows.append((rid, shard))
                for path in sources:
                    produced.setdefault(os.fsencode(path), []).append(rid)
                if len(rows) >= 10_000:
                    db.executemany(_SET_SHARD, rows)
                    rows.clear()
            db.executemany(_SET_SHARD, rows)
            if files is not None:
                db.execute("DELETE FROM files")
                db.executemany(
                    "INSERT OR REPLACE INTO files (path, size, mtime_ns, sha256, ids) "
                    "VALUES (?, ?, ?, ?, ?)",
                    ((os.fsencode(p), s.size, s.mtime_ns, sha_column(s.sha256), ids_json(s))
                     for p, s in files))
            else:
                # Keep the paths (stale ones are still reported and pruned) and their ids
                # as the records say, article first; force the next ingest to read them.
                kept = {raw: ids_of(ids) for raw, ids in
                        db.execute("SELECT path, ids FROM files")}
                db.execute("DELETE FROM files")
                for raw in kept.keys() | produced.keys():
                    ids = produced.get(raw, [])
                    before, many = kept.get(raw, ([], False))
                    order = {rid: n for n, rid in enumerate(before)}
                    ids.sort(key=lambda rid: order.get(rid, len(order)))
                    state = FileState(-1, -1, "", tuple(ids), many=many)
                    db.execute("INSERT INTO files (path, size, mtime_ns, sha256, ids) "
                               "VALUES (?, -1, -1, '', ?)", (raw, ids_json(state)))
            fids = dict(db.execute("SELECT path, fid FROM files"))
            db.executemany(  # (a source the given states do not name has no file to link)
                "INSERT OR IGNORE INTO sources VALUES (?, ?)",
                ((rid, fids[raw]) for raw, ids in produced.items() if raw in fids
                 for rid in ids))
            db.execute("INSERT OR REPLACE INTO meta VALUES ('generation', ?)", (generation,))
            self.commit()
        except BaseException:
            self.rollback()
            raise


class Survey:
    """The outcome of :meth:`Bookkeeping.survey`: ``seen`` walked files, ``todo`` of them
    to read (new or changed, in walk order, with the recorded sha256 when there is one)
    and the recorded paths the walk did not reach."""

    def __init__(self, book: Bookkeeping, seen: int, todo: int, unwalked: list[str]) -> None:
        self.book, self.seen, self.todo, self.unwalked = book, seen, todo, unwalked

    def tasks(self, start: int, stop: int) -> list[tuple[str, str | None, bool]]:
        """Files ``start`` to ``stop`` (0-based, walk order) of those to read: each path,
        its recorded sha256 (None when there is none to trust) and whether it has a state."""
        rows = self.book.db.execute(
            "SELECT path, sha256, known FROM temp.todo WHERE seq > ? AND seq <= ? ORDER BY seq",
            (start, stop),
        )
        return [(os.fsdecode(raw), sha_of(sha) if sha else None, bool(known))
                for raw, sha, known in rows]


def open_writable(root: Path) -> tuple[Bookkeeping, int | None]:
    """The bookkeeping database opened for writing and its generation; a corrupt one is
    started again (it is derived); any other failure (a full disk, no permission) is a
    one-line error and the database is left as it is."""
    try:
        book = Bookkeeping(root, write=True)
        return book, book.generation
    except sqlite3.DatabaseError as exc:
        if getattr(exc, "sqlite_errorname", "") not in ("SQLITE_CORRUPT", "SQLITE_NOTADB"):
            raise CatalogueError(f"cannot write {root / 'state.db'}: {exc}") from exc
    except BookkeepingError as exc:
        if not exc.corrupt:
            raise CatalogueError(f"cannot write {exc}") from exc
    for suffix in ("", "-wal", "-shm"):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(root / f"state.db{suffix}")
    return Bookkeeping(root, write=True), None
