"""``newsidx check``: damage to the catalogue or the index is found, reported and repaired."""

from __future__ import annotations

import json
import os
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_ingest import snapshot, write_article

from newsidx.catalogue import Catalogue
from newsidx.check import check, text_lines
from newsidx.cli import cli
from newsidx.errors import LockedError
from newsidx.index import SearchIndex
from newsidx.ingest import index_sync_for, ingest


def _ingest(root: Path, cat: Catalogue) -> None:
    ingest([root], cat, jobs=1, index_sync=index_sync_for(SearchIndex(cat.root / "index")))


@pytest.fixture
def built(tmp_path: Path) -> tuple[Path, Catalogue]:
    root = tmp_path / "news"
    for i in range(6):
        write_article(root / f"{i}.md", f"https://example.com/{i}", f"Story {i}",
                      day=f"2024-0{1 + i % 3}-05",
                      related=[(f"https://other.org/{i % 2}", f"R{i % 2}")])
    (root / "undated.md").write_text("Plain title\n\nNo date here.\n")
    cat = Catalogue(tmp_path / "cat")
    _ingest(root, cat)
    return root, cat


def run(cat: Catalogue, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["--catalogue", str(cat.root), "check", *args])
    return result.exit_code, result.output


def test_consistent_catalogue_exits_zero(built: tuple[Path, Catalogue]) -> None:
    _, cat = built
    code, out = run(cat)
    assert code == 0
    assert out == (f"ok: 9 records at generation {cat.generation}; "
                   "catalogue consistent, index current\n")
    code, out = run(cat, "--format", "json")
    data = json.loads(out)
    assert code == 0 and data["ok"] is True and data["records"] == 9
    assert data["problems"] == [] and data["index_generation"] == cat.generation


def test_empty_catalogue_is_consistent(tmp_path: Path) -> None:
    report = check(Catalogue(tmp_path / "none"))
    assert report.ok and report.records == 0
    assert not (tmp_path / "none").exists()


def test_index_behind_missing_or_different_is_found_and_rebuilt(
        built: tuple[Path, Catalogue]) -> None:
    _, cat = built
    index = SearchIndex(cat.root / "index")
    records = list(cat.iter_records())
    changed = replace(records[0], title="Tampered")
    index.update(upserts=[changed], deletes=[records[1].id], generation=cat.generation)
    report = check(cat)
    assert report.exit_code == 1
    assert any(p.startswith(f"1 record(s) missing from the index: {records[1].id}")
               for p in report.problems)
    assert any(p.startswith(f"1 record(s) different in the index: {records[0].id}")
               for p in report.problems)
    code, out = run(cat)
    assert code == 1 and out.endswith("run `newsidx check --repair`\n")

    code, out = run(cat, "--repair")
    assert code == 0, out
    assert "repaired: rebuilt the search index from the catalogue (9 records)" in out
    assert check(cat).problems == []

    index.update(upserts=[], deletes=[], generation=cat.generation - 1)
    assert check(cat).problems == [
        f"the search index reflects generation {cat.generation - 1}, "
        f"the catalogue is at {cat.generation}"
    ]
    (cat.root / "index" / "state.json").unlink()
    assert check(cat).problems == ["the search index is missing or unreadable"]
    assert check(cat, repair=True).ok and check(cat).ok


