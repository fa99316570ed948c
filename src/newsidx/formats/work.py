"""A parse worker's job for a file of many articles (a dataset): hash, read, prepare.

Kept out of :mod:`newsidx.ingest` so that the one-article path stays as it was; the
outcome has the shape of :func:`newsidx.ingest.work`'s, with two more values: that the
file holds many articles (none cites another) and the items that failed.
"""

from __future__ import annotations

import hashlib
import os
from typing import Any

from newsidx.formats import Kind
from newsidx.formats.dataset import read_dataset

_EXPORT = ("a newsidx export (records with id, kind and sources): read it back by naming "
           "the file, `newsidx ingest FILE`")


def file_sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


def work_many_articles(path: str, st: os.stat_result, old_sha: str | None, max_size: int,
                       kind: Kind, gz: bool) -> tuple[Any, ...]:
    """The worker outcome for the dataset at ``path``."""
    from newsidx.ingest import Prepared

    if kind == "export":
        return ("skipped", _EXPORT)
    sha = file_sha256(path)
    if sha == old_sha:
        return ("same", sha, st.st_size, st.st_mtime_ns)
    result = read_dataset(path, kind, gz, max_size)
    if not result.records:
        if result.failures:
            more = len(result.failures) - 1
            return ("failed", result.failures[0] + (f" (and {more:,} more bad items)"
                                                    if more else ""))
        return ("skipped", "empty dataset: no items")
    items = [Prepared.of(record) for record in result.records]
    return ("ok", sha, st.st_size, st.st_mtime_ns, items, result.warnings, True,
            result.failures)
