"""The SQLite bookkeeping against plain dicts: file states, id -> files, the walk survey,
and its rebuild from the records after it fell behind the manifest."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from newsidx.model import Article, make_id
from newsidx.store import Catalogue, FileState
from newsidx.store.bookkeeping import Bookkeeping

_PATHS = ["/a", "/b", "/c", "/d/é", "/e/\udcff"]  # the last: a name that is not UTF-8
_IDS = ["00000000000000aa", "00000000000000bb", "00000000000000cc", "not-hex", "x" * 20]

_op = st.tuples(
    st.sampled_from(_PATHS),
    st.one_of(st.none(), st.lists(st.sampled_from(_IDS), max_size=4, unique=True)),
    st.sampled_from(["ab" * 32, "not a sha", ""]),
)


@pytest.mark.slow
@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(st.lists(st.lists(_op, max_size=4), max_size=12))
def test_file_states_match_a_dict(tmp_path_factory: pytest.TempPathFactory,
                                  commits: list[list[tuple[str, list[str] | None, str]]]) -> None:
    """Any sequence of commits of file states leaves what a dict would hold, and the
    id -> files lookups and the walk survey agree with it."""
    book = Bookkeeping(tmp_path_factory.mktemp("book"), write=True)
    model: dict[str, FileState] = {}
    for generation, ops in enumerate(commits, 1):
        changes: dict[str, FileState | None] = {}
        for n, (path, ids, sha) in enumerate(ops):
            changes[path] = None if ids is None else FileState(n, -n * 10**15, sha, tuple(ids))
        book.begin()
        count = book.apply(shards={}, deletes=(), files=changes, generation=generation)
        book.commit()
        for path, state in changes.items():
            if state is None:
                model.pop(path, None)
            else:
                model[path] = state
        assert count == len(model) == book.file_count()
        assert dict(book.all_files()) == model
        assert book.files(_PATHS) == model
        assert book.generation == generation
        expected = {rid: {p for p, s in model.items() if rid in s.ids} for rid in _IDS}
        assert book.paths_of(_IDS) == {k: v for k, v in expected.items() if v}
    walked = [(p, model[p].size if p in model else 0, 7) for p in _PATHS[:3]]
    survey = book.survey(walked)
    assert survey.seen == 3
    todo = survey.tasks(0, survey.todo)
    assert [p for p, _, _ in todo] == [p for p, _, m in walked
                                       if p not in model or model[p].mtime_ns != m]
    assert all(known == (p in model) for p, _, known in todo)
    assert sorted(survey.unwalked) == sorted(set(model) - set(_PATHS[:3]))
    book.close()


def _record(n: int, sources: tuple[str, ...]) -> Article:
    return Article(id=make_id(url=f"https://example.com/{n}"), kind="article", title=f"t{n}",
                   sources=sources)


def test_a_lagging_database_is_rebuilt_and_forces_a_reread(tmp_path: Path) -> None:
    """A crash between the manifest and the database's commit leaves the database one
    commit behind: the next writer rebuilds ids and sources from the records and drops
    the files' sizes and hashes, so the next ingest reads every file again."""
    cat = Catalogue(tmp_path / "cat")
    a, b = _record(1, ("/a.md",)), _record(2, ("/b.md", "/a.md"))
    with cat.writer() as w:
        w.commit(upserts=[a], deletes=[], files={"/a.md": FileState(1, 2, "aa", (a.id,))})
    db = sqlite3.connect(tmp_path / "cat" / "state.db")
    saved = db.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()
    db.close()
    with cat.writer() as w:
        w.commit(upserts=[b], deletes=[], files={"/b.md": FileState(3, 4, "bb", (b.id,)),
                                                 "/a.md": FileState(1, 2, "aa", (a.id, b.id))})
    db = sqlite3.connect(tmp_path / "cat" / "state.db")
    db.execute("UPDATE meta SET value = ? WHERE key = 'generation'", saved)  # as if lost
    db.commit()
    db.close()
    cat.reload()
    assert cat.bookkeeping() is None  # readers do not trust it
    assert cat.get(b.id[:8]) == b  # and find records by reading the shards
    assert cat.check() == []
    with cat.writer() as w:
        assert w.get_many([a.id, b.id]) == {a.id: a, b.id: b}
        assert w.book.generation == cat.generation
        assert w.book.paths_of([b.id]) == {b.id: {"/a.md", "/b.md"}}
        states = dict(w.book.all_files())
    assert states["/a.md"].size == -1 and states["/a.md"].sha256 == ""
    assert set(states["/a.md"].ids) == {a.id, b.id} and states["/a.md"].ids[0] == a.id
    assert cat.check() == []


