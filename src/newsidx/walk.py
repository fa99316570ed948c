"""Turn ingest roots into candidate files, safely.

The walk is iterative (no recursion limit on deep trees), sorted (stable order), and
never leaves its roots: symbolic links are not followed at all, except a root given
explicitly. A link is reported as skipped with the reason, so is anything that is not
a regular file (FIFO, device, socket, a link to ``/dev/zero``), which is never opened.
Hidden names (starting with ``.``) are skipped unless ``hidden=True``; a root given
explicitly is always walked. Folders named in ``exclude`` (the catalogue) are never
entered: one met inside a root is passed over without a word, as it is no source; a
root inside one is reported as skipped. ``select`` (see ``selection``) gives, per root,
a rule that leaves out more paths with a reason; a folder it leaves out is not entered.
Paths stay ``str`` (``os.fsdecode``), so names
with newlines or non-UTF-8 bytes work; escaping them for display is the caller's job.
"""

from __future__ import annotations

import operator
import os
import stat
from collections.abc import Callable, Iterable, Iterator
from typing import NamedTuple

NOT_REGULAR = "not a regular file"
HIDDEN = "hidden (use --hidden to include it)"
IN_CATALOGUE = "inside the catalogue, not a source"


class WalkEntry(NamedTuple):
    """A candidate file (``skipped`` is None) or a path skipped for the reason given; a
    named tuple, as the walk makes one per file (a frozen dataclass costs 1.7x as much)."""

    path: str
    size: int = 0
    mtime_ns: int = 0
    skipped: str | None = None


def _link_reason(path: str) -> str:
    try:
        target = os.stat(path)
    except OSError as exc:
        if exc.strerror and "Too many levels" in exc.strerror:
            return "symbolic link loop: not followed"
        return "broken symbolic link"
    if stat.S_ISDIR(target.st_mode):
        return "symbolic link to a folder: not followed"
    if not stat.S_ISREG(target.st_mode):
        return NOT_REGULAR
    return "symbolic link: not followed (only files inside the folders given are read)"


_NAME = operator.attrgetter("name")


def _classify(path: str, st: os.stat_result) -> WalkEntry:
    if stat.S_ISLNK(st.st_mode):
        return WalkEntry(path, skipped=_link_reason(path))
    if not stat.S_ISREG(st.st_mode):
        return WalkEntry(path, skipped=NOT_REGULAR)
    return WalkEntry(path, st.st_size, st.st_mtime_ns)


SelectFor = Callable[[str], Callable[[str, bool], "str | None"]]


def walk(roots: Iterable[str | os.PathLike[str]], *, hidden: bool = False,
         exclude: Iterable[str | os.PathLike[str]] = (),
         select: SelectFor | None = None) -> Iterator[WalkEntry]:
    """Yield every regular file under ``roots`` and every path skipped, with its reason.

    Paths are absolute (not resolved: a root that is a link keeps its own name). No
    folder in ``exclude`` is entered, compared by device and inode (so another spelling
    or a link to it is caught too); a missing one excludes nothing.
    """
    excluded: set[tuple[int, int]] = set()
    excluded_paths: list[str] = []
    for folder in exclude:
        try:
            info = os.stat(folder)
        except OSError:
            continue
        excluded.add((info.st_dev, info.st_ino))
        excluded_paths.append(os.path.realpath(folder))
    for root in roots:
        top = os.path.abspath(os.fsdecode(root))
        try:
            st = os.stat(top)
        except OSError as exc:
            yield WalkEntry(top, skipped=f"cannot read: {exc.strerror or exc}")
            continue
        if excluded_paths and _inside(os.path.realpath(top), excluded_paths):
            yield WalkEntry(top, skipped=IN_CATALOGUE)
            continue
        if not stat.S_ISDIR(st.st_mode):
            yield _classify(top, st)
            continue
        yield from _walk_dir(top, hidden, excluded, select(top) if select else None)


def _inside(path: str, folders: list[str]) -> bool:
    return any(path == f or path.startswith(f.rstrip(os.sep) + os.sep) for f in folders)


def _walk_dir(top: str, hidden: bool, excluded: set[tuple[int, int]],
              select: Callable[[str, bool], str | None] | None) -> Iterator[WalkEntry]:
    stack = [top]
    while stack:
        folder = stack.pop()
        try:
            with os.scandir(folder) as it:
                entries = sorted(it, key=_NAME)
        except OSError as exc:
            yield WalkEntry(folder, skipped=f"cannot read folder: {exc.strerror or exc}")
            continue
        subfolders: list[str] = []
        for entry in entries:
            if entry.name.startswith(".") and not hidden:
                yield WalkEntry(entry.path, skipped=HIDDEN)
                continue
            try:
                st = entry.stat(follow_symlinks=False)
            except OSError as exc:
                yield WalkEntry(entry.path, skipped=f"cannot read: {exc.strerror or exc}")
                continue
            is_dir = stat.S_ISDIR(st.st_mode)
            if is_dir and (st.st_dev, st.st_ino) in excluded:
                continue
            reason = select(entry.path, is_dir) if select is not None else None
            if reason is not None:
                yield WalkEntry(entry.path, skipped=reason)
            elif is_dir:
                subfolders.append(entry.path)
            else:
                yield _classify(entry.path, st)
        stack.extend(reversed(subfolders))
