"""A parse worker's job for a file of many articles (a dataset, a feed): hash, read,
prepare.

Kept out of :mod:`newsidx.parsepool` so that the one-article path stays as it was; the
outcome has the shape of :func:`newsidx.parsepool.work`'s, with two more values: that the
file holds many articles (none cites another) and the items that failed; or, for a big
or compressed dataset, ``("stream", sha, size, mtime_ns, kind, gz)``: the writing process
reads it in bounded batches (:mod:`newsidx.streamed`), so no process holds it whole.
"""

from __future__ import annotations

import hashlib
import os
from typing import Any

from newsidx.formats import Kind
from newsidx.formats.dataset import open_dataset, overrides, read_dataset, set_overrides

# a dataset larger than this (or compressed) is streamed by the writing process in
# bounded batches (:mod:`newsidx.streamed`) instead of being handed over whole
STREAM_MIN = 8 * 1024 * 1024
_EXPORT = ("a newsidx export (records with id, kind and sources): read it back by naming "
           "the file, `newsidx ingest FILE`")


def init_worker(parent: int | None, lock_fd: int | None,
                field_map: dict[str, tuple[str, ...] | None], roots: list[str],
                stories: bool = False) -> None:
    """The pool initializer: :func:`newsidx.workers.init_worker`, then the parent's
    ``--map`` overrides, ingest roots and story setting (a forkserver or spawned worker
    does not inherit them)."""
    from newsidx.placement import set_roots
    from newsidx.prepared import set_stories
    from newsidx.workers import init_worker as base

    base(parent, lock_fd)
    set_overrides(field_map)
    set_roots(roots)
    set_stories(stories)


def file_sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


def _read_whole(path: str, gz: bool, max_size: int) -> bytes | None:
    """The file's bytes (uncompressed), or None when there are over ``max_size``."""
    with open_dataset(path, gz) as stream:
        data = stream.read(max_size + 1)
    return None if len(data) > max_size else data


def work_many_articles(path: str, st: os.stat_result, old_sha: str | None, max_size: int,
                       kind: Kind, gz: bool) -> tuple[Any, ...]:
    """The worker outcome for the dataset at ``path``."""
    from newsidx.prepared import Prepared

    if kind == "export":
        return ("skipped", _EXPORT)
    sha = file_sha256(path)
    if sha == old_sha and (kind == "feed" or not overrides()):  # --map: read it again
        return ("same", sha, st.st_size, st.st_mtime_ns)
    if kind == "feed":
        try:
            data = _read_whole(path, gz, max_size)
        except (OSError, EOFError) as exc:
            return ("failed", f"{path}: cannot read: {exc}")
        if data is None:
            return ("failed", f"{path}: feed over the {max_size:,}-byte size limit "
                    "(--max-size); a feed is read whole")
        from newsidx.formats.feed import read_feed

        result = read_feed(data, path)
    elif gz or st.st_size > STREAM_MIN:
        return ("stream", sha, st.st_size, st.st_mtime_ns, kind, gz)
    else:
        result = read_dataset(path, kind, gz, max_size)
    if not result.records:
        if result.failures:
            more = len(result.failures) - 1
            return ("failed", result.failures[0] + (f" (and {more:,} more bad items)"
                                                    if more else ""))
        return ("skipped", f"empty {'feed' if kind == 'feed' else 'dataset'}: no items")
    from newsidx.placement import place

    items = [Prepared.of(record) for record in place(result.records, path)]
    return ("ok", sha, st.st_size, st.st_mtime_ns, items, result.warnings, True,
            result.failures)
