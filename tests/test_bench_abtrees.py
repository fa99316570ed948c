"""bench/abtrees.py: two trees' cold ingests of one folder, alternating, as JSON."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_two_trees_ingest_the_seeds_in_turn() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "abtrees.py"), "--rounds", "2",
         str(ROOT / "seeds"), f"a={ROOT / 'src'}", f"b={ROOT / 'src'}"],
        capture_output=True, text=True, check=False, timeout=300)
    assert done.returncode == 0, done.stderr
    trees = json.loads(done.stdout)["trees"]
    assert list(trees) == ["a", "b"]
    for tree in trees.values():
        assert len(tree["runs"]) == 2
        assert all(run["wall_s"] > 0 and run["cpu_s"] > 0 for run in tree["runs"])
    assert trees["b"]["wall_vs_a"] > 0
    # the order alternates: round 1 runs a then b, round 2 b then a
    order = [line.split()[2].rstrip(":") for line in done.stderr.splitlines()
             if line.startswith("round ")]
    assert order == ["a", "b", "b", "a"]


def test_a_tree_without_the_package_is_refused(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "abtrees.py"), str(ROOT / "seeds"),
         f"x={tmp_path}"], capture_output=True, text=True, check=False, timeout=60)
    assert done.returncode == 2 and f"x={tmp_path}" in done.stderr
    assert done.stdout == ""