@pytest.mark.parametrize("damage", ["truncated", "deleted", "shard", "garbage-line"])
def test_damaged_catalogue_is_rebuilt_from_its_sources(
        built: tuple[Path, Catalogue], damage: str) -> None:
    _, cat = built
    before = snapshot(cat)
    generation = cat.generation
    manifest = cat.root / "catalogue.json"
    shard = cat.root / cat.manifest()["shards"]["2024-02"]["files"][-1]
    if damage == "truncated":
        manifest.write_bytes(manifest.read_bytes()[: manifest.stat().st_size // 2])
    elif damage == "deleted":
        manifest.unlink()
    elif damage == "shard":
        shard.unlink()
    else:  # within the committed bytes: the last committed line is cut short too
        shard.write_text("{not json\n" + shard.read_text())
    code, out = run(cat)
    assert code == 1
    assert out.startswith("problem: ") and "run `newsidx check --repair`" in out

    code, out = run(cat, "--repair")
    assert code == 0, out
    assert "repaired: rebuilt the catalogue at generation" in out
    cat.reload()
    assert cat.check() == []
    assert cat.generation > generation
    assert snapshot(cat) == before
    assert check(cat).ok
    assert not list(cat.root.glob(".newsidx-repair-*"))


def test_a_killed_commits_tail_is_cut_off_by_check(built: tuple[Path, Catalogue]) -> None:
    """Bytes past a shard's committed length (a write killed while it appended) are not
    damage: no reader reads them; ``check`` cuts them off and says so, exit 0."""
    _, cat = built
    before = snapshot(cat)
    shard = cat.root / cat.manifest()["shards"]["2024-02"]["files"][-1]
    whole = shard.read_bytes()
    tail = whole.splitlines(keepends=True)[0] + b'{"id":"torn"'
    shard.write_bytes(whole + tail)
    assert snapshot(Catalogue(cat.root)) == before and Catalogue(cat.root).check() == []
    code, out = run(cat)
    assert code == 0, out
    (repaired,) = [line for line in out.splitlines() if line.startswith("repaired: ")]
    assert shard.name in repaired and str(len(tail)) in repaired
    assert shard.read_bytes() == whole
    code, out = run(cat)
    assert code == 0 and "repaired" not in out


def test_lost_sources_are_salvaged_from_old_shards(built: tuple[Path, Catalogue]) -> None:
    root, cat = built
    before = snapshot(cat)
    article = Catalogue(cat.root).files()[str(root / "0.md")].ids[0]
    (root / "0.md").unlink()
    manifest = cat.root / "catalogue.json"
    manifest.write_text(manifest.read_text()[:50])
    report = check(cat, repair=True)
    assert report.ok, report
    assert any("kept 1 record(s) of 1 source file(s) that are gone" in r for r in report.repaired)
    after = snapshot(cat)
    assert after.keys() == before.keys()
    assert after[article] == before[article]
    again = ingest([root], Catalogue(cat.root), jobs=1)
    assert again.stale == [str(root / "0.md")]


def test_records_nowhere_to_be_found_are_listed(built: tuple[Path, Catalogue]) -> None:
    root, cat = built
    lost = Catalogue(cat.root).files()[str(root / "1.md")].ids[0]
    (root / "1.md").unlink()
    shard = cat.root / cat.manifest()["shards"]["2024-02"]["files"][-1]
    shard.unlink()
    report = check(cat, repair=True)
    assert report.exit_code == 1
    assert report.unrecoverable == [
        f"{root / '1.md'}: source is gone or unreadable and 1 of its record(s) are in no "
        f"readable shard: {lost}"
    ]
    cat.reload()
    assert cat.check() == [] and len(cat) == 8
    lines = list(text_lines(report))
    assert lines[-1] == "1 problem(s) remain"
    assert any(line.startswith("not recovered: ") for line in lines)


def test_lost_bookkeeping_is_rebuilt_from_the_records_sources(
        built: tuple[Path, Catalogue]) -> None:
    """With the manifest and the bookkeeping database both gone, the records' own
    ``sources`` name the files to re-read."""
    _, cat = built
    before = snapshot(cat)
    (cat.root / "catalogue.json").write_text("{")
    for name in ("state.db", "state.db-wal", "state.db-shm"):
        (cat.root / name).unlink(missing_ok=True)
    code, out = run(cat, "--repair")
    assert code == 0, out
    assert "listed in the records' sources" in out
    cat.reload()
    assert snapshot(cat) == before
    assert check(cat).ok


def test_unknown_sources_ask_for_a_re_ingest(built: tuple[Path, Catalogue]) -> None:
    _, cat = built
    manifest = cat.root / "catalogue.json"
    manifest.write_text("{")
    for name in ("state.db", "state.db-wal", "state.db-shm"):
        (cat.root / name).unlink(missing_ok=True)
    for path in (cat.root / "records").iterdir():
        path.write_text("{not a record\n")
    kept = sorted(os.listdir(cat.root / "records"))
    code, out = run(cat, "--repair")
    assert code == 1
    assert "not recovered: the sources are unknown" in out and "re-ingest" in out
    assert manifest.read_text() == "{"
    assert sorted(os.listdir(cat.root / "records")) == kept


def test_repair_takes_the_writer_lock(built: tuple[Path, Catalogue]) -> None:
    _, cat = built
    (cat.root / "index" / "state.json").unlink()
    with Catalogue(cat.root).writer(), pytest.raises(LockedError):
        check(cat, repair=True)
    assert run(cat)[0] == 1
    assert check(cat, repair=True).ok