def test_a_corrupt_database_is_started_again(tmp_path: Path) -> None:
    cat = Catalogue(tmp_path / "cat")
    a = _record(1, ("/a.md",))
    with cat.writer() as w:
        w.commit(upserts=[a], deletes=[], files={"/a.md": FileState(1, 2, "aa", (a.id,))})
    (tmp_path / "cat" / "state.db").write_bytes(b"not a database" * 100)
    for name in ("state.db-wal", "state.db-shm"):
        (tmp_path / "cat" / name).unlink(missing_ok=True)
    cat.reload()
    assert cat.get(a.id) == a
    with cat.writer() as w:
        w.commit(upserts=[], deletes=[], files={})
    book = cat.bookkeeping()
    assert book is not None and book.id_shards() == {a.id: "undated"}
    assert cat.check() == []


_DIE_AFTER_MANIFEST = """
import os, sys
import newsidx.store.writer as writer
from newsidx.model import Article, make_id
from newsidx.store import Catalogue, FileState
original = writer.atomic_write
def dying(path, text):
    original(path, text)
    if path.name == "catalogue.json" and os.environ.get("DIE"):
        os._exit(9)  # as kill -9 between the manifest and the database's commit
writer.atomic_write = dying
n = int(sys.argv[2])
record = Article(id=make_id(url=f"https://example.com/{n}"), kind="article", title=f"t{n}",
                 sources=(f"/{n}.md",))
with Catalogue(sys.argv[1]).writer() as w:
    w.commit(upserts=[record], deletes=[], files={f"/{n}.md": FileState(n, n, "ab", (record.id,))})
"""


def test_a_crash_after_the_manifest_is_replayed_from_the_journal(tmp_path: Path) -> None:
    """Killed between the manifest and the database's commit, the next writer applies
    the commit's journal: every file keeps its exact state, none has to be read again."""
    import os
    import subprocess
    import sys

    root = tmp_path / "cat"
    run = [sys.executable, "-c", _DIE_AFTER_MANIFEST, str(root)]
    subprocess.run([*run, "1"], check=True)
    died = subprocess.run([*run, "2"], env={**os.environ, "DIE": "1"}, check=False)
    assert died.returncode == 9
    cat = Catalogue(root)
    assert cat.generation == 2 and cat.bookkeeping() is None  # one commit behind
    assert (root / "journal.2.jsonl").is_file()
    with cat.writer() as w:
        assert w.book.generation == 2
    assert cat.files() == {"/1.md": FileState(1, 1, "ab", (_record(1, ()).id,)),
                           "/2.md": FileState(2, 2, "ab", (_record(2, ()).id,))}
    assert not list(root.glob("journal.*"))
    assert cat.check() == []


def _norm(states: dict[str, FileState]) -> dict[str, tuple[object, ...]]:
    return {p: (s.size, s.mtime_ns, s.sha256, sorted(s.ids), s.many) for p, s in states.items()}


@pytest.mark.slow
@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(st.lists(st.lists(st.tuples(
    st.sampled_from(_PATHS[:3]),
    st.sampled_from(["part", "full", "gone"]),
    st.lists(st.sampled_from(_IDS), min_size=1, max_size=3, unique=True)), max_size=3),
    max_size=10))
