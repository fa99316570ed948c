"""Bytes past a shard file's committed length: what a write killed while it appended left.

No reader reads them (:mod:`newsidx.store.segments` stops at the length the manifest
gives); they are cut off by the next writer when it starts, and by ``newsidx check``
when no writer is running, so that the files are plain JSON Lines at rest again.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from newsidx.errors import CatalogueError
from newsidx.store.segments import committed
from newsidx.store.writelock import take_lock

if TYPE_CHECKING:
    from newsidx.store.catalogue import Catalogue


def tails(root: Path, shards: Mapping[str, Mapping[str, Any]]) -> list[tuple[str, int, int]]:
    """``(segment, committed length, bytes past it)`` of each last segment a killed
    commit (or a hand edit) left longer than the manifest says."""
    found: list[tuple[str, int, int]] = []
    for entry in shards.values():
        for name, size in committed(entry).items():
            if size is None:
                continue
            try:
                extra = (root / name).stat().st_size - size
            except OSError:
                continue
            if extra > 0:
                found.append((name, size, extra))
    return found


def cut(root: Path, shards: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """Cut off every tail (the caller holds the writer lock); one line for each cut."""
    done: list[str] = []
    for name, size, extra in tails(root, shards):
        with contextlib.suppress(OSError):
            os.truncate(root / name, size)
            done.append(f"cut {extra} bytes past the committed end of {name}, left by "
                        "an interrupted write (never read)")
    return done


def cut_tails(catalogue: Catalogue) -> list[str]:
    """For ``newsidx check``: :func:`cut` when there is a tail and no other process is
    writing (a running writer's tail is its commit under way)."""
    if not tails(catalogue.root, catalogue.head()["shards"]):
        return []
    try:
        fd = take_lock(catalogue.root)
    except (CatalogueError, OSError):  # a writer is running, or the folder is read-only
        return []
    try:
        catalogue.reload()
        return cut(catalogue.root, catalogue.head()["shards"])
    finally:
        os.close(fd)
