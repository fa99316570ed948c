"""Parse workers follow the work and their parent.

``-j 300`` on 3 files started 157 processes and ``-j 100000`` never finished; workers
outlived a ``kill -9`` of their ingest, holding the caller's stdout open.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from test_crash import make_tree

from newsidx import ingest as ingest_module
from newsidx import parsepool, workers
from newsidx.catalogue import Catalogue

NEWSIDX = [sys.executable, "-m", "newsidx"]
LINUX = sys.platform.startswith("linux")


def test_worker_count_follows_jobs_files_and_cores() -> None:
    cores = workers.cores()
    assert workers.worker_count(None) == cores
    assert workers.worker_count(300, 3) == 3
    assert workers.worker_count(100_000) == workers.PER_CORE * cores
    assert workers.worker_count(2, 1000) == 2
    assert workers.worker_count(8, 0) == 1


@pytest.fixture
def pools(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The size of every pool an ingest starts; a size that would flood the machine
    fails at once instead of forking."""
    sizes: list[int] = []

    class Recording(ProcessPoolExecutor):
        def __init__(self, max_workers: int | None = None, **kwargs: Any) -> None:
            sizes.append(max_workers or 0)
            assert max_workers is not None and max_workers <= 64, max_workers
            super().__init__(max_workers, **kwargs)

    monkeypatch.setattr(parsepool, "ProcessPoolExecutor", Recording)
    return sizes


def test_many_jobs_on_three_files_start_no_pool(tmp_path: Path, pools: list[int]) -> None:
    make_tree(tmp_path / "news", 3)
    files = sorted(str(p) for p in (tmp_path / "news").rglob("*.md"))
    report = ingest_module.ingest(files, Catalogue(tmp_path / "cat"), jobs=300)
    assert len(report.new) == 3 and not report.failed
    assert pools == []


def test_a_folder_of_three_files_starts_no_pool(tmp_path: Path, pools: list[int]) -> None:
    """The pool is sized after the walk, by the files there are to read."""
    make_tree(tmp_path / "news", 3)
    report = ingest_module.ingest([tmp_path / "news"], Catalogue(tmp_path / "cat"), jobs=300)
    assert len(report.new) == 3 and not report.failed
    assert pools == []


@pytest.mark.parametrize("jobs", [300, 100_000])
def test_many_jobs_start_a_few_workers_per_core(tmp_path: Path, pools: list[int],
                                                jobs: int) -> None:
    make_tree(tmp_path / "news", 40)
    report = ingest_module.ingest([tmp_path / "news"], Catalogue(tmp_path / "cat"), jobs=jobs)
    assert len(report.new) == 40 and not report.failed
    assert pools and max(pools) <= workers.PER_CORE * workers.cores()


# ----------------------------------------------------------------- kill -9


def _processes() -> Iterator[tuple[int, int, int]]:
    """(pid, parent pid, process group) of every process, from /proc."""
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as handle:
                fields = handle.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue
        yield int(entry), int(fields[1]), int(fields[2])


def _until(check: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.01)
    return check()


def _group(pgid: int) -> list[int]:
    return [pid for pid, _, group in _processes() if group == pgid]


@pytest.mark.slow
@pytest.mark.skipif(not LINUX, reason="parent-death signals and /proc are Linux's")
def test_kill_9_of_an_ingest_leaves_no_worker_and_ends_the_pipeline(tmp_path: Path) -> None:
    make_tree(tmp_path / "news", 3000)
    proc = subprocess.Popen([*NEWSIDX, "--catalogue", str(tmp_path / "cat"), "ingest", "-j",
                             "2", str(tmp_path / "news")], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, start_new_session=True)
    try:
        children: list[int] = []

        def started() -> bool:
            children[:] = [pid for pid, parent, _ in _processes() if parent == proc.pid]
            return len(children) >= 2 or proc.poll() is not None

        assert _until(started, 60) and proc.poll() is None, "no workers seen"
        def detached() -> bool:  # once started, a worker holds none of the caller's stdio
            links = []
            for child in children:
                for fd in (1, 2):
                    with contextlib.suppress(FileNotFoundError):  # gone meanwhile
                        links.append(os.readlink(f"/proc/{child}/fd/{fd}"))
            return bool(links) and all(link == os.devnull for link in links)

        assert _until(detached, 10), "workers keep the caller's stdout or stderr"
        assert proc.poll() is None, "the ingest ended before it could be killed"
        os.kill(proc.pid, signal.SIGKILL)  # the leader only, not its group
        assert proc.wait(timeout=30) == -signal.SIGKILL
        assert _until(lambda: _group(proc.pid) == [], 20), _group(proc.pid)

        read: dict[str, bytes] = {}
        assert proc.stdout is not None and proc.stderr is not None
        streams = {"stdout": proc.stdout, "stderr": proc.stderr}
        readers = [threading.Thread(target=lambda k=k, s=s: read.update({k: s.read()}),
                                    daemon=True) for k, s in streams.items()]
        for thread in readers:
            thread.start()
        for thread in readers:
            thread.join(timeout=20)
        assert set(read) == {"stdout", "stderr"}, "a pipe from the ingest never ended"
    finally:
        for pid in _group(proc.pid):
            os.kill(pid, signal.SIGKILL)
        proc.wait(timeout=30)
