"""Story grouping against the labelled newsapi set (bench/stories/): the issue's floors."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"


def _storyeval():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("bench_storyeval", BENCH / "storyeval.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow  # a few seconds of whole ingests: run by .ci/run's full suite
def test_pair_precision_and_recall_meet_the_floors(shared: Path, tmp_path: Path) -> None:
    if not (shared / "feeds" / "newsapi-2023").is_dir():
        pytest.skip("../shared/feeds/newsapi-2023 is not present")
    result = _storyeval().evaluate(shared, tmp_path, background=50)
    assert result.rows == 116 and result.stories == 59
    assert result.precision >= 0.95, result.false_merges
    assert result.recall >= 0.80, result.missed
