"""The writer lock of a catalogue folder: one newsidx process writes it at a time.

The lock is an ``flock`` on the folder's lock file, which holds the writer's pid so that
a refused writer can name it (readers find the holder through
:mod:`newsidx.store.holder`). A folder that is not a catalogue yet must be empty but
for newsidx's own files, so that a mistyped ``--catalogue`` never writes into a folder
of something else.
"""

from __future__ import annotations

import errno
import fcntl
import os
from pathlib import Path

from newsidx.errors import CatalogueError, LockedError
from newsidx.store.layout import INDEX_DIR, LEGACY_FILES_DIR, LOCK, MANIFEST, RECORDS_DIR
from newsidx.store.settings import SETTINGS

_OWN_NAMES = frozenset({MANIFEST, LOCK, RECORDS_DIR, LEGACY_FILES_DIR, INDEX_DIR, SETTINGS,
                        "state.db",
                        "state.db-journal", "state.db-wal", "state.db-shm"})


def take_lock(root: Path, *, wait: bool = False) -> int:
    """Make ``root`` ready to write and take its writer lock: the locked descriptor,
    which the caller closes to release the lock. LockedError when another process holds
    it (unless ``wait``); CatalogueError for a folder that cannot be a catalogue."""
    _prepare_root(root)
    try:
        fd = os.open(root / LOCK, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    except OSError as exc:
        raise CatalogueError(f"cannot open {root / LOCK} for writing: {exc.strerror or exc}"
                             ) from exc
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except OSError as exc:
            if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise
            holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "unknown"
            raise LockedError(
                f"catalogue {root} is being written by another newsidx process "
                f"(pid {holder}); use --wait to wait"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
    except BaseException:
        os.close(fd)
        raise
    return fd


def _prepare_root(root: Path) -> None:
    try:
        if root.exists():
            if not root.is_dir():
                raise CatalogueError(f"catalogue {root} is not a folder")
            if not (root / MANIFEST).exists():
                foreign = sorted(n for n in os.listdir(root)
                                 if n not in _OWN_NAMES and not n.startswith(".tmp-"))
                if foreign:
                    raise CatalogueError(
                        f"{root} is not empty and holds no {MANIFEST} "
                        f"(found {foreign[0]!r}); choose an empty or new folder"
                    )
        (root / RECORDS_DIR).mkdir(parents=True, exist_ok=True)
    except PermissionError as exc:
        raise CatalogueError(f"cannot write catalogue {root}: permission denied") from exc
