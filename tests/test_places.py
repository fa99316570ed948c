"""Record places (segment file, offset, length) in the bookkeeping: kept true by every
commit, fold and repair, and never trusted blindly: a stale place or a damaged line costs
a scan of the shard and a note, not a wrong or lost record."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

import clirun
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_ingest import install_fallback_parser, write_article

from newsidx.ingest import ingest
from newsidx.model import Article, make_id, to_json
from newsidx.store import Catalogue, places
from newsidx.store.layout import record_line
from newsidx.store.places import stale_count

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
_MONTHS = [None, datetime(2024, 3, 5, tzinfo=timezone.utc),
           datetime(2024, 4, 1, tzinfo=timezone.utc)]


def _record(n: int, version: int, month: int) -> Article:
    return Article(id=make_id(url=f"https://example.com/{n}"), kind="article",
                   title=f"t{n} v{version}", body="x" * (version * 7 % 50),
                   published=_MONTHS[month])


def _check_places(cat: Catalogue, model: dict[str, Article]) -> None:
    """Every live record has a place holding exactly its line, in a file the manifest
    names; no other id has one; reads need no scan."""
    cat.reload()
    notes: list[str] = []
    cat.notify = notes.append
    book = cat.bookkeeping()
    assert book is not None and book.has_places
    placed = book.places_of([*model, *(make_id(url=f"https://example.com/{n}")
                                       for n in range(8))])
    assert placed.keys() == model.keys()
    named = {n for e in cat.head()["shards"].values() for n in e["files"]}
    for rid, (name, offset, length) in placed.items():
        assert name in named
        with open(cat.root / name, "rb") as handle:
            handle.seek(offset)
            line = handle.read(length).decode("utf-8")
        assert line == record_line(to_json(model[rid]))
    assert cat.get_many(model) == model
    assert notes == []


_commit = st.tuples(
    st.lists(st.tuples(st.integers(0, 7), st.integers(0, 2)), max_size=5),  # upserts
    st.lists(st.integers(0, 7), max_size=2),  # deletes
    st.booleans(),  # compact: the last commit of a write
)


@pytest.mark.slow
@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(st.lists(st.lists(_commit, min_size=1, max_size=6), min_size=1, max_size=3))
def test_places_match_a_model(tmp_path_factory: pytest.TempPathFactory,
                              writes: list[list[tuple[list[tuple[int, int]], list[int], bool]]],
                              ) -> None:
    """Any writes of upserts (moving records between shards), deletes, merged segments
    and folds leave every live record's place pointing at its current line."""
    cat = Catalogue(tmp_path_factory.mktemp("places") / "cat")
    _run_writes(cat, writes, lambda model: _check_places(cat, model), fold_last=True)


Writes = list[list[tuple[list[tuple[int, int]], list[int], bool]]]


def _run_writes(cat: Catalogue, writes: Writes, check: Callable[[dict[str, Article]], None],
                *, fold_last: bool = False) -> dict[str, Article]:
    """Commit ``writes`` (per write, per commit: upserts as (n, month), deletes, compact)
    and call ``check`` with the live records after each commit; the records left."""
    model: dict[str, Article] = {}
    version = 0
    for commits in writes:
        with cat.writer() as writer:
            for number, (upserts, deletes, compact) in enumerate(commits, 1):
                records = {}
                for n, month in upserts:
                    version += 1
                    record = _record(n, version, month)
                    records[record.id] = record
                gone = {make_id(url=f"https://example.com/{n}") for n in deletes}
                gone -= records.keys()
                writer.commit(upserts=list(records.values()), deletes=sorted(gone), files={},
                              compact=compact or (fold_last and number == len(commits)))
                for rid in gone:
                    model.pop(rid, None)
                model.update(records)
                check(model)
    return model


def _ingested(tmp_path: Path) -> Path:
    cat = tmp_path / "cat"
    done = newsidx(cat, "ingest", str(SEEDS))
    assert done.returncode == 0, done.stderr
    return cat


def newsidx(cat: Path, *args: str) -> clirun.Done:
    return clirun.newsidx(*args, catalogue=cat)


