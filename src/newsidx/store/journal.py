"""A commit's bookkeeping changes, written with its JSON so a crash cannot lose them.

``journal.G.jsonl`` (named by the manifest of generation G) holds the record shards,
deleted ids and file states that commit G gives ``state.db``. It is written before the
manifest and removed once the database has committed the same changes; a writer that
finds the database one commit behind replays it, so a crash in between costs nothing,
where rebuilding would make the next ingest read every file again.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import NamedTuple

from newsidx.store.filestate import FileState
from newsidx.store.layout import dump_line


class Journal(NamedTuple):
    shards: dict[str, str]  # record id -> shard
    deletes: list[str]
    files: dict[str, FileState | None]  # None: the path's state goes


def journal_lines(shards: Mapping[str, str], deletes: Iterable[str],
                  files: Mapping[str, FileState | None]) -> Iterator[str]:
    for rid, shard in shards.items():
        yield dump_line({"id": rid, "shard": shard})
    for rid in deletes:
        yield dump_line({"id": rid, "deleted": True})
    for path, state in files.items():
        yield dump_line(state.to_json(path) if state is not None
                        else {"path": path, "deleted": True})


def read_journal(path: Path) -> Journal:
    """The changes of a journal; raises OSError or ValueError when it cannot be read."""
    journal = Journal({}, [], {})
    with open(path, encoding="utf-8", errors="surrogateescape") as handle:
        for line in handle:
            data = json.loads(line)
            if "path" in data:
                if data.get("deleted"):
                    journal.files[str(data["path"])] = None
                else:
                    name, state = FileState.from_json(data)
                    journal.files[name] = state
            elif data.get("deleted"):
                journal.deletes.append(str(data["id"]))
            else:
                journal.shards[str(data["id"])] = str(data["shard"])
    return journal

