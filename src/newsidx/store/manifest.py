"""``catalogue.json``: the commit point, with the provider, topic and date counts.

Its first lines are ``schema_version`` with ``generation``, then ``totals``, ``shards``,
``previous_files`` and ``journal`` (one line each), then one line per facet entry, so a
reader that only needs the head parses a few lines, not the facets of a million records.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, TypedDict

from newsidx.errors import CatalogueError
from newsidx.store.layout import SCHEMA_VERSION, UPGRADABLE_SCHEMA, Row

HEAD_KEYS = ("generation", "totals", "shards", "previous_files", "journal")
_HEAD = re.compile(rb'\{\s*"schema_version":\s*(\d+),\s*"generation":\s*(\d+)\s*,')


class _ShardFiles(TypedDict):
    files: list[str]  # segments, oldest first; one since appends (2026-12)
    count: int  # live records
    lines: int  # lines in all segments, dead ones (superseded, tombstones) included


class ShardEntry(_ShardFiles, total=False):
    bytes: int  # the last segment's committed length (absent before appends)


class Manifest(TypedDict):
    schema_version: int
    generation: int
    totals: dict[str, int]
    shards: dict[str, ShardEntry]
    previous_files: list[str]
    journal: str | None  # this commit's bookkeeping changes, until state.db has them
    providers: dict[str, dict[str, Any]]
    topics: dict[str, dict[str, Any]]
    dates: dict[str, dict[str, Any]]


def empty_manifest() -> dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION,
        "generation": 0,
        "totals": {"records": 0, "articles": 0, "related": 0, "undated": 0, "files": 0},
        "shards": {},
        "previous_files": [],
        "journal": None,
        "providers": {},
        "topics": {},
        "dates": {},
    }


def read_manifest(root: Path, path: Path) -> dict[str, Any]:
    """The whole manifest, checked; an empty one when there is none yet."""
    if root.exists() and not root.is_dir():
        raise CatalogueError(f"catalogue {root} is not a folder")
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return empty_manifest()
    except OSError as exc:
        raise CatalogueError(f"cannot read {path}: {exc.strerror}") from exc
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise CatalogueError(
            f"{path} is corrupt (not valid JSON: {exc}); run newsidx check --repair"
        ) from exc
    if not isinstance(data, dict):
        raise CatalogueError(f"{path} is corrupt (not a JSON object); run newsidx check --repair")
    version = data.get("schema_version")
    if not isinstance(version, int):
        raise CatalogueError(f"{path} has no schema_version; not a catalogue")
    if version > SCHEMA_VERSION:
        raise CatalogueError(
            f"catalogue {root} has schema version {version}, newer than this newsidx "
            f"reads ({SCHEMA_VERSION}); upgrade newsidx"
        )
    if version < UPGRADABLE_SCHEMA:
        raise CatalogueError(
            f"catalogue {root} has schema version {version}, which this newsidx cannot "
            f"read (it reads {UPGRADABLE_SCHEMA} and {SCHEMA_VERSION}); re-ingest into a "
            "new catalogue"
        )
    if version == UPGRADABLE_SCHEMA:
        data.setdefault("previous_files", [])
    data.setdefault("journal", None)
    missing = [k for k in empty_manifest() if k not in data]
    if missing:
        raise CatalogueError(
            f"{path} is corrupt (missing {', '.join(missing)}); run newsidx check --repair")
    return data


def read_head(root: Path, path: Path) -> dict[str, Any]:
    """The manifest's head keys from its first lines; the full read when anything is odd."""
    try:
        with open(path, "rb") as handle:
            lines = [handle.readline() for _ in range(len(HEAD_KEYS))]
        head = json.loads(b"".join(lines).decode("utf-8").rstrip().rstrip(",") + "}")
    except (OSError, ValueError):
        return read_manifest(root, path)
    if (not isinstance(head, dict) or head.get("schema_version") != SCHEMA_VERSION
            or any(k not in head for k in HEAD_KEYS)):
        return read_manifest(root, path)
    return head