def _outputs(cat: Path) -> dict[str, str]:
    runs = {f"search {f}": ("search", "Alibaba", "--sort", "newest", "--limit", "50",
                                 "--format", f)
            for f in ("json", "jsonl", "csv", "ids")}
    runs.update({f"list {f}": ("list", "--limit", "50", "--format", f)
                 for f in ("json", "jsonl", "csv", "ids")})
    runs["export"] = ("export", "--format", "jsonl")
    runs["export query"] = ("export", "Tencent", "--format", "jsonl")
    out = {}
    for name, args in runs.items():
        done = newsidx(cat, *args)
        assert done.returncode == 0, (name, done.stderr)
        out[name] = done.stdout
    out["export"] = "".join(sorted(out["export"].splitlines(True)))  # storage order aside
    ids = sorted(json.loads(line)["id"] for line in out["export"].splitlines())
    out["show"] = newsidx(cat, "show", "--format", "json", *ids).stdout
    return out


@pytest.mark.slow
def test_stale_places_fall_back_to_the_shard_with_one_note(tmp_path: Path) -> None:
    cat = _ingested(tmp_path)
    before = _outputs(cat)
    db = sqlite3.connect(cat / "state.db")
    db.execute("UPDATE records SET offset = offset + 3")  # every place now stale
    db.commit()
    db.close()
    done = newsidx(cat, "search", "Alibaba", "--sort", "newest", "--limit", "50",
                   "--format", "jsonl")
    assert done.returncode == 0
    assert done.stdout == before["search jsonl"]
    (note,) = done.stderr.strip().splitlines()
    assert "bookkeeping" in note and str(cat) in note
    assert _outputs(cat) == before
    found = newsidx(cat, "check")
    assert found.returncode == 1 and "state.db" in found.stdout + found.stderr
    assert newsidx(cat, "check", "--repair").returncode == 0
    assert newsidx(cat, "check").returncode == 0
    after = newsidx(cat, "search", "Alibaba", "--sort", "newest", "--limit", "50",
                   "--format", "jsonl")
    assert after.stdout == before["search jsonl"] and after.stderr == ""


