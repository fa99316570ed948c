"""kill -9 a real ingest at random instants: the catalogue stays consistent, loses nothing
committed, and the next ingest finishes the job exactly as a clean ingest would."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from test_ingest import install_fallback_parser, snapshot, write_article

from newsidx.catalogue import Catalogue
from newsidx.ingest import ingest

TESTS = Path(__file__).resolve().parent

_RUN = """
import sys
sys.path.insert(0, sys.argv[3])
from test_ingest import install_fallback_parser
install_fallback_parser()
from newsidx.catalogue import Catalogue
from newsidx.ingest import ingest
ingest([sys.argv[1]], Catalogue(sys.argv[2]), jobs=2, batch_size=150, wait=True)
"""


def make_tree(root: Path, n: int) -> None:
    for i in range(n):
        write_article(
            root / f"f{i % 10}" / f"{i:05d}.md", f"https://example.com/{i}", f"Story {i}",
            day=f"20{10 + i % 14}-{1 + i % 12:02d}-{1 + i % 28:02d}",
            domain=f"site{i % 17}.com",
            related=[(f"https://other.org/{i % 101}", f"R{i % 101}")],
        )


def _generation(root: Path) -> int:
    try:
        return Catalogue(root).generation if (root / "catalogue.json").exists() else 0
    except Exception:  # a manifest being replaced, or not there yet
        return 0


@pytest.mark.slow
def test_kill_9_at_random_points(tmp_path: Path) -> None:
    install_fallback_parser()
    root = tmp_path / "news"
    make_tree(root, 3000)
    target = tmp_path / "crashed"
    rng = random.Random(20240305)
    committed: dict[str, dict[str, Any]] = {}
    generation = 0
    kills = 0
    run = [sys.executable, "-c", _RUN, str(root)]
    finished = False
    # Each run is killed only after it has committed one more batch than the last (an
    # event, not a time), then at a random instant within the next batch or so; so the
    # loop ends, after at most one run per batch, whatever the machine's speed.
    for _ in range(40):
        proc = subprocess.Popen(
            [*run, str(target), str(TESTS)],
            start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )
        while proc.poll() is None and _generation(target) <= generation:
            time.sleep(0.005)
        time.sleep(rng.uniform(0, 0.05))
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            kills += 1
        proc.wait(timeout=30)
        cat = Catalogue(target)
        assert cat.check() == []
        assert cat.generation >= generation
        now = snapshot(cat)
        assert all(now.get(k) == v for k, v in committed.items() if now[k]["kind"] == "article")
        assert committed.keys() <= now.keys()
        committed, generation = now, cat.generation
        if proc.returncode == 0:
            finished = True
            break
    assert finished and kills >= 1

    final = ingest([root], Catalogue(target), jobs=2)
    clean = Catalogue(tmp_path / "clean")
    ingest([root], clean, jobs=2)
    crashed = Catalogue(target)
    assert crashed.check() == []
    assert snapshot(crashed) == snapshot(clean)
    assert crashed.files() == clean.files()
    assert list(crashed.ids()) == list(clean.ids())
    for key in ("providers", "topics", "dates", "totals"):
        assert crashed.manifest()[key] == clean.manifest()[key]
    assert final.records_total == len(clean) == 3101