def peek_generation(path: Path) -> int | None:
    """The committed generation from the manifest's first bytes; None when they are not
    what this newsidx writes (the caller then reads the manifest, for its clear errors)."""
    try:
        with open(path, "rb") as handle:
            found = _HEAD.match(handle.read(128))
    except OSError:
        return None
    if found is None or int(found[1]) != SCHEMA_VERSION:
        return None
    return int(found[2])


def referenced(m: Mapping[str, Any]) -> set[str]:
    """The shard segments a manifest names."""
    return {name for entry in m["shards"].values() for name in entry["files"]}


class Counts:
    """The manifest's providers/topics/dates counts and record kinds, kept by the writer
    across commits and updated from the rows it adds and removes."""

    def __init__(self, m: Mapping[str, Any]) -> None:
        self.providers: dict[str, list[Any]] = {
            k: [v.get("name"), int(v["count"]), int(v.get("articles", 0))]
            for k, v in m["providers"].items()
        }
        self.topics = {k: int(v["count"]) for k, v in m["topics"].items()}
        self.dates = {k: int(v["count"]) for k, v in m["dates"].items()}
        totals = m["totals"]
        self.undated = int(totals.get("undated", 0))
        self.kinds = {"article": int(totals["articles"]), "related": int(totals["related"])}

    @classmethod
    def empty(cls) -> Counts:
        return cls(empty_manifest())

    def _apply(self, record: Row, add: bool) -> None:
        delta = 1 if add else -1
        key = record.provider_key
        if key is not None:
            entry = self.providers.setdefault(key, [record.provider_name, 0, 0])
            if entry[0] is None:
                entry[0] = record.provider_name
            entry[1] += delta
            entry[2] += delta if record.kind == "article" else 0
        for topic in set(record.topics):
            self.topics[topic] = self.topics.get(topic, 0) + delta
        day = record.day
        if day:
            self.dates[day] = self.dates.get(day, 0) + delta
        else:
            self.undated += delta
        self.kinds[record.kind] = self.kinds.get(record.kind, 0) + delta

    def add(self, record: Row) -> None:
        self._apply(record, True)

    def remove(self, record: Row) -> None:
        self._apply(record, False)

    def totals(self, totals: dict[str, Any]) -> None:
        totals["records"] = sum(self.dates.values()) + self.undated
        totals["undated"] = self.undated
        totals["articles"] = self.kinds["article"]
        totals["related"] = self.kinds["related"]

    def entries(self) -> Iterator[tuple[str, Iterator[tuple[str, dict[str, Any]]]]]:
        """Each facet key with its entries (sorted, empty ones left out)."""
        yield "providers", (
            (k, {"name": name, "count": count, "articles": articles})
            for k, (name, count, articles) in sorted(self.providers.items()) if count
        )
        yield "topics", _keyed(self.topics)
        yield "dates", _keyed(self.dates)


def _keyed(facet: Mapping[str, int]) -> Iterator[tuple[str, dict[str, Any]]]:
    return ((k, {"count": n}) for k, n in sorted(facet.items()) if n)


def manifest_chunks(head: Mapping[str, Any], facets: Counts) -> Iterator[str]:
    """The manifest as JSON text, piece by piece: ``schema_version`` and ``generation``
    first (for :func:`peek_generation`), then the head keys, one line per facet entry."""
    def dump(value: Any) -> str:
        return json.dumps(value, ensure_ascii=False)

    yield f'{{"schema_version": {SCHEMA_VERSION}, "generation": {int(head["generation"])},\n'
    for key in HEAD_KEYS[1:]:
        yield f" {dump(key)}: {dump(head[key])},\n"
    end = ""
    for key, entries in facets.entries():
        yield f"{end} {dump(key)}: {{"
        sep = "\n"
        for name, entry in entries:
            yield f"{sep}  {dump(name)}: {dump(entry)}"
            sep = ",\n"
        yield "\n }"
        end = ",\n"
    yield "\n}\n"