def test_partial_changes_add_ids_to_a_placeholder(
        tmp_path_factory: pytest.TempPathFactory,
        commits: list[list[tuple[str, str, list[str]]]]) -> None:
    """A streamed file's mid-file commits (``FileState.part``) each add their ids to the
    file's recorded ones and leave it a placeholder; a full state or None then replaces
    all of them. States, id -> files and the survey agree with a dict throughout."""
    book = Bookkeeping(tmp_path_factory.mktemp("book"), write=True)
    model: dict[str, FileState] = {}
    for generation, ops in enumerate(commits, 1):
        changes: dict[str, FileState | None] = {}
        for path, what, ids in ops:
            changes[path] = (None if what == "gone" else FileState.part(ids)
                             if what == "part" else FileState(len(ids), 5, "ab", tuple(ids)))
        book.begin()
        book.apply(shards={}, deletes=(), files=changes, generation=generation)
        book.commit()
        for path, state in changes.items():
            if state is None:
                model.pop(path, None)
            elif state.partial:
                before = model[path].ids if path in model else ()
                model[path] = FileState(-1, -1, "", tuple(dict.fromkeys((*before, *state.ids))),
                                        many=True)
            else:
                model[path] = state
        assert _norm(dict(book.all_files())) == _norm(model)
        assert _norm(book.files(_PATHS)) == _norm(model)
        assert all(_norm({p: s})[p] == _norm({p: book.file(p)})[p]  # type: ignore[dict-item]
                   for p, s in model.items())
        expected = {rid: {p for p, s in model.items() if rid in s.ids} for rid in _IDS}
        assert book.paths_of(_IDS) == {k: v for k, v in expected.items() if v}
    survey = book.survey((p, 0, 0) for p in _PATHS[:3])
    assert {p for p, _, _ in survey.tasks(0, survey.todo)} >= {
        p for p, s in model.items() if s.size == -1}  # a placeholder is always read again
    book.close()


def test_a_partial_change_survives_the_journal(tmp_path: Path) -> None:
    """A mid-file commit's change is written to the journal as one and replayed as one."""
    from newsidx.store.journal import journal_lines, read_journal

    part = FileState.part(("00000000000000aa", "00000000000000bb"))
    journal = tmp_path / "journal.1.jsonl"
    journal.write_text("".join(journal_lines({}, [], {"/a": part})))
    assert read_journal(journal).files == {"/a": part}


_PATH_KEYED = """
BEGIN;
CREATE TABLE f2 (path BLOB PRIMARY KEY, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL,
                 sha256 TEXT NOT NULL, ids TEXT NOT NULL) WITHOUT ROWID;
INSERT INTO f2 SELECT path, size, mtime_ns, sha256, ids FROM files;
CREATE TABLE s2 (id TEXT NOT NULL, path BLOB NOT NULL, PRIMARY KEY (id, path)) WITHOUT ROWID;
INSERT INTO s2 SELECT s.id, f.path FROM sources s JOIN files f USING (fid);
CREATE TABLE p2 (path BLOB NOT NULL, id TEXT NOT NULL, PRIMARY KEY (path, id)) WITHOUT ROWID;
INSERT INTO p2 SELECT f.path, p.id FROM partial p JOIN files f USING (fid);
DROP TABLE files; DROP TABLE sources; DROP TABLE partial;
ALTER TABLE f2 RENAME TO files; ALTER TABLE s2 RENAME TO sources;
ALTER TABLE p2 RENAME TO partial;
CREATE TABLE places (id TEXT PRIMARY KEY, file TEXT NOT NULL, offset INTEGER NOT NULL,
                     length INTEGER NOT NULL) WITHOUT ROWID;
INSERT INTO places SELECT id, 'records/' || shard || '.' || gen || '.jsonl', offset, length
    FROM records WHERE gen IS NOT NULL;
CREATE TABLE r2 (id TEXT PRIMARY KEY, shard TEXT NOT NULL) WITHOUT ROWID;
INSERT INTO r2 SELECT id, shard FROM records;
DROP TABLE records; ALTER TABLE r2 RENAME TO records;
UPDATE meta SET value = 2 WHERE key = 'schema';
COMMIT;
"""


