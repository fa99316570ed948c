"""The catalogue store: round trip, manifest keys, lookups, lock, schema, corruption."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from newsidx.errors import CatalogueError, LockedError, NotFoundError
from newsidx.model import Article, Provider, make_id, to_json
from newsidx.store import MANIFEST, SCHEMA_VERSION, Catalogue, FileState, default_root
from newsidx.store.layout import UPGRADABLE_SCHEMA, Row
from newsidx.store.segments import is_tombstone, tombstone


def art(url: str | None, title: str = "T", *, day: str | None = "2024-03-05",
        provider: Provider | None = None, topics: tuple[str, ...] = (),
        kind: str = "article", sources: tuple[str, ...] = ("/a.md",)) -> Article:
    published = datetime.fromisoformat(day + "T09:10:00+00:00") if day else None
    return Article(
        id=make_id(url=url, title=title), kind=kind,  # type: ignore[arg-type]
        title=title, url=url, published=published, provider=provider, topics=topics,
        sources=sources,
    )


def test_default_root_order(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("NEWSIDX_CATALOGUE", str(tmp_path / "explicit"))
    assert default_root() == tmp_path / "explicit"
    monkeypatch.delenv("NEWSIDX_CATALOGUE")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert default_root() == tmp_path / "xdg" / "newsidx"
    monkeypatch.delenv("XDG_DATA_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_root() == tmp_path / "home" / ".local" / "share" / "newsidx"


def test_missing_catalogue_is_empty_and_not_created(tmp_path: Path) -> None:
    cat = Catalogue(tmp_path / "nope")
    assert cat.generation == 0
    assert list(cat.iter_records()) == []
    assert cat.files() == {}
    assert cat.check() == []
    assert not (tmp_path / "nope").exists()


def test_round_trip_and_manifest_keys(catalogue_dir: Path) -> None:
    reuters = Provider("Reuters", "Reuters.com")
    a = art("https://example.com/a", "A", provider=reuters, topics=("AI", "China"))
    b = art("https://example.com/b", "B", day="2023-10-17", provider=Provider("Infotech", None),
            topics=("AI",))
    c = art(None, "Undated body", day=None, kind="related")
    cat = Catalogue()
    with cat.writer() as w:
        gen = w.commit(upserts=[a, b, c], deletes=[],
                       files={"/a.md": FileState(3, 4, "ab", (a.id, c.id))})
    assert gen == 1 == cat.generation
    assert {r.id: r for r in cat.iter_records()} == {a.id: a, b.id: b, c.id: c}
    m = json.loads((catalogue_dir / MANIFEST).read_text())
    assert m["schema_version"] == SCHEMA_VERSION
    assert sorted(m["providers"]) == ["infotech", "reuters.com"]
    assert m["providers"]["reuters.com"] == {"name": "Reuters", "count": 1, "articles": 1}
    assert m["topics"] == {"AI": {"count": 2}, "China": {"count": 1}}
    assert m["dates"] == {"2023-10-17": {"count": 1}, "2024-03-05": {"count": 1}}
    assert "undated" not in m
    book = cat.bookkeeping()
    assert book is not None
    assert book.id_shards() == {a.id: "2024-03", b.id: "2023-10", c.id: "undated"}
    assert m["totals"] == {"records": 3, "articles": 2, "related": 1, "undated": 1, "files": 1}
    shards = sorted(p.name.split(".")[0] for p in (catalogue_dir / "records").iterdir())
    assert shards == ["2023-10", "2024-03", "undated"]
    assert cat.files() == {"/a.md": FileState(3, 4, "ab", (a.id, c.id))}
    assert cat.check() == []


def test_commit_rewrites_only_touched_shards_and_removes_old(catalogue_dir: Path) -> None:
    a = art("https://example.com/a", day="2024-03-05")
    b = art("https://example.com/b", day="2023-10-17")
    cat = Catalogue()
    with cat.writer() as w:
        w.commit(upserts=[a, b], deletes=[], files={})
        before = {p.name for p in (catalogue_dir / "records").iterdir()}
        moved = Article(**{**{f: getattr(a, f) for f in a.__slots__},
                           "published": datetime(2022, 1, 1, tzinfo=timezone.utc)})
        w.commit(upserts=[moved], deletes=[b.id], files={})
        w.commit(upserts=[], deletes=[], files={})
    after = {p.name for p in (catalogue_dir / "records").iterdir()}
    assert "2023-10.1.jsonl" in before and "2023-10.1.jsonl" not in after
    assert [r.id for r in cat.iter_records()] == [a.id]
    assert cat.get(a.id).day == "2022-01-01"
    m = cat.manifest()
    assert list(m["dates"]) == ["2022-01-01"]
    assert m["providers"] == {} and m["totals"]["records"] == 1
    assert cat.check() == []


def test_get_by_id_prefix_and_url(catalogue_dir: Path) -> None:
    url = "https://Example.com/story?utm_source=x#top"
    a = art(url, "A")
    others = [art(f"https://example.com/{i}", str(i)) for i in range(300)]
    cat = Catalogue()
    with cat.writer() as w:
        w.commit(upserts=[a, *others], deletes=[], files={})
    assert cat.get(a.id) == a
    assert cat.get(a.id[:8]) == a
    assert cat.get(a.id[:8].upper()) == a
    assert cat.get("https://example.com/story") == a
    assert cat.get_many([a.id, "0" * 16]) == {a.id: a}
    with pytest.raises(NotFoundError, match="too short"):
        cat.get(a.id[:3])
    with pytest.raises(NotFoundError, match="no record"):
        cat.get("https://example.com/missing")


def test_ambiguous_prefix_lists_candidates(catalogue_dir: Path) -> None:
    records = [art(f"https://example.com/{i}", str(i)) for i in range(2000)]
    by_prefix: dict[str, list[str]] = {}
    for r in records:
        by_prefix.setdefault(r.id[:4], []).append(r.id)
    prefix, ids = next((p, v) for p, v in by_prefix.items() if len(v) > 1)
    cat = Catalogue()
    with cat.writer() as w:
        w.commit(upserts=records, deletes=[], files={})
    with pytest.raises(NotFoundError, match="ambiguous") as info:
        cat.get(prefix)
    assert all(i in str(info.value) for i in ids)


def test_newer_schema_is_refused(catalogue_dir: Path) -> None:
    with Catalogue().writer() as w:
        w.commit(upserts=[art("https://example.com/a")], deletes=[], files={})
    path = catalogue_dir / MANIFEST
    data = json.loads(path.read_text())
    data["schema_version"] = SCHEMA_VERSION + 1
    path.write_text(json.dumps(data))
    with pytest.raises(CatalogueError, match="newer than this newsidx"):
        _ = Catalogue().generation
    with pytest.raises(CatalogueError, match="newer"), Catalogue().writer() as w:
        w.commit(upserts=[], deletes=[], files={})
    for older in (0, UPGRADABLE_SCHEMA - 1):
        data["schema_version"] = older
        path.write_text(json.dumps(data))
        with pytest.raises(CatalogueError, match=r"cannot read.*re-ingest"):
            list(Catalogue().iter_records())


def _downgrade_to_schema_3(cat: Catalogue, states: dict[str, FileState]) -> None:
    """Rewrite a catalogue as schema 3 left it: file states in ``files/``, an id table
    file, no bookkeeping database."""
    m = dict(cat.manifest())
    m["schema_version"] = UPGRADABLE_SCHEMA
    (cat.root / "files").mkdir()
    (cat.root / "files" / "state.1.jsonl").write_text(
        "".join(json.dumps(s.to_json(p)) + "\n" for p, s in states.items()))
    m["files"] = ["files/state.1.jsonl"]
    (cat.root / "records" / "ids.1.bin").write_bytes(b"{}")
    m["id_table"] = "records/ids.1.bin"
    for name in ("state.db", "state.db-wal", "state.db-shm"):
        (cat.root / name).unlink(missing_ok=True)
    (cat.root / MANIFEST).write_text(json.dumps(m))
    cat.reload()


def test_schema_3_is_read_and_upgraded_in_place_by_the_next_write(catalogue_dir: Path) -> None:
    a = art("https://example.com/a", "A", provider=Provider("Reuters", "reuters.com"),
            topics=("AI",))
    b = art("https://example.com/b", "B", day="2023-10-17")
    c = art(None, "Undated body", day=None, kind="related")
    states = {"/a.md": FileState(3, 4, "ab", (a.id, c.id)), "/b.md": FileState(5, 6, "cd", (b.id,))}
    cat = Catalogue()
    with cat.writer() as w:
        w.commit(upserts=[a, b, c], deletes=[], files=states)
    _downgrade_to_schema_3(cat, states)
    assert cat.manifest()["schema_version"] == UPGRADABLE_SCHEMA
    assert cat.get(a.id[:6]) == a and cat.get_many([b.id, c.id]) == {b.id: b, c.id: c}
    assert cat.files() == states
    assert cat.check() == []
    d = art("https://example.com/d", "D", day="2023-10-18")
    with cat.writer() as w:
        w.commit(upserts=[d], deletes=[b.id], files={"/b.md": None}, compact=True)
    m = json.loads((catalogue_dir / MANIFEST).read_text())
    assert m["schema_version"] == SCHEMA_VERSION and "files" not in m and "id_table" not in m
    assert not (catalogue_dir / "files").exists()
    assert {f"records/{p.name}" for p in (catalogue_dir / "records").iterdir()} == {
        e["files"][0] for e in m["shards"].values()}
    assert sorted(m["shards"]) == ["2023-10", "2024-03", "undated"]
    book = cat.bookkeeping()
    assert book is not None
    assert book.id_shards() == {a.id: "2024-03", d.id: "2023-10", c.id: "undated"}
    # kept with its ids, but read again by the next ingest (schema 3 ids came from the text)
    assert cat.files() == {"/a.md": FileState(-1, -1, "", states["/a.md"].ids)}
    assert m["totals"]["records"] == 3 and m["topics"] == {"AI": {"count": 1}}
    assert m["totals"]["files"] == 1
    assert cat.check() == []


@pytest.mark.parametrize("text", ["{not json", "", "[1, 2]", '{"generation": 3}'])
def test_corrupt_manifest_names_the_file(catalogue_dir: Path, text: str) -> None:
    catalogue_dir.mkdir()
    (catalogue_dir / MANIFEST).write_text(text)
    with pytest.raises(CatalogueError) as info:
        Catalogue().manifest()
    assert str(catalogue_dir / MANIFEST) in str(info.value)
    assert "\n" not in str(info.value)


def test_refuses_to_write_into_a_foreign_folder(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(CatalogueError, match="not empty"), Catalogue(tmp_path).writer():
        pass


def test_check_finds_a_missing_shard(catalogue_dir: Path) -> None:
    cat = Catalogue()
    with cat.writer() as w:
        w.commit(upserts=[art("https://example.com/a")], deletes=[], files={})
    for shard in (catalogue_dir / "records").iterdir():
        shard.unlink()
    assert any("missing" in p for p in Catalogue().check())


_HOLD = """
import sys, time
from newsidx.catalogue import Catalogue
with Catalogue(sys.argv[1]).writer() as w:
    print("locked", flush=True)
    time.sleep(float(sys.argv[2]))
