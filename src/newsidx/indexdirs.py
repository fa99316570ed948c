"""Housekeeping of the index folder: leftovers of crashed rebuilds, read-only opening.

A rebuild writes a fresh ``data-<hex>/`` and, once ``state.json`` names it, removes the
folder it replaced; a rebuild killed before that leaves its half-built folder behind,
which nothing would ever name or remove. Every rebuild therefore holds ``.build.lock``
(a shared ``flock``) from before it creates its folder until ``state.json`` names it,
and a sweep removes the data folders ``state.json`` does not name only while it holds
that lock exclusively: no other rebuild runs, so none of those folders is being built.

tantivy takes a lock file in the data folder even to read (``.tantivy-meta.lock``), so
a person who may read but not write the catalogue, or read-only media, could not
search. :func:`open_data` then opens the index through a private folder of symbolic
links to its files, where that lock can be taken, and removes it once the files are
open.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import tantivy

from newsidx.errors import CatalogueError

BUILD_LOCK = ".build.lock"
_DATA_NAME = re.compile(r"data-[0-9a-f]+")
_TANTIVY_LOCK = re.compile(r"\.tantivy-.*\.lock")
_META_LOCK = ".tantivy-meta.lock"


@contextlib.contextmanager
def building(path: Path, live: Callable[[], str | None]) -> Iterator[None]:
    """Hold the build lock of the index folder ``path`` while a rebuild writes its data
    folder; first sweep the leftovers, unless another rebuild is running."""
    path.mkdir(parents=True, exist_ok=True)
    fd = os.open(path / BUILD_LOCK, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fcntl.flock(fd, fcntl.LOCK_SH)
        else:
            _remove_orphans(path, live())
            fcntl.flock(fd, fcntl.LOCK_SH)
        yield
    finally:
        os.close(fd)  # releases the lock


def sweep(path: Path, live: Callable[[], str | None]) -> list[str]:
    """Remove the data folders under ``path`` that ``live()`` (the name ``state.json``
    gives) is not, unless a rebuild is running; returns the names removed. An index
    folder that cannot be written (read-only media) is left as it is."""
    if not path.is_dir():
        return []
    try:
        fd = os.open(path / BUILD_LOCK, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    except OSError:
        return []
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return []
        return _remove_orphans(path, live())
    finally:
        os.close(fd)


def _remove_orphans(path: Path, keep: str | None) -> list[str]:
    try:
        names = sorted(entry.name for entry in os.scandir(path)
                       if _DATA_NAME.fullmatch(entry.name) and entry.name != keep
                       and entry.is_dir(follow_symlinks=False))
    except OSError:
        return []
    import shutil  # a sweep or a read-only open needs it; a search starts faster without

    removed = []
    for name in names:
        shutil.rmtree(path / name, ignore_errors=True)
        if not (path / name).exists():
            removed.append(name)
    return removed


def open_data(folder: Path) -> tantivy.Index:
    """The tantivy index in the data folder ``folder``, also when it may not be written.

    Opened read-only, the index is a snapshot: it is not reloaded when a writer commits,
    which no reader that cannot write would see happen within one command anyway.
    """
    lock = folder / _META_LOCK
    if os.access(folder, os.W_OK) and (not lock.exists() or os.access(lock, os.W_OK)):
        return tantivy.Index.open(str(folder))
    try:
        import shutil
        import tempfile

        shadow = tempfile.mkdtemp(prefix="newsidx-index-")
    except OSError as exc:
        raise CatalogueError(f"{folder}: the search index is read-only, and reading it needs "
                             f"a writable temporary folder: {exc.strerror or exc}") from None
    try:
        for entry in os.scandir(folder):
            if not _TANTIVY_LOCK.fullmatch(entry.name):
                os.symlink(entry.path, os.path.join(shadow, entry.name))
        index = tantivy.Index.open(shadow)
        index.config_reader("manual")  # opens every segment file; no watcher of the shadow
        return index
    except OSError as exc:
        raise CatalogueError(f"{folder}: cannot read the search index: "
                             f"{exc.strerror or exc}") from None
    finally:
        # tantivy's threads may still create a lock file in the shadow while it is being
        # removed (rmdir then fails, unseen): try again until it is gone.
        for _ in range(5):
            shutil.rmtree(shadow, ignore_errors=True)
            if not os.path.lexists(shadow):
                break
