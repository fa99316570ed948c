"""Reads of a catalogue the user may not write: a non-root user, and read-only media.

tantivy takes a lock file even to read, so ``list`` and ``search`` by a user who may
only read the catalogue raised ``Failed to acquire Lockfile: Permission denied``. The
catalogue here is written by the test's own user and read as another: as ``nobody``
through ``setpriv`` when the tests run as root, else by the same user after taking
write permission away. A read-only bind mount covers read-only media; each variant
skips where it cannot be set up.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

NEWSIDX = [sys.executable, "-m", "newsidx"]
NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]


def _run(prefix: list[str], cat: Path, *args: str, tmp: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TMPDIR": str(tmp)}
    return subprocess.run([*prefix, *NEWSIDX, "--catalogue", str(cat), *args],
                          capture_output=True, text=True, timeout=120, check=False, env=env)


@pytest.fixture
def place() -> Iterator[Path]:
    """A folder every user may enter (pytest's own temporary folders are private)."""
    path = Path(tempfile.mkdtemp(prefix="newsidx-ro-test-"))
    path.chmod(0o755)
    try:
        yield path
    finally:
        for top, dirs, _ in os.walk(path):
            for name in dirs:
                os.chmod(os.path.join(top, name), 0o755)
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def written(place: Path) -> Path:
    news = place / "news"
    news.mkdir()
    for i in range(3):
        (news / f"p{i}.md").write_text(
            f"---\ntitle: Pier story {i}\ndate: 2024-03-0{i + 1}\ntopics: [Ports]\n"
            f"provider: {{name: Pier Post, domain: pier.example}}\n---\n\nPier news {i}.\n")
    cat = place / "cat"
    done = subprocess.run([*NEWSIDX, "--catalogue", str(cat), "ingest", "-j", "1", str(news)],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    for top, dirs, files in os.walk(place):
        for name in dirs:
            os.chmod(os.path.join(top, name), 0o755)
        for name in files:
            os.chmod(os.path.join(top, name), 0o644)
    return cat


@pytest.fixture
def scratch(place: Path) -> Path:
    """The reader's TMPDIR, to prove it is left empty."""
    path = place / "tmp"
    path.mkdir()
    path.chmod(0o1777)
    return path


@pytest.fixture(params=["other-user", "read-only-mount"])
def reader(request: pytest.FixtureRequest, written: Path,
           place: Path, scratch: Path) -> Iterator[tuple[list[str], Path]]:
    """(command prefix, catalogue path) for a process that may read but not write it."""
    if request.param == "other-user":
        if os.geteuid() == 0:
            probe = subprocess.run([*NOBODY, sys.executable, "-c", "import newsidx"],
                                   capture_output=True, check=False)
            if probe.returncode != 0:
                pytest.skip("cannot run newsidx as another user here")
            yield NOBODY, written
        else:
            for top, dirs, files in os.walk(written):
                for name in [*dirs, *files]:
                    os.chmod(os.path.join(top, name), 0o555 if name in dirs else 0o444)
                os.chmod(top, 0o555)
            yield [], written
        return
    mnt = place / "mnt"
    mnt.mkdir()
    bind = subprocess.run(["mount", "--bind", str(written), str(mnt)], capture_output=True,
                          check=False)
    if bind.returncode != 0:
        pytest.skip("cannot bind-mount here")
    try:
        ro = subprocess.run(["mount", "-o", "remount,ro,bind", str(mnt)], capture_output=True,
                            check=False)
        if ro.returncode != 0:
            pytest.skip("cannot make a bind mount read-only here")
        yield [], mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)


READS = [
    ("list", "--format", "ids"), ("search", "pier", "--format", "ids"),
    ("search", "pier", "--sort", "newest"), ("list", "--format", "json"),
    ("providers",), ("topics",), ("stats",), ("timeline", "pier", "--format", "json"),
    ("export", "--format", "jsonl"), ("check",),
]


@pytest.mark.slow
def test_every_read_works_on_a_current_index(reader: tuple[list[str], Path],
                                             scratch: Path) -> None:
    prefix, cat = reader
    probe = _run(prefix, cat, "ingest", str(cat.parent / "news"), tmp=scratch)
    assert probe.returncode != 0  # the catalogue really cannot be written
    for args in READS:
        done = _run(prefix, cat, *args, tmp=scratch)
        assert done.returncode == 0, (args, done.stderr)
        assert done.stderr == "", (args, done.stderr)
        assert done.stdout.strip(), args
    ids = _run(prefix, cat, "search", "pier", "--format", "ids", tmp=scratch).stdout.split()
    assert len(ids) == 3
    shown = _run(prefix, cat, "show", ids[0], tmp=scratch)
    assert shown.returncode == 0 and "Pier story" in shown.stdout
    assert list(scratch.iterdir()) == []  # nothing left in the reader's temporary folder


@pytest.fixture
def stale(written: Path) -> Path:
    """The catalogue with its index one generation behind, as after a crashed update."""
    state_file = written / "index" / "state.json"
    state = json.loads(state_file.read_text())
    state_file.write_text(json.dumps({**state, "generation": state["generation"] - 1}))
    return written


def test_a_stale_index_that_cannot_be_rebuilt_is_one_line(
        stale: Path, reader: tuple[list[str], Path], scratch: Path) -> None:
    prefix, cat = reader
    for args in (("list",), ("search", "pier"), ("providers",)):
        done = _run(prefix, cat, *args, tmp=scratch)
        assert done.returncode != 0 and done.stdout == "", args
        assert "Traceback" not in done.stderr
        lines = done.stderr.splitlines()
        assert len(lines) == 1 and lines[0].startswith("newsidx: error: "), done.stderr
        assert str(cat) in lines[0]