def test_a_damaged_line_leaves_the_other_hits_whole(tmp_path: Path) -> None:
    cat = _ingested(tmp_path)
    whole = [json.loads(x) for x in
             newsidx(cat, "search", "Alibaba", "--sort", "newest", "--limit", "50",
                   "--format", "jsonl")
             .stdout.splitlines()]
    victim = whole[1]["id"]
    db = sqlite3.connect(cat / "state.db")
    shard, gen, offset, length = db.execute(
        "SELECT shard, gen, offset, length FROM records WHERE id = ?", (victim,)).fetchone()
    db.close()
    name = f"records/{shard}.{gen}.jsonl"
    data = bytearray((cat / name).read_bytes())
    data[offset + length // 2] = ord("\x01")  # not JSON any more, same length
    (cat / name).write_bytes(bytes(data))
    done = newsidx(cat, "search", "Alibaba", "--sort", "newest", "--limit", "50",
                   "--format", "jsonl")
    assert done.returncode == 0 and "Traceback" not in done.stderr
    left = [json.loads(x) for x in done.stdout.splitlines()]
    unranked = [{k: v for k, v in r.items() if k != "rank"} for r in whole if r["id"] != victim]
    assert [{k: v for k, v in r.items() if k != "rank"} for r in left] == unranked
    notes = [x for x in done.stderr.splitlines() if "could not be read" in x]
    assert len(notes) == 1 and "1 matching record" in notes[0] and "check" in notes[0]


@pytest.mark.slow
def test_places_are_true_after_repair(tmp_path: Path) -> None:
    cat = _ingested(tmp_path)
    before = _outputs(cat)
    shards = json.loads((cat / "catalogue.json").read_text())["shards"]
    _, entry = max(shards.items(), key=lambda kv: kv[1]["count"])
    (cat / entry["files"][0]).write_text("")  # a lost shard: repaired from the sources
    assert newsidx(cat, "check", "--repair").returncode == 0
    catalogue = Catalogue(cat)
    model = {r.id: r for r in catalogue.iter_records()}
    _check_places(catalogue, model)
    after = _outputs(cat)  # storage order (so ties in list order) may differ after a repair
    for name in ("export", "show", "export query"):
        assert after[name] == before[name] or sorted(after[name].splitlines()) == sorted(
            before[name].splitlines()), name
    assert sorted(after["search ids"].split()) == sorted(before["search ids"].split())


@pytest.mark.slow
def test_a_lost_database_gets_its_places_back_from_reindex(tmp_path: Path) -> None:
    cat = _ingested(tmp_path)
    before = _outputs(cat)
    for suffix in ("", "-wal", "-shm"):
        (cat / f"state.db{suffix}").unlink(missing_ok=True)
    assert _outputs(cat) == before  # no bookkeeping: read from the shards, no note
    assert newsidx(cat, "reindex").returncode == 0
    catalogue = Catalogue(cat)
    _check_places(catalogue, {r.id: r for r in catalogue.iter_records()})
    assert _outputs(cat) == before


def _true_places(cat: Catalogue) -> None:
    """Every stored record's place holds exactly its current line, as the shards say."""
    cat.reload()
    book = cat.bookkeeping()
    assert book is not None and book.has_places
    live: dict[str, tuple[str, int, int]] = {}
    for entry in cat.head()["shards"].values():
        latest: dict[str, tuple[str, int, int] | None] = {}
        for name in entry["files"]:
            latest.update(places.scan(cat.root, name))
        live.update({rid: p for rid, p in latest.items() if p is not None})
    assert book.places_of(live) == live
    assert book.record_count() == len(live)
    assert stale_count(cat) == 0


def test_the_writer_places_lines_as_it_writes_them(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """Upserts, moves between months, deletes, merged segments and folds, across writes,
    leave every place true, and no commit reads a segment back to find them."""
    cat = Catalogue(tmp_path / "cat")
    writes: Writes = [  # per write, per commit: (upserts (n, month), deletes, compact)
        [([(0, 0), (1, 1), (2, 1), (3, 2)], [], False), ([(4, 1)], [], False),
         ([(5, 1)], [], False), ([(1, 2), (6, 1)], [2], False), ([(7, 0)], [0], True)],
        [([(2, 1)], [], False), ([(3, 1), (4, 1)], [], False), ([], [5], False),
         ([(5, 0)], [1], False), ([], [], True)],
        [([(n, n % 3) for n in range(8)], [], True)],
        [([], list(range(8)), True)],
    ]
    with cat.writer() as writer:
        writer.book  # noqa: B018 - open (and fill) the bookkeeping before scans are refused
    monkeypatch.setattr(places, "scan", _no_scan)

    def check(model: dict[str, Article]) -> None:
        with monkeypatch.context() as scanning:
            scanning.setattr(places, "scan", _real_scan)
            _check_places(cat, model)
            _true_places(cat)

    assert _run_writes(cat, writes, check) == {}


def test_places_stay_true_through_ingest_updates_and_prune(tmp_path: Path) -> None:
    """An ingest in several batches, then edits, moves to another month and deletions
    with --prune: every record's place points at its line after each run."""
    install_fallback_parser()
    root = tmp_path / "news"
    for i in range(12):
        write_article(root / f"{i:02d}.md", f"https://example.com/{i}", f"Story {i}",
                      day=f"2024-0{1 + i % 3}-05", related=[(f"https://o.org/{i % 4}", "R")])
    cat = Catalogue(tmp_path / "cat")
    ingest([root], cat, jobs=1, batch_size=4)
    _true_places(cat)
    for i in (1, 5):
        write_article(root / f"{i:02d}.md", f"https://example.com/{i}", f"Story {i} bis",
                      day="2023-12-24")
    (root / "07.md").unlink()
    ingest([root], cat, jobs=1, batch_size=1)
    _true_places(cat)
    ingest([root], cat, jobs=1, batch_size=2, prune=True)
    _true_places(cat)
    assert len({r.id for r in cat.iter_records() if r.kind == "article"}) == 11


_real_scan = places.scan


def _no_scan(root: Path, name: str) -> None:
    raise AssertionError(f"{name} was read back to find its places")
