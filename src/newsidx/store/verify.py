"""Reading a whole catalogue back to prove it consistent: shards, counts, bookkeeping."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from newsidx.errors import CatalogueError
from newsidx.model import from_json
from newsidx.store import manifest as mf
from newsidx.store.layout import SCHEMA_VERSION, Row, shard_of
from newsidx.store.segments import fold, open_all, segments_of

if TYPE_CHECKING:
    from newsidx.store.catalogue import Catalogue


def verify(catalogue: Catalogue) -> list[str]:
    """Problems found by reading everything back; an empty list means consistent.

    A bookkeeping database that lags the manifest is not a problem (the next write
    rebuilds it); one in step must list exactly the shards' ids and the file count."""
    problems: list[str] = []
    root = catalogue.root
    m = catalogue.manifest()
    seen: dict[str, set[str]] = {}
    counts = mf.Counts.empty()
    for shard, entry in sorted(m["shards"].items()):
        segments = segments_of(root, entry)
        gone = [p for p, _ in segments if not p.is_file()]
        if gone:
            problems.append(f"shard {shard}: {gone[0]} is missing")
            continue
        short = [p for p, size in segments if size is not None and p.stat().st_size < size]
        if short:
            problems.append(f"shard {shard}: {short[0]} is shorter than the manifest says")
            continue
        handles = open_all(segments)
        if handles is None:
            problems.append(f"shard {shard}: a segment vanished while being checked")
            continue
        ids: set[str] = set()
        try:
            for number, line in enumerate(fold(handles), 1):  # every id's last line
                try:
                    record = from_json(json.loads(line))
                except (ValueError, KeyError, TypeError, AttributeError) as exc:
                    problems.append(f"shard {shard}, record {number}: {exc}")
                    continue
                if shard_of(record) != shard:
                    problems.append(f"shard {shard}: record {record.id} in wrong shard")
                ids.add(record.id)
                counts.add(Row.of(record))
            lines = sum(handle.lines for handle in handles)  # as the fold read them
        finally:
            for handle in handles:
                handle.close()
        if lines != entry.get("lines", lines):  # readers trust it to skip the fold
            problems.append(f"shard {shard}: {lines} lines, manifest says {entry['lines']}")
        if len(ids) != entry["count"]:
            problems.append(f"shard {shard}: {len(ids)} records, manifest says {entry['count']}")
        seen[shard] = ids
    total = sum(len(ids) for ids in seen.values())
    totals = m["totals"]
    found = {"records": total, "undated": counts.undated,
             "articles": counts.kinds["article"], "related": counts.kinds["related"]}
    if any(totals.get(k) != v for k, v in found.items()):
        problems.append(f"totals {totals} do not match the shards")
    for facet, entries in counts.entries():
        stated = {k: (v.get("count"), v.get("articles")) for k, v in m[facet].items()
                  if v.get("count")}
        actual = {k: (v["count"], v.get("articles")) for k, v in entries}
        if stated != actual:
            wrong = sorted(set(stated.items()) ^ set(actual.items()))[0][0]
            problems.append(f"{facet}[{wrong!r}]: counts differ from the shards")
    book = catalogue.bookkeeping()
    if book is not None and not problems:
        try:
            listed = book.id_shards()
            files = book.file_count()
        except Exception as exc:  # a damaged database is a finding, not a crash
            problems.append(f"{book.path} cannot be read: {exc}")
        else:
            actual_ids = {rid: shard for shard, ids in seen.items() for rid in ids}
            if listed != actual_ids:
                problems.append(f"{book.path}: record ids differ from the shards")
            if files != totals.get("files", files):
                problems.append(f"{files} file states, totals say {totals['files']}")
    elif book is None and m["schema_version"] != SCHEMA_VERSION and m.get("files"):
        try:
            catalogue.files()
        except CatalogueError as exc:
            problems.append(str(exc))
    return problems
