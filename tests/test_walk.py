"""The walk: hidden names, symbolic links, deep trees, FIFOs and odd file names."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from newsidx.walk import HIDDEN, IN_CATALOGUE, NOT_REGULAR, WalkEntry, walk


def files(entries: list[WalkEntry]) -> set[str]:
    return {e.path for e in entries if e.skipped is None}


def skipped(entries: list[WalkEntry]) -> dict[str, str]:
    return {e.path: e.skipped for e in entries if e.skipped is not None}


def _remove_deep(top: Path) -> None:
    """Remove a very deep tree bottom-up: shutil.rmtree (and pytest's cleanup) recurse."""
    chain = [top]
    while (chain[-1] / "d").is_dir():
        chain.append(chain[-1] / "d")
    for folder in reversed(chain):
        for entry in folder.iterdir():
            if not entry.is_dir() or entry.is_symlink():
                entry.unlink()
        folder.rmdir()


@pytest.fixture
def fs_cases(shared: Path, tmp_path: Path) -> Iterator[Path]:
    """The generated cases of ../shared/inputs/make_fs_cases.sh, minus the two big files."""
    script = shared / "inputs" / "make_fs_cases.sh"
    root = tmp_path / "cases"
    if shutil.which("mkfifo") is None:
        pytest.skip("mkfifo is not available")
    subprocess.run(["sh", str(script), str(root)], check=True, timeout=120)
    for big in ("fifty-mb.md", "long-line.md"):
        (root / big).unlink()
    yield root
    _remove_deep(root / "deep-tree")


@pytest.mark.slow
def test_generated_cases(fs_cases: Path) -> None:
    entries = list(walk([fs_cases]))
    found = files(entries)
    root = str(fs_cases)
    assert os.path.join(root, "new\nline.md") in found
    assert os.path.join(root, os.fsdecode(b"caf\xe9.md")) in found
    assert os.path.join(root, "unreadable.md") in found
    leaf = os.path.join(root, "deep-tree", *["d"] * 1100, "leaf.md")
    assert leaf in found
    skips = skipped(entries)
    assert skips[os.path.join(root, "fifo.md")] == NOT_REGULAR
    assert skips[os.path.join(root, "zero.md")] == NOT_REGULAR
    assert "not followed" in skips[os.path.join(root, "escape")]
    assert "not followed" in skips[os.path.join(root, "loop")]
    assert not any(p.startswith("/etc") or "/escape/" in p or "/loop/" in p for p in found)
    assert all(p.startswith(root + os.sep) for p in found)


def test_hidden_names(tmp_path: Path) -> None:
    (tmp_path / ".hidden").mkdir()
    (tmp_path / ".hidden" / "secret.md").write_text("x")
    (tmp_path / ".dot.md").write_text("x")
    (tmp_path / "plain.md").write_text("x")
    entries = list(walk([tmp_path]))
    assert files(entries) == {str(tmp_path / "plain.md")}
    assert skipped(entries) == {
        str(tmp_path / ".hidden"): HIDDEN, str(tmp_path / ".dot.md"): HIDDEN
    }
    assert files(list(walk([tmp_path], hidden=True))) == {
        str(tmp_path / p) for p in ("plain.md", ".dot.md", ".hidden/secret.md")
    }
    # A hidden folder given explicitly is walked.
    assert files(list(walk([tmp_path / ".hidden"]))) == {str(tmp_path / ".hidden/secret.md")}


def test_links_inside_the_root_are_not_followed(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("x")
    (tmp_path / "sub").mkdir()
    (tmp_path / "link.md").symlink_to(tmp_path / "a.md")
    (tmp_path / "dirlink").symlink_to(tmp_path / "sub")
    (tmp_path / "broken.md").symlink_to(tmp_path / "missing")
    entries = list(walk([tmp_path]))
    assert files(entries) == {str(tmp_path / "a.md")}
    assert set(skipped(entries)) == {str(tmp_path / n) for n in ("link.md", "dirlink", "broken.md")}


def test_file_roots_sizes_and_missing_roots(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("hello")
    entries = list(walk([tmp_path / "a.md", tmp_path / "missing"]))
    mtime_ns = (tmp_path / "a.md").stat().st_mtime_ns
    assert entries[0] == WalkEntry(str(tmp_path / "a.md"), 5, mtime_ns)
    assert entries[1].path == str(tmp_path / "missing") and entries[1].skipped
    assert len(entries) == 2


def test_order_is_sorted_and_stable(tmp_path: Path) -> None:
    for name in ("b.md", "a.md", "c/z.md", "c/a.md"):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text("x")
    paths = [e.path for e in walk([tmp_path])]
    assert paths == [str(tmp_path / n) for n in ("a.md", "b.md", "c/a.md", "c/z.md")]


@pytest.mark.skipif(os.geteuid() == 0, reason="root can read any folder")
def test_unreadable_folder_is_reported(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    (locked / "a.md").write_text("x")
    locked.chmod(0)
    try:
        assert "cannot read folder" in skipped(list(walk([tmp_path])))[str(locked)]
    finally:
        locked.chmod(0o755)


def test_an_excluded_folder_inside_a_root_is_passed_over_silently(tmp_path: Path) -> None:
    (tmp_path / "news" / "cat" / "records").mkdir(parents=True)
    (tmp_path / "news" / "a.md").write_text("a")
    (tmp_path / "news" / "cat" / "records" / "2024-03.jsonl").write_text("{}")
    (tmp_path / "news" / "catalogue-notes").mkdir()
    (tmp_path / "news" / "catalogue-notes" / "b.md").write_text("b")
    news = tmp_path / "news"
    entries = list(walk([news], exclude=[news / "cat"]))
    assert files(entries) == {str(news / "a.md"), str(news / "catalogue-notes" / "b.md")}
    assert skipped(entries) == {}
    # Another spelling of the same folder (a link to it) excludes it as well.
    (tmp_path / "link").symlink_to(news / "cat")
    assert files(list(walk([news], exclude=[tmp_path / "link"]))) == files(entries)
    # Excluding a folder that does not exist excludes nothing.
    assert len(files(list(walk([news], exclude=[tmp_path / "missing"])))) == 3


def test_a_root_inside_an_excluded_folder_is_reported(tmp_path: Path) -> None:
    (tmp_path / "cat" / "records").mkdir(parents=True)
    (tmp_path / "cat" / "records" / "x.jsonl").write_text("{}")
    roots = [tmp_path / "cat", tmp_path / "cat" / "records" / "x.jsonl"]
    entries = list(walk(roots, exclude=[tmp_path / "cat"]))
    assert files(entries) == set()
    assert set(skipped(entries).values()) == {IN_CATALOGUE}


def test_files_once_ingested_from_inside_the_catalogue_become_stale(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A catalogue ingested as articles by an older newsidx is cleaned up by --prune."""
    import newsidx.ingest as ingest_module
    from newsidx.catalogue import Catalogue

    news = tmp_path / "news"
    news.mkdir()
    (news / "story.md").write_text("---\ntitle: Story\n---\nBody.\n")
    cat = Catalogue(news / "cat")
    ingest_module.ingest([news], cat, jobs=1)
    old_walk = ingest_module.walk
    monkeypatch.setattr(ingest_module, "walk",
                        lambda roots, hidden, exclude, **_: old_walk(roots, hidden=hidden))
    polluted = ingest_module.ingest([news], cat, jobs=1)  # as before the fix
    assert polluted.records_total > 1
    monkeypatch.setattr(ingest_module, "walk", old_walk)
    report = ingest_module.ingest([news], cat, jobs=1)
    assert report.stale and all("/cat/" in path for path in report.stale)
    pruned = ingest_module.ingest([news], cat, jobs=1, prune=True)
    assert pruned.records_total == 1
    assert all(str(news / "cat") not in s for r in cat.iter_records() for s in r.sources)