def test_a_schema_2_database_is_upgraded_in_place_keeping_states_and_places(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Bookkeeping schema 2 held each path in `files` and again in every `sources` and
    `partial` row, and places in a table of their own, keyed by the id again, with the
    file's name as text. Readers still use its records; the first writer moves it to
    schema 3 in SQL, keeping every file state and place, so the next ingest reads no
    file again and no shard is scanned for places."""
    from test_ingest import install_fallback_parser, write_article

    from newsidx.ingest import ingest

    install_fallback_parser()
    root = tmp_path / "news"
    for i in range(6):
        write_article(root / f"{i}.md", f"https://example.com/{i}", f"Story {i}",
                      related=[(f"https://o.org/{i % 2}", "R")])
    cat = Catalogue(tmp_path / "cat")
    ingest([root], cat, jobs=1)
    ids = list(cat.ids())
    part = FileState.part((ids[0], ids[1]))
    with cat.writer() as w:  # a streamed dataset cut off mid-file
        w.commit(upserts=[], deletes=[], files={"/big.jsonl": part}, compact=True)
    states = cat.files()
    with cat.writer() as w:
        sources = w.book.paths_of(ids)
        placed = w.book.places_of(ids)
    assert placed.keys() == set(ids)
    assert states["/big.jsonl"].ids == (ids[0], ids[1])
    assert any(len(paths) > 1 for paths in sources.values())

    with sqlite3.connect(cat.root / "state.db") as db:
        db.executescript(_PATH_KEYED)
    cat.reload()
    assert cat.bookkeeping() is not None  # its records are read as they were
    assert cat.get_many(ids).keys() == set(ids)

    from newsidx.store import places

    def no_fill(*args: object) -> None:
        raise AssertionError("places refilled from the shards")

    monkeypatch.setattr(places, "fill", no_fill)
    again = ingest([root], cat, jobs=1)
    assert again.new == [] and again.updated == [] and again.unchanged == 6
    assert cat.files() == states
    with cat.writer() as w:
        assert w.book.paths_of(ids) == sources
        assert w.book.places_of(ids) == placed
    with sqlite3.connect(cat.root / "state.db") as db:
        schema = db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
        tables = {name: sql for name, sql in db.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'table'")}
    assert schema == (3,)
    assert [t for t, sql in tables.items() if "path" in sql] == ["files"]
    assert "places" not in tables
    assert cat.check() == []


def test_hashes_are_stored_as_bytes_and_read_back_as_written(tmp_path: Path) -> None:
    """A sha256 takes 32 bytes in state.db, not 64 hex digits; whatever else a state
    holds there (a placeholder's "", text from an older database) reads back as it was."""
    import hashlib

    digest = hashlib.sha256(b"x").hexdigest()
    cat = Catalogue(tmp_path / "cat")
    states = {"/a": FileState(1, 2, digest, ("00000000000000aa",)),
              "/b": FileState(3, 4, "not a sha", ("00000000000000bb",)),
              "/c": FileState(-1, -1, "", ("00000000000000cc",))}
    with cat.writer() as w:
        w.commit(upserts=[], deletes=[], files=states, compact=True)
    assert cat.files() == states
    with sqlite3.connect(cat.root / "state.db") as db:
        stored = dict(db.execute("SELECT CAST(path AS TEXT), sha256 FROM files"))
        db.execute("UPDATE files SET sha256 = ? WHERE path = ?", (digest, b"/b"))  # schema 2
    assert stored == {"/a": bytes.fromhex(digest), "/b": "not a sha", "/c": ""}
    book = Bookkeeping(cat.root, write=True)
    survey = book.survey([("/a", 9, 9), ("/b", 9, 9), ("/c", 9, 9)])
    assert survey.tasks(0, survey.todo) == [("/a", digest, True), ("/b", digest, True),
                                            ("/c", None, True)]
    book.close()