"""


@pytest.mark.slow
def test_lock_contention_fails_clearly_or_waits(tmp_path: Path) -> None:
    root = tmp_path / "cat"
    holder = subprocess.Popen([sys.executable, "-c", _HOLD, str(root), "1.5"],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "locked\n"
        with pytest.raises(LockedError) as info, Catalogue(root).writer():
            pass
        message = str(info.value)
        assert f"pid {holder.pid}" in message and "--wait" in message and str(root) in message
        with Catalogue(root).writer(wait=True) as w:
            assert holder.poll() is not None or holder.wait(timeout=10) == 0  # it let go first
            assert w.commit(upserts=[], deletes=[], files={}) == 1
    finally:
        holder.wait(timeout=10)


_ids = st.text("0123456789abcdef", min_size=16, max_size=16)


@pytest.mark.slow
@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(["up", "up", "del", "file", "unfile"]),
                          st.integers(0, 30),
                          st.sampled_from([None, "2024-03-05", "2024-04-01", "1999-12-31"])),
                max_size=40))
def test_commits_match_a_dict_model(tmp_path_factory: pytest.TempPathFactory,
                                    ops: list[tuple[str, int, str | None]]) -> None:
    """Any sequence of upserts, deletes and file-state changes leaves exactly what plain
    dicts would hold, however the segments were appended and compacted."""
    cat = Catalogue(tmp_path_factory.mktemp("cat"))
    model: dict[str, Article] = {}
    files: dict[str, FileState] = {}
    with cat.writer() as w:
        for op, n, day in ops:
            record = art(f"https://example.com/{n}", f"t{n}{day}", day=day,
                         provider=Provider(None, f"p{n % 3}.com"), topics=(f"t{n % 4}",))
            path = f"/src/{n % 7}.md"
            if op == "up":
                w.commit(upserts=[record], deletes=[], files={})
                model[record.id] = record
            elif op == "del":
                w.commit(upserts=[], deletes=[record.id], files={})
                model.pop(record.id, None)
            elif op == "file":
                state = FileState(n, n, f"{n:x}", (record.id,))
                w.commit(upserts=[], deletes=[], files={path: state})
                files[path] = state
            else:
                w.commit(upserts=[], deletes=[], files={path: None})
                files.pop(path, None)
            fresh = Catalogue(cat.root)
            assert all(len(e["files"]) == 1 and e["lines"] <= 2 * e["count"]
                       for e in fresh.head()["shards"].values())
        w.commit(upserts=[], deletes=[], files={}, compact=True)
    fresh = Catalogue(cat.root)
    assert {r.id: to_json(r) for r in fresh.iter_records()} == {
        k: to_json(v) for k, v in model.items()
    }
    assert fresh.files() == files
    assert fresh.check() == []
    assert fresh.generation == len(ops) + 1
    m = fresh.manifest()
    # At rest: one plain file of live records per shard, and nothing else in records/.
    assert all(len(e["files"]) == 1 for e in m["shards"].values())
    on_disk = {f"records/{p.name}" for p in (cat.root / "records").iterdir()}
    assert on_disk == {e["files"][0] for e in m["shards"].values()}
    lines = [line for name in on_disk for line in (cat.root / name).read_text().splitlines()]
    assert sorted(json.loads(line)["id"] for line in lines) == sorted(model)


def _lines(path: Path) -> list[str]:
    return [json.loads(line)["id"] for line in path.read_text().splitlines()]


def test_a_commit_appends_only_its_lines_to_a_shard(catalogue_dir: Path) -> None:
    """A commit appends its lines to the shard's file, which the manifest names with its
    committed length; a new version of a record is one more line, a record leaving the
    shard a tombstone line, not a rewrite of the shard. The last commit folds it."""
    first = [art(f"https://example.com/{i}") for i in range(5)]
    cat = Catalogue()
    shard = catalogue_dir / "records" / "2024-03.1.jsonl"

    def entry() -> dict[str, Any]:
        e: dict[str, Any] = cat.manifest()["shards"]["2024-03"]
        assert e["files"] == ["records/2024-03.1.jsonl"]
        assert e["bytes"] == shard.stat().st_size
        return e

    with cat.writer() as w:
        w.commit(upserts=first, deletes=[], files={})
        more = art("https://example.com/new")
        w.commit(upserts=[more], deletes=[], files={})
        assert _lines(shard) == [*sorted(r.id for r in first), more.id]
        retitled = art("https://example.com/0", "new title")
        w.commit(upserts=[retitled], deletes=[], files={})
        assert _lines(shard)[-1] == retitled.id and entry()["lines"] == 7
        assert cat.get(retitled.id).title == "new title"
        assert [r.id for r in cat.iter_records()].count(retitled.id) == 1
        assert len(cat) == 6 and cat.check() == []
        w.commit(upserts=[], deletes=[first[1].id], files={})
        assert shard.read_text().endswith(tombstone(first[1].id))
        assert is_tombstone(tombstone(first[1].id))
        assert entry()["lines"] == 8 and entry()["count"] == 5
        assert first[1].id not in {r.id for r in cat.iter_records()}
        with pytest.raises(NotFoundError):
            cat.get(first[1].id)
        assert len(cat) == 5 and cat.check() == []
        w.commit(upserts=[first[1]], deletes=[], files={})  # back again, after its tombstone
        assert cat.get(first[1].id).title == first[1].title
        assert len(cat) == 6 and cat.check() == []
        w.commit(upserts=[], deletes=[first[1].id], files={}, compact=True)
    (segment,) = cat.manifest()["shards"]["2024-03"]["files"]
    assert sorted(_lines(catalogue_dir / segment)) == sorted(
        [retitled.id, more.id] + [r.id for r in first[2:]]
    )
    assert [p.name for p in (catalogue_dir / "records").iterdir()] == [segment[8:]]
    assert cat.get(retitled.id).title == "new title"
    assert cat.check() == []


def test_commits_of_new_records_write_each_line_once(catalogue_dir: Path) -> None:
    """Forty commits of new records into one shard append to one file: each line is
    written once, none rewritten, and the last commit has nothing to fold."""
    cat = Catalogue()
    shard = catalogue_dir / "records" / "2024-03.1.jsonl"
    with cat.writer() as w:
        for n in range(40):
            w.commit(upserts=[art(f"https://example.com/{n}/{i}") for i in range(5)],
                     deletes=[], files={f"/s/{n}.md": FileState(n, n, "ab", ())})
            if n == 0:
                inode = shard.stat().st_ino
            e = cat.manifest()["shards"]["2024-03"]
            assert e["files"] == ["records/2024-03.1.jsonl"] and shard.stat().st_ino == inode
            assert e["lines"] == e["count"] == 5 * (n + 1)
        w.commit(upserts=[], deletes=[], files={}, compact=True)
    assert cat.manifest()["shards"]["2024-03"]["files"] == ["records/2024-03.1.jsonl"]
    assert len(cat) == 200 and cat.check() == []


def test_dead_lines_never_outnumber_live_ones(catalogue_dir: Path) -> None:
    """Updating the same records over and over rewrites the shard whenever its dead
    lines would outnumber its live ones, so a shard stays under twice its records."""
    cat = Catalogue()
    with cat.writer() as w:
        for n in range(30):
            w.commit(upserts=[art(f"https://example.com/{i}", f"v{n}") for i in range(3)],
                     deletes=[], files={f"/s/{n}.md": FileState(n, n, "ab", ())})
            m = cat.manifest()
            e = m["shards"]["2024-03"]
            assert e["count"] == 3 and e["lines"] <= 6 and len(e["files"]) == 1
            on_disk = {f"records/{p.name}" for p in (catalogue_dir / "records").iterdir()}
            assert on_disk == set(e["files"]) | set(m["previous_files"])
            assert {r.title for r in cat.iter_records()} == {f"v{n}"}
    assert len(cat) == 3 and len(cat.files()) == 30
    assert cat.check() == []


def test_a_killed_commits_tail_is_never_read_and_is_cut_off(catalogue_dir: Path) -> None:
    """Bytes a killed commit appended past the committed length (whole lines and a torn
    one) are not records: readers stop at the length the manifest gives, and the next
    writer cuts them off, so the shard is plain JSON Lines again at rest."""
    cat = Catalogue()
    records = [art(f"https://example.com/{i}") for i in range(3)]
    with cat.writer() as w:
        w.commit(upserts=records, deletes=[], files={}, compact=True)
    shard = catalogue_dir / "records" / "2024-03.1.jsonl"
    whole = shard.read_bytes()
    ghost = art("https://example.com/ghost")
    with open(shard, "ab") as handle:
        handle.write(Row.of(ghost).line.encode() + b'{"id":"torn","tit')
    fresh = Catalogue(catalogue_dir)
    assert sorted(r.id for r in fresh.iter_records()) == sorted(r.id for r in records)
    with pytest.raises(NotFoundError):
        fresh.get(ghost.id)
    assert fresh.check() == []
    with fresh.writer() as w:
        assert w.record_count() == 3
    assert shard.read_bytes() == whole


def test_file_states_live_in_the_bookkeeping(catalogue_dir: Path) -> None:
    cat = Catalogue()
    with cat.writer() as w:
        w.commit(upserts=[], deletes=[], files={
            "/a.md": FileState(1, 1, "aa", ("1",)), "/b.md": FileState(2, 2, "bb", ("2",))})
        w.commit(upserts=[], deletes=[], files={
            "/a.md": None, "/c.md": FileState(3, 3, "cc", ("3",))})
    assert cat.files() == {"/b.md": FileState(2, 2, "bb", ("2",)),
                           "/c.md": FileState(3, 3, "cc", ("3",))}
    assert cat.manifest()["totals"]["files"] == 2
    assert sorted(p.name for p in catalogue_dir.iterdir() if not p.name.startswith("state.db")
                  ) == [".lock", MANIFEST, "records"]


def test_compact_rewrites_the_shards_with_dead_lines(catalogue_dir: Path) -> None:
    """The write's last commit rewrites each shard holding superseded lines or tombstones
    as one file of its live records; a shard of live lines only is left as it is."""
    cat = Catalogue()
    with cat.writer() as w:
        for n in range(3):
            w.commit(upserts=[art(f"https://example.com/{n}"),
                              art(f"https://example.com/old/{n}", day="2023-01-02")],
                     deletes=[], files={f"/{n}.md": FileState(n, n, "ab", ())})
        w.commit(upserts=[art("https://example.com/0", "retitled")], deletes=[], files={})
        before = ({r.id: r for r in cat.iter_records()}, cat.files())
        w.commit(upserts=[], deletes=[], files={}, compact=True)
    m = cat.manifest()
    assert {k: e["files"] for k, e in m["shards"].items()} == {
        "2023-01": ["records/2023-01.1.jsonl"], "2024-03": ["records/2024-03.5.jsonl"]}
    assert all(e["lines"] == e["count"] == 3 for e in m["shards"].values())
    assert sorted(p.name for p in (catalogue_dir / "records").iterdir()) == [
        "2023-01.1.jsonl", "2024-03.5.jsonl"]
    assert ({r.id: r for r in cat.iter_records()}, cat.files()) == before
    assert cat.check() == []


def test_peek_generation_matches_the_full_read(tmp_path: Path) -> None:
    """The cheap generation read agrees with the manifest after every commit."""
    from newsidx.model import Article, make_id

    cat = Catalogue(tmp_path / "cat")
    assert cat.peek_generation() == 0
    for n in range(3):
        record = Article(id=make_id(url=f"https://example.com/{n}"), kind="article", title=f"t{n}")
        with cat.writer() as writer:
            writer.commit(upserts=[record], deletes=[], files={})
        fresh = Catalogue(tmp_path / "cat")
        assert fresh.peek_generation() == n + 1 == Catalogue(tmp_path / "cat").generation


def test_rows_and_records_commit_alike(tmp_path: Path) -> None:
    from newsidx.catalogue import Row

    records = [art(f"https://example.com/{i}") for i in range(5)]
    by_record, by_row = Catalogue(tmp_path / "a"), Catalogue(tmp_path / "b")
    with by_record.writer() as w:
        w.commit(upserts=records, deletes=[], files={})
    with by_row.writer() as w:
        w.commit(upserts=[Row.of(r) for r in records], deletes=[], files={})
    a, b = dict(by_record.manifest()), dict(by_row.manifest())
    for m in (a, b):
        m.pop("shards")
    assert a == b
    assert list(by_record.iter_records()) == list(by_row.iter_records())


def test_a_writer_reads_the_manifest_once(catalogue_dir: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """The writer keeps the manifest it committed instead of re-parsing it."""
    from newsidx.store import manifest

    reads: list[int] = []
    original = manifest.read_manifest

    def counting(root: Path, path: Path) -> dict[str, object]:
        reads.append(1)
        return original(root, path)

    monkeypatch.setattr(manifest, "read_manifest", counting)
    cat = Catalogue()
    with cat.writer() as w:
        for n in range(5):
            w.commit(upserts=[art(f"https://example.com/{n}", day=f"2024-0{n + 1}-02")],
                     deletes=[art(f"https://example.com/{n - 1}").id], files={})
        assert [r.id for r in w.get_many([art("https://example.com/4").id]).values()] == [
            art("https://example.com/4").id]
    assert len(reads) == 1
    monkeypatch.undo()
    assert len(cat) == 1 and cat.check() == []


def test_a_failed_commit_leaves_the_writer_usable(catalogue_dir: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    import newsidx.store.writer as catalogue_module

    cat = Catalogue()
    a, b = art("https://example.com/a"), art("https://example.com/b", day="2023-01-01")
    with cat.writer() as w:
        w.commit(upserts=[a], deletes=[], files={"/a.md": FileState(1, 1, "aa", (a.id,))})
        original = catalogue_module.atomic_write

        def failing(path: Path, text: object) -> None:
            if path.name == MANIFEST:
                raise CatalogueError("disk full")
            original(path, text)  # type: ignore[arg-type]

        monkeypatch.setattr(catalogue_module, "atomic_write", failing)
        with pytest.raises(CatalogueError, match="disk full"):
            w.commit(upserts=[b], deletes=[a.id], files={"/a.md": None})
        monkeypatch.undo()
        assert [r.id for r in Catalogue(cat.root).iter_records()] == [a.id]
        w.commit(upserts=[b], deletes=[], files={"/b.md": FileState(2, 2, "bb", (b.id,))})
    assert {r.id for r in cat.iter_records()} == {a.id, b.id}
    assert sorted(cat.files()) == ["/a.md", "/b.md"]
    assert cat.check() == []


@pytest.mark.parametrize("placed", [True, False])
@pytest.mark.parametrize("ids", [[f"{n:016x}" for n in (1, 2, 3)], ["short", "x" * 20, "Z1"]])
def test_writer_lookups_find_the_newest_line(catalogue_dir: Path, ids: list[str],
                                             placed: bool,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """The writer finds the newest line of an id at its recorded place, and by reading
    the shard through when the place is missing."""
    def rec(rid: str, title: str) -> Article:
        return Article(id=rid, kind="article", title=title,
                       published=datetime(2024, 3, 5, tzinfo=timezone.utc))

    cat = Catalogue()
    with cat.writer() as w:
        w.commit(upserts=[rec(i, "one") for i in ids], deletes=[], files={})
        w.commit(upserts=[rec(ids[1], "two")], deletes=[], files={})
        w.commit(upserts=[rec("0" * 16, "o")], deletes=[], files={})
        if not placed:
            monkeypatch.setattr(type(w.book), "places_of", lambda self, ids: {})
        found = w.get_many([*ids, "nope"])
        assert {k: v.title for k, v in found.items()} == {ids[0]: "one", ids[1]: "two",
                                                          ids[2]: "one"}
        w.commit(upserts=[rec(ids[1], "three")], deletes=[ids[0]], files={})
        assert {k: v.title for k, v in w.get_many(ids).items()} == {ids[1]: "three",
                                                                   ids[2]: "one"}
    assert {r.id: r.title for r in cat.iter_records()} == {
        ids[1]: "three", ids[2]: "one", "0" * 16: "o"}
    assert cat.check() == []


def test_a_bad_line_is_skipped_named_and_counted(catalogue_dir: Path) -> None:
    """One unreadable stored line never stops the reading of the others; the reader says
    which and how many, and a full read notices a shard that lost records."""
    records = [art(f"https://example.com/{i}") for i in range(3)]
    cat = Catalogue()
    with cat.writer() as w:
        w.commit(upserts=records, deletes=[], files={})
    (shard,) = (catalogue_dir / "records").iterdir()
    lines = shard.read_bytes().splitlines(keepends=True)
    shard.write_bytes(lines[0] + b'{"id": "x", "title": "\\ud800 \xff"}\n' + b"".join(lines[2:]))
    fresh = Catalogue()
    read = list(fresh.iter_records())
    kept = [json.loads(line)["id"] for line in (lines[0], *lines[2:])]
    assert [r.id for r in read] == kept and len(kept) == 2
    message = fresh.damage(len(read))
    assert message is not None and "1 stored record" in message and "check --repair" in message
    assert str(catalogue_dir) in message
    # A reader that skipped nothing still notices fewer records than the manifest lists.
    assert Catalogue().damage(3) is None
    assert "2 records read where the manifest lists 3" in (Catalogue().damage(2) or "")


def test_a_catalogue_from_before_appends_is_read_and_rewritten_by_its_next_write(
        catalogue_dir: Path) -> None:
    """A manifest that gives no committed lengths (written before appends) is read whole,
    and the next write rewrites each shard it changes rather than append to it."""
    cat = Catalogue()
    records = [art(f"https://example.com/{i}") for i in range(3)]
    with cat.writer() as w:
        w.commit(upserts=records, deletes=[], files={}, compact=True)
    manifest = catalogue_dir / MANIFEST
    m = json.loads(manifest.read_text())
    for entry in m["shards"].values():
        del entry["bytes"]
    manifest.write_text(json.dumps(m))
    old = Catalogue(catalogue_dir)
    assert sorted(r.id for r in old.iter_records()) == sorted(r.id for r in records)
    assert old.check() == []
    more = art("https://example.com/more")
    with old.writer() as w:
        w.commit(upserts=[more], deletes=[], files={})
    entry = Catalogue(catalogue_dir).manifest()["shards"]["2024-03"]
    assert entry["files"] == ["records/2024-03.2.jsonl"] and entry["lines"] == 4
    assert entry["bytes"] == (catalogue_dir / entry["files"][0]).stat().st_size
    assert Catalogue(catalogue_dir).check() == []


def test_check_counts_a_shards_lines_against_the_manifest(catalogue_dir: Path) -> None:
    """Readers trust a shard's line count to skip the fold, so ``check`` counts the lines
    as it reads them, over appended lines and a plain file alike, and names a wrong one."""
    cat = Catalogue()
    with cat.writer() as w:
        w.commit(upserts=[art(f"https://example.com/{i}") for i in range(3)], deletes=[],
                 files={})
        w.commit(upserts=[art("https://example.com/0", "again")], deletes=[], files={})
        assert cat.check() == [] and cat.manifest()["shards"]["2024-03"]["lines"] == 4
        for compact in (False, True):
            if compact:
                w.commit(upserts=[], deletes=[], files={}, compact=True)
            path = catalogue_dir / MANIFEST
            m = json.loads(path.read_text())
            right = m["shards"]["2024-03"]["lines"]
            m["shards"]["2024-03"]["lines"] = right + 1
            path.write_text(json.dumps(m))
            cat.reload()
            assert any(f"{right} lines, manifest says {right + 1}" in p for p in cat.check())
            m["shards"]["2024-03"]["lines"] = right
            path.write_text(json.dumps(m))
            cat.reload()
            assert cat.check() == []


def test_shard_lines_leave_out_null_values_and_lines_that_keep_them_read_the_same(
        catalogue_dir: Path) -> None:
    """A stored line holds no null value (a reader, and jq, takes a missing key as null);
    a line an earlier version wrote with its nulls reads as the same record, and a new
    line for it replaces it in the compact form."""
    from newsidx.store.layout import dump_line

    cat = Catalogue()
    bare, full = art(None, "Bare", day=None), art("https://example.com/full", "Full")
    old = Row.of(bare)._replace(line=dump_line(to_json(bare)))  # as written before
    with cat.writer() as w:
        w.commit(upserts=[old, full], deletes=[], files={}, compact=True)
    lines = [json.loads(x) for s in sorted((catalogue_dir / "records").glob("*.jsonl"))
             for x in s.read_text(encoding="utf-8").splitlines()]
    assert {d["id"]: None in d.values() for d in lines} == {bare.id: True, full.id: False}
    assert "amp_url" not in lines[0] and "lang" not in lines[0]
    assert isinstance(lines[0]["topics"], list) and isinstance(lines[0]["related"], list)
    assert Catalogue(catalogue_dir).get_many([bare.id, full.id]) == {
        bare.id: bare, full.id: full}
    with cat.writer() as w:
        w.commit(upserts=[bare], deletes=[], files={}, compact=True)
    (shard,) = (catalogue_dir / "records").glob("undated.*.jsonl")
    assert None not in json.loads(shard.read_text(encoding="utf-8")).values()
    assert Catalogue(catalogue_dir).get(bare.id) == bare
