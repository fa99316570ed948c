"""Who holds a catalogue's writer lock, found without touching the lock.

Readers never take the lock (see docs/catalogue.md), and a probe that took it even for
an instant could make a starting ingest fail with "being written by another newsidx
process". So on Linux the lock is looked up in ``/proc/locks`` (the kernel's table of
``flock`` locks, by device and inode); elsewhere the pid the writer wrote into ``.lock``
is taken as the holder while that process lives.
"""

from __future__ import annotations

import os
from pathlib import Path

from newsidx.store.layout import LOCK


def writer_pid(root: Path) -> int | None:
    """The pid of the process writing the catalogue at ``root`` now, else None."""
    path = root / LOCK
    try:
        st = os.stat(path)
        text = path.read_text(encoding="ascii", errors="replace").strip()
    except OSError:
        return None
    pid = int(text) if text.isdigit() else None
    held = _held_in_proc(st)
    if held is not None:
        return (pid or held) if held else None
    return pid if pid is not None and _alive(pid) else None


def _held_in_proc(st: os.stat_result) -> int | None:
    """The pid ``/proc/locks`` gives for a FLOCK on the file, 0 when it lists none, None
    when it cannot be read."""
    try:
        table = Path("/proc/locks").read_text(encoding="ascii", errors="replace")
    except OSError:
        return None
    want = (os.major(st.st_dev), os.minor(st.st_dev), st.st_ino)
    for line in table.splitlines():
        fields = line.split()
        # "1: FLOCK  ADVISORY  WRITE 1234 fd:01:5678 0 EOF" ("->" marks a waiter)
        if len(fields) < 6 or fields[1] != "FLOCK" or "->" in fields:
            continue
        try:
            major, minor, inode = fields[5].split(":")
            if (int(major, 16), int(minor, 16), int(inode)) == want:
                return max(1, int(fields[4]))
        except ValueError:
            continue
    return 0


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
