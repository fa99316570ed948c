"""The tables of ``state.db`` (bookkeeping schema 3) and the in-place upgrade of older ones.

Schema 3 stores each source path once, in ``files``, whose ``fid`` ``sources`` and
``partial`` refer to, and a record's place as three integers of its ``records`` row (the
segment's generation, offset, length: the file is ``segment_name(shard, gen)``). A
schema 1 or 2 database (path-keyed, with a ``places`` table) is upgraded in one SQL
transaction that keeps every file state and every place (:func:`upgrade`).
"""

from __future__ import annotations

import contextlib
import sqlite3

SCHEMA = 3
PATH_KEYED = 2  # paths in every sources and partial row; places in a table of their own
# Schema 2: records without a page URL are identified by their source (newsidx.identity),
# no longer by their text. A schema 1 database is upgraded by the first writer: every
# file's size, mtime and hash are forgotten (its ids kept), so the next ingest of each file
# reads it again, its records take their new ids and the old ids go with its contributions.
IDS_BY_TEXT = 1

# fids are never reused (AUTOINCREMENT), so a stray source row can never name another file.
NUMBERED = """
CREATE TABLE IF NOT EXISTS files (
    fid INTEGER PRIMARY KEY AUTOINCREMENT, path BLOB NOT NULL UNIQUE, size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL, sha256 BLOB NOT NULL, ids TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS sources (
    id TEXT NOT NULL, fid INTEGER NOT NULL, PRIMARY KEY (id, fid)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS partial (
    fid INTEGER NOT NULL, id TEXT NOT NULL, PRIMARY KEY (fid, id)
) WITHOUT ROWID;
"""
TABLES = NUMBERED + """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS records (
    id TEXT PRIMARY KEY, shard TEXT NOT NULL, gen INTEGER, offset INTEGER, length INTEGER
) WITHOUT ROWID;
"""




def layout(db: sqlite3.Connection) -> tuple[bool, bool]:
    """Whether files are numbered and records hold their places (schema 3's layout)."""
    return has_column(db, "files", "fid"), has_column(db, "records", "gen")


def upgrade(db: sqlite3.Connection, schema: int) -> bool:
    """Bring a database of ``schema`` to schema 3 in one transaction (then compact it when
    its tables moved); True when its file states were forgotten (schema 1)."""
    numbered, placed = layout(db)
    db.execute("BEGIN IMMEDIATE")
    try:
        if not numbered:
            _number_paths(db)
        if not placed:
            _place_records(db)
        if schema == IDS_BY_TEXT:
            db.execute("UPDATE files SET size = -1, mtime_ns = -1, sha256 = ''")
        db.execute("INSERT OR REPLACE INTO meta VALUES ('schema', ?)", (SCHEMA,))
        db.execute("COMMIT")
    except BaseException:
        with contextlib.suppress(sqlite3.Error):
            db.execute("ROLLBACK")
        raise
    if not (numbered and placed):
        db.execute("VACUUM")  # give the old tables' pages back to the file system
    return schema == IDS_BY_TEXT


def has_column(db: sqlite3.Connection, table: str, column: str) -> bool:
    return db.execute("SELECT 1 FROM pragma_table_info(?) WHERE name = ?",
                      (table, column)).fetchone() is not None


def _number_paths(db: sqlite3.Connection) -> None:
    """Move a path-keyed database (schemas 1 and 2) to numbered paths, inside the open
    transaction: every file state kept, ``sources`` and ``partial`` by ``fid``."""
    for table in ("files", "sources", "partial"):
        db.execute(f"ALTER TABLE {table} RENAME TO old_{table}")
    for statement in NUMBERED.split(";"):
        if statement.strip():
            db.execute(statement)
    db.execute("INSERT INTO files (path, size, mtime_ns, sha256, ids) "
               "SELECT path, size, mtime_ns, sha256, ids FROM old_files ORDER BY path")
    db.execute("INSERT INTO sources SELECT s.id, f.fid FROM old_sources s "
               "JOIN files f USING (path)")
    if has_column(db, "old_partial", "path"):  # (created new by this writer when absent)
        db.execute("INSERT INTO partial SELECT f.fid, p.id FROM old_partial p "
                   "JOIN files f USING (path)")
    for table in ("files", "sources", "partial"):
        db.execute(f"DROP TABLE old_{table}")


def _place_records(db: sqlite3.Connection) -> None:
    """Move the ``places`` table of a schema 2 database into ``records`` (its file name
    ``records/SHARD.GEN.jsonl`` becomes ``gen``), inside the open transaction."""
    for column in ("gen", "offset", "length"):
        db.execute(f"ALTER TABLE records ADD COLUMN {column} INTEGER")
    if db.execute("SELECT 1 FROM sqlite_master WHERE name = 'places'").fetchone():
        db.execute("""
            UPDATE records SET (gen, offset, length) = (
                SELECT CAST(substr(p.file, 9 + instr(substr(p.file, 9), '.')) AS INTEGER),
                       p.offset, p.length
                FROM places p WHERE p.id = records.id
                  AND substr(p.file, 9, instr(substr(p.file, 9), '.') - 1) = records.shard)
        """)
        db.execute("DROP TABLE places")
