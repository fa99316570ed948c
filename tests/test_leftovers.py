"""A crashed index rebuild's data folder is removed by the next index write or check.

The leftover is planted by hand (a ``data-*`` folder with tantivy files that
``state.json`` does not name), as a rebuild killed before its swap leaves one.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import clirun
import pytest

from newsidx import indexdirs
from newsidx.index import SearchIndex

NEWSIDX = [sys.executable, "-m", "newsidx"]


def newsidx(cat: Path, *args: str) -> clirun.Done:
    return clirun.newsidx(*args, catalogue=cat)


@pytest.fixture
def cat(tmp_path: Path) -> Path:
    news = tmp_path / "news"
    news.mkdir()
    for i in range(3):
        (news / f"s{i}.md").write_text(f"# Quay story {i}\n\nQuay news {i}.\n")
    cat = tmp_path / "cat"
    done = newsidx(cat, "ingest", "-j", "1", str(news))
    assert done.returncode == 0, done.stderr
    return cat


def live(cat: Path) -> str:
    return str(json.loads((cat / "index" / "state.json").read_text())["data"])


def plant(cat: Path) -> Path:
    leftover = cat / "index" / "data-0123456789ab"
    leftover.mkdir()
    (leftover / "meta.json").write_text("{}")
    (leftover / "0a1b.idx").write_bytes(b"\0" * 4096)
    (leftover / ".tantivy-writer.lock").write_text("")
    return leftover


def data_folders(cat: Path) -> list[str]:
    return sorted(p.name for p in (cat / "index").glob("data-*"))


def test_check_removes_a_leftover_and_says_so(cat: Path) -> None:
    leftover = plant(cat)
    done = newsidx(cat, "check", "--format", "json")
    assert done.returncode == 0, done.stdout + done.stderr
    assert not leftover.exists()
    assert data_folders(cat) == [live(cat)]
    assert any(leftover.name in line for line in json.loads(done.stdout)["repaired"])
    assert newsidx(cat, "search", "quay", "--format", "ids").stdout.split()


@pytest.mark.parametrize("write", ["ingest", "reindex"])
def test_the_next_index_write_removes_a_leftover(cat: Path, tmp_path: Path, write: str) -> None:
    leftover = plant(cat)
    if write == "ingest":  # an incremental update of the live index
        more = tmp_path / "more"
        more.mkdir()
        (more / "new.md").write_text("# Quay extra\n\nMore quay news.\n")
        done = newsidx(cat, "ingest", "-j", "1", str(more))
    else:  # a rebuild into a fresh folder
        done = newsidx(cat, "reindex")
    assert done.returncode == 0, done.stderr
    assert not leftover.exists()
    assert data_folders(cat) == [live(cat)]
    expected = 4 if write == "ingest" else 3
    assert len(newsidx(cat, "search", "quay", "--format", "ids").stdout.split()) == expected


def test_a_folder_being_built_is_never_swept(cat: Path) -> None:
    index = SearchIndex(cat / "index")
    with indexdirs.building(index.path, lambda: live(cat)):
        building = plant(cat)  # as a rebuild that has not swapped yet would hold it
        assert index.remove_orphans() == []
        assert building.exists()
    assert index.remove_orphans() == [building.name]
    assert data_folders(cat) == [live(cat)]

