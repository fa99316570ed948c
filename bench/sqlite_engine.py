"""Time SQLite FTS5 alone, in process, on the database the sqlite-utils peer built.

The counterpart of ``bench/engine.py``: the same query texts, run warm in one process
as the FTS5 ``MATCH`` query that ``sqlite-utils search DB articles TEXT --limit 20 -c id``
runs (top 20 ids by ``rank``, which is bm25), so the ratio compares the two engines
without process start-up. The SQL is taken from ``sqlite_utils`` when it is importable,
else it is the text ``sqlite-utils search --sql`` printed (version 4.2). The query text
is passed unquoted, as the CLI does without ``--quote``, so ``"a b"`` is a phrase.

Usage: ``python bench/sqlite_engine.py DB QUERIES.json --repeat N`` prints JSON.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

TABLE = "articles"
KINDS = ("rare", "common", "two_words", "phrase")
SEARCH_SQL = """with "original" as (
    select
        rowid,
        "id"
    from "articles"
)
select
    "original"."id"
from
    "original"
    join "articles_fts" on "original".rowid = "articles_fts".rowid
where
    "articles_fts" match :query
order by
    "articles_fts".rank
limit 20"""


def search_sql(db: Path) -> tuple[str, str]:
    """The SQL ``sqlite-utils search`` runs, and where it came from."""
    try:
        import sqlite_utils
    except ImportError:
        return SEARCH_SQL, "built-in copy of sqlite-utils 4.2 --sql"
    database = sqlite_utils.Database(str(db))
    try:
        sql = database.table(TABLE).search_sql(columns=["id"], limit=20)
    finally:
        database.close()
    return sql, "sqlite_utils.Table.search_sql"


def time_query(conn: sqlite3.Connection, sql: str, text: str, repeat: int,
               budget: float) -> dict[str, Any]:
    """Warm once, then up to ``repeat`` timed runs (at least 3, stopping past ``budget`` s)."""
    conn.execute(sql, {"query": text}).fetchall()
    times: list[float] = []
    rows: list[Any] = []
    while len(times) < repeat and (len(times) < 3 or sum(times) < budget):
        started = time.perf_counter()
        rows = conn.execute(sql, {"query": text}).fetchall()
        times.append(time.perf_counter() - started)
    return {"median": statistics.median(times), "min": min(times), "max": max(times),
            "runs": len(times), "hits": len(rows)}


def measure(db: Path, specs: dict[str, dict[str, Any]], repeat: int,
            budget: float) -> dict[str, Any]:
    """Timings per query kind; an error is reported per kind, never raised."""
    if not db.is_file():
        return {"error": f"n/a: no database at {db}"}
    try:
        sql, origin = search_sql(db)
        started = time.perf_counter()
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        conn.execute(f"select count(*) from {TABLE}_fts where 0").fetchall()
        out: dict[str, Any] = {"open_seconds": time.perf_counter() - started,
                               "sqlite_version": sqlite3.sqlite_version, "sql_from": origin,
                               "sql": sql}
    except Exception as exc:  # a broken or missing database: report, never crash
        return {"error": f"n/a: {type(exc).__name__}: {exc}"[:300]}
    try:
        for kind in KINDS:
            if kind not in specs:
                continue
            try:
                out[kind] = time_query(conn, sql, specs[kind]["text"], repeat, budget)
            except sqlite3.Error as exc:
                out[kind] = {"error": f"n/a: {type(exc).__name__}: {exc}"[:300]}
    finally:
        conn.close()
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="in-process SQLite FTS5 timings")
    parser.add_argument("db", type=Path)
    parser.add_argument("queries", type=Path, help="JSON: {kind: {text, ...}}")
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--budget", type=float, default=30.0,
                        help="seconds per query kind after which runs stop (min 3 runs)")
    args = parser.parse_args(argv)
    specs = json.loads(args.queries.read_text("utf-8"))
    print(json.dumps(measure(args.db, specs, max(1, args.repeat), args.budget)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
