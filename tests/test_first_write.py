"""A read while the first ingest runs (nothing committed, the writer lock held) says the
catalogue is being written, exit 2, instead of "empty: run ingest"."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from newsidx.store.holder import writer_pid

NEWSIDX = [sys.executable, "-m", "newsidx"]
HOLD = """
import sys
from newsidx.catalogue import Catalogue
with Catalogue(sys.argv[1]).writer():
    print("locked", flush=True)
    sys.stdin.read()
"""


def _holding(root: Path) -> subprocess.Popen[str]:
    """A process holding the writer lock the way the store takes it, until its stdin
    closes; returned once it says it holds it."""
    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(root)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline() == "locked\n"
    return proc


def _release(proc: subprocess.Popen[str]) -> None:
    assert proc.stdin is not None
    proc.stdin.close()
    assert proc.wait(timeout=60) == 0


def test_writer_pid_sees_only_a_held_lock(tmp_path: Path) -> None:
    root = tmp_path / "cat"
    assert writer_pid(root) is None  # no catalogue at all
    proc = _holding(root)
    try:
        assert writer_pid(root) == proc.pid
    finally:
        _release(proc)
    assert (root / ".lock").exists() and writer_pid(root) is None  # left behind, not held


@pytest.mark.parametrize("command", [["search", "pier"], ["list"], ["stats"], ["count", "pier"],
                                     ["export"], ["providers"]])
def test_a_read_during_the_first_write(tmp_path: Path, command: list[str]) -> None:
    root = tmp_path / "cat"
    proc = _holding(root)
    try:
        done = subprocess.run([*NEWSIDX, "--catalogue", str(root), *command],
                              capture_output=True, text=True, timeout=60)
    finally:
        _release(proc)
    assert done.returncode == 2, done.stderr
    assert "being written by another newsidx process" in done.stderr
    assert f"pid {proc.pid}" in done.stderr
    assert "empty" not in done.stderr and len(done.stderr.splitlines()) == 1
    assert done.stdout == ""
    # once the writer is gone with nothing committed, the catalogue is plainly empty
    after = subprocess.run([*NEWSIDX, "--catalogue", str(root), *command],
                           capture_output=True, text=True, timeout=60)
    assert "being written" not in after.stderr
