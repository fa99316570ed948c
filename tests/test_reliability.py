"""Faults: kill -9 during reindex and prune, a full disk, a read-only catalogue, two writers."""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_crash import make_tree
from test_ingest import snapshot

from newsidx.catalogue import Catalogue
from newsidx.check import check

NEWSIDX = [sys.executable, "-m", "newsidx"]


def newsidx(cat: Path, *args: str, wait: bool = True) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen([*NEWSIDX, "--catalogue", str(cat), *args],
                            start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if wait:
        proc.wait(timeout=120)
    return proc


def timed(cat: Path, *args: str) -> float:
    start = time.monotonic()
    assert newsidx(cat, *args).returncode == 0
    return time.monotonic() - start


def kill_at_random(cat: Path, args: list[str], rng: random.Random, tries: int,
                   window: float, *, until_done: bool) -> Iterator[int]:
    """Start ``newsidx args`` up to ``tries`` times, SIGKILL each at a random instant
    within ``window`` seconds; stop at the first run that finishes if ``until_done``."""
    for _ in range(tries):
        proc = newsidx(cat, *args, wait=False)
        time.sleep(rng.uniform(0.05, window))
        killed = proc.poll() is None
        if killed:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=60)
        yield int(killed)
        if not killed:
            assert proc.returncode == 0, proc.stderr.read() if proc.stderr else ""
            if until_done:
                return


@pytest.mark.slow
def test_kill_9_during_reindex_and_prune(tmp_path: Path) -> None:
    root = tmp_path / "news"
    make_tree(root, 800)
    cat = tmp_path / "cat"
    assert newsidx(cat, "ingest", str(root)).returncode == 0
    before = snapshot(Catalogue(cat))
    rng = random.Random(7)

    kills = 0
    window = timed(cat, "reindex")
    for killed in kill_at_random(cat, ["reindex"], rng, 8, window, until_done=False):
        kills += killed
        assert Catalogue(cat).check() == []
        assert snapshot(Catalogue(cat)) == before
        assert check(Catalogue(cat), repair=True).ok
        assert check(Catalogue(cat)).problems == []
    assert kills >= 4

    gone = sorted(root.rglob("*.md"))[::2]
    for path in gone:
        path.unlink()
    gone_ids = {Catalogue(cat).files()[str(p)].ids[0] for p in gone}
    kept = {k: v for k, v in before.items() if k not in gone_ids and v["kind"] == "article"}
    prune_kills = 0
    rehearsal = tmp_path / "rehearsal"
    shutil.copytree(cat, rehearsal)
    window = timed(rehearsal, "ingest", "--prune", str(root))  # the same prune, on a copy
    for killed in kill_at_random(cat, ["ingest", "--prune", str(root)], rng, 10, window,
                                 until_done=True):
        prune_kills += killed
        now = snapshot(Catalogue(cat))
        assert Catalogue(cat).check() == []
        assert all(now[k] == v for k, v in kept.items())  # no surviving file's record lost
        report = check(Catalogue(cat), repair=True)
        assert report.ok, report
    assert prune_kills >= 4
    final = newsidx(cat, "ingest", "--prune", str(root))
    assert final.returncode == 0
    after = snapshot(Catalogue(cat))
    assert not gone_ids & after.keys()
    assert {k for k, v in after.items() if v["kind"] == "article"} == kept.keys()
    assert check(Catalogue(cat)).ok


@pytest.fixture
def small_fs(tmp_path: Path) -> Iterator[Path]:
    """A 2 MiB tmpfs (skips where mount is not permitted)."""
    mnt = tmp_path / "fs"
    mnt.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mnt)],
                          capture_output=True, check=False)
    if done.returncode != 0:
        pytest.skip("cannot mount a tmpfs here")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)


def _one_line_error(proc: subprocess.Popen[bytes]) -> str:
    assert proc.stderr is not None
    err = proc.stderr.read().decode()
    assert proc.returncode == 2, err  # an error (ExitCode.ERROR)
    assert "Traceback" not in err, err[-1500:]
    errors = [line for line in err.splitlines() if line.startswith("newsidx: error: ")]
    assert len(errors) == 1, err
    return errors[0]


@pytest.mark.parametrize("fault", ["full", "read-only"])
def test_full_or_read_only_disk_keeps_the_old_catalogue(
        small_fs: Path, tmp_path: Path, fault: str) -> None:
    root = tmp_path / "news"
    make_tree(root, 20)
    cat = small_fs / "cat"
    assert newsidx(cat, "ingest", str(root)).returncode == 0
    before = snapshot(Catalogue(cat))
    make_tree(tmp_path / "more", 400)
    if fault == "full":
        with open(small_fs / "filler", "wb", buffering=0) as handle, pytest.raises(OSError):
            while True:
                handle.write(b"\0" * 65536)
    else:
        subprocess.run(["mount", "-o", "remount,ro", str(small_fs)], check=True)
    line = _one_line_error(newsidx(cat, "ingest", str(tmp_path / "more")))
    assert str(cat) in line
    assert Catalogue(cat).check() == []
    assert snapshot(Catalogue(cat)) == before


@pytest.mark.slow
def test_two_ingests_at_once(tmp_path: Path) -> None:
    root = tmp_path / "news"
    make_tree(root, 600)
    cat = tmp_path / "cat"
    first = newsidx(cat, "ingest", str(root), wait=False)
    second = newsidx(cat, "ingest", str(root), wait=False)
    codes = sorted((first.wait(120), second.wait(120)))
    errs = [p.stderr.read().decode() for p in (first, second) if p.stderr]
    assert codes[0] == 0
    if codes[1] != 0:  # the loser fails at once with one clear line
        assert codes[1] == 2  # locked: an error (ExitCode.ERROR)
        assert any("is being written by another newsidx process" in e and "--wait" in e
                   for e in errs)
    assert check(Catalogue(cat)).ok
    assert len(Catalogue(cat)) == 701

    (root / "f0" / "extra.md").write_text("Extra story\n\nbody\n")
    waiting = [newsidx(cat, "ingest", "--wait", str(root), wait=False) for _ in range(2)]
    assert [p.wait(120) for p in waiting] == [0, 0]
    assert check(Catalogue(cat)).ok and len(Catalogue(cat)) == 702
