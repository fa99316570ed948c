"""``export --format sqlite``: records as a SQLite database in the shape sqlite-utils makes.

One ``records`` table, ``id`` its primary key and every other key of the record's JSON
form (:func:`newsidx.model.to_json`) a column, lists and objects as JSON text, as
``sqlite-utils insert DB records FILE --pk id`` would make it; and ``records_fts``, an
FTS5 index over title, excerpt and body with ``content=[records]``, as ``sqlite-utils
enable-fts DB records title excerpt body --fts5`` makes it. So Datasette, sqlite-utils
(``search``) and plain SQL take over from newsidx. Only the stdlib ``sqlite3`` is used.

The database is written to a temporary file beside the target and renamed over it when
complete: an interrupted export leaves the target as it was.
"""

from __future__ import annotations

import json
import os
import sqlite3
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from newsidx.errors import UsageError

if TYPE_CHECKING:
    from newsidx.model import Article

TABLE = "records"
FTS_COLUMNS = ("title", "excerpt", "body")
_TYPES = {"published_zoneless": "INTEGER", "quality": "FLOAT", "heat": "FLOAT"}
_BATCH = 1000


def columns() -> list[str]:
    """The record's JSON keys, in their documented order (``id`` first)."""
    from newsidx.model import Article, to_json

    return list(to_json(Article(id="x", kind="article", title="")))


def _cell(value: Any) -> Any:
    """A JSON value as sqlite-utils stores it: lists and objects as JSON text."""
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bool):
        return int(value)
    return value


def _create(db: sqlite3.Connection, names: list[str]) -> None:
    kinds = {name: _TYPES.get(name, "TEXT") for name in names}
    kinds["id"] = "TEXT PRIMARY KEY"
    cols = ",\n".join(f"   [{name}] {kinds[name]}" for name in names)
    db.execute(f"CREATE TABLE [{TABLE}] (\n{cols}\n)")


def _enable_fts(db: sqlite3.Connection) -> None:
    listed = ", ".join(f"[{c}]" for c in FTS_COLUMNS)
    db.execute(f"CREATE VIRTUAL TABLE [{TABLE}_fts] USING FTS5 (\n    {listed},\n"
               f"    content=[{TABLE}]\n)")
    db.execute(f"INSERT INTO [{TABLE}_fts] (rowid, {listed})\n"
               f"    SELECT rowid, {listed} FROM [{TABLE}]")


def write_sqlite(records: Iterable[Article], path: Path) -> int:
    """Write ``records`` to a new SQLite database at ``path`` (replacing any file there)
    and return how many were written. UsageError when ``path`` cannot be written."""
    from newsidx.model import to_json

    names = columns()
    folder = path.parent if str(path.parent) else Path(".")
    try:
        fd, scratch = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise UsageError(f"{path}: cannot write: {exc.strerror or exc}") from None
    os.close(fd)
    written = 0
    try:
        db = sqlite3.connect(scratch)
        try:
            db.execute("PRAGMA journal_mode=OFF")
            db.execute("PRAGMA synchronous=OFF")
            _create(db, names)
            insert = (f"INSERT OR REPLACE INTO [{TABLE}] ({', '.join(f'[{n}]' for n in names)}) "
                      f"VALUES ({', '.join('?' for _ in names)})")
            batch: list[list[Any]] = []
            for record in records:
                data = to_json(record)
                batch.append([_cell(data.get(name)) for name in names])
                if len(batch) >= _BATCH:
                    db.executemany(insert, batch)
                    written += len(batch)
                    batch.clear()
            db.executemany(insert, batch)
            written += len(batch)
            _enable_fts(db)
            db.commit()
        finally:
            db.close()
        os.replace(scratch, path)
    except (OSError, sqlite3.Error) as exc:
        Path(scratch).unlink(missing_ok=True)
        raise UsageError(f"{path}: cannot write: {getattr(exc, 'strerror', None) or exc}") from None
    except BaseException:
        Path(scratch).unlink(missing_ok=True)
        raise
    return written
