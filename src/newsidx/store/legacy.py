"""Schema 3's file states (``files/state.G.jsonl`` and ``delta.G.jsonl``), read once to
move them into the bookkeeping database when such a catalogue is first written."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from newsidx.errors import CatalogueError
from newsidx.store.filestate import FileState


def legacy_states(root: Path, names: Iterable[str]) -> dict[str, FileState]:
    """The file states named by a schema 3 manifest's ``files``, folded in order."""
    states: dict[str, FileState] = {}
    for name in names:
        try:
            with open(root / name, encoding="utf-8", errors="surrogateescape") as handle:
                for line in handle:
                    data = json.loads(line)
                    if data.get("deleted"):
                        states.pop(str(data["path"]), None)
                    else:
                        path, state = FileState.from_json(data)
                        states[path] = state
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            raise CatalogueError(f"{root / name} is corrupt: {exc}; run newsidx check --repair"
                                 ) from exc
    return states
