"""docs/api.md is true: its examples run as doctests against a fresh catalogue of the seeds."""

from __future__ import annotations

import doctest
import shutil
from pathlib import Path

DOC = Path(__file__).resolve().parent.parent / "docs" / "api.md"


def test_api_examples_run(tmp_path: Path, seeds: Path) -> None:
    copy = tmp_path / "seeds"
    shutil.copytree(seeds, copy)
    import newsidx

    globs = {name: getattr(newsidx, name) for name in ("Archive", "Filters")}
    globs.update(root=tmp_path / "catalogue", seeds=copy)
    result = doctest.testfile(str(DOC), module_relative=False, globs=globs, verbose=False,
                              optionflags=doctest.ELLIPSIS, raise_on_error=False)
    assert result.attempted >= 30  # the examples were found and run
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed"
