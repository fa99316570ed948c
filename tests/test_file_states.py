"""FileStates and PathList against plain dict and list models, through random churn."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from newsidx.catalogue import _fold_state_lines, dump_line
from newsidx.filestates import _REC_SIZE, FileState, FileStates, PathList, _pack_tail

_HEX_IDS = [f"{n:016x}" for n in (0, 1, 0xAA, 2**63, 2**64 - 1, 0x1234_5678_9ABC_DEF0)]
_OTHER_IDS = ["not-hex", "X" * 16, "0123456789abcde", "0123456789abcdef0",
              "0123456789abcdef\n0123456789abcdef", "", "é"]
_SHAS = ["ab" * 32, "0" * 64, "AB" * 32, "not a sha", "", "ab" * 31]
_FIXED_PATHS = [
    "/a", "/b/é", "", "/c/" + "x" * 300,
    os.fsdecode(b"/d/\xff\xfe-not-utf8"),  # surrogate-escaped, as a walk gives it
    "/e/\ud800", "/f/\U0001f600", "/g/\udcff",
]

paths = st.one_of(
    st.sampled_from(_FIXED_PATHS),
    st.sampled_from(_FIXED_PATHS),  # often: churn on few paths compacts the arena
    st.sampled_from([f"/many/{n}" for n in range(40)]),
    st.binary(max_size=12).map(os.fsdecode),
    st.text(st.characters(blacklist_categories=()), max_size=8),  # lone surrogates too
)
states = st.builds(
    FileState,
    st.integers(-(2**63), 2**63 - 1),
    st.integers(-(2**63), 2**63 - 1),
    st.sampled_from(_SHAS),
    st.lists(st.one_of(st.sampled_from(_HEX_IDS + _OTHER_IDS),
                       st.integers(0, 40).map("{:016x}".format),  # colliding slots
                       st.integers(0, 2**64 - 1).map("{:016x}".format)),
             max_size=5).map(tuple),  # repeats too
)
ops = st.lists(
    st.one_of(
        st.tuples(st.just("set"), paths, states),
        st.tuples(st.just("set"), paths, states),
        st.tuples(st.just("del"), paths),
        st.tuples(st.just("stat"), paths, st.booleans()),
        st.tuples(st.just("owners"), st.sampled_from(_HEX_IDS + _OTHER_IDS)),
        st.tuples(st.just("restat"), st.integers(0, 2**20)),
        st.tuples(st.just("clear")),
    ),
    max_size=200,
)


def _check(packed: FileStates, model: dict[str, FileState], marked: set[str]) -> None:
    assert len(packed) == len(model)
    assert list(packed) == list(model)  # insertion order, as a dict keeps it
    assert dict(packed) == model
    assert sorted(packed.unmarked()) == sorted(model.keys() - marked)
    live = sum(_REC_SIZE + len(p.encode("utf-8", "surrogatepass"))
               + len(_pack_tail(s.sha256, s.ids)[1]) for p, s in model.items())
    assert len(packed._arena) - packed._garbage == live  # dead bytes are all accounted
    assert packed._garbage * 2 <= len(packed._arena)  # and compacted away past half


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops)
def test_file_states_behave_as_a_dict(program: list[tuple[object, ...]]) -> None:
    """Every operation answers what a dict of FileState would, through enough churn to
    grow the tables, rewrite states in place, append them and compact the arena."""
    packed = FileStates()
    model: dict[str, FileState] = {}
    marked: set[str] = set()
    for op in program:
        if op[0] == "set":
            path, state = op[1], op[2]
            assert isinstance(path, str) and isinstance(state, FileState)
            packed[path] = state
            model[path] = state
        elif op[0] == "del":
            path = op[1]
            assert isinstance(path, str)
            if path in model:
                del model[path]
                marked.discard(path)
                del packed[path]
            else:
                with pytest.raises(KeyError):
                    del packed[path]
            assert packed.pop(path, None) is None
        elif op[0] == "stat":
            path, mark = op[1], op[2]
            assert isinstance(path, str) and isinstance(mark, bool)
            want = (model[path].size, model[path].mtime_ns) if path in model else None
            assert packed.stat_of(path, mark=mark) == want
            assert packed.get(path) == model.get(path)
            assert (path in packed) == (path in model)
            if mark and path in model:
                marked.add(path)
        elif op[0] == "owners":
            rid = op[1]
            assert isinstance(rid, str)
            assert sorted(packed.paths_of(rid)) == sorted(
                p for p, s in model.items() if rid in s.ids)
        elif op[0] == "restat" and model:
            n = op[1]
            assert isinstance(n, int)
            path = list(model)[n % len(model)]
            changed = FileState(n, n, model[path].sha256, model[path].ids)
            packed[path] = changed  # same shape: rewritten in place
            model[path] = changed
        elif op[0] == "clear":
            packed.clear_marks()
            marked.clear()
        _check(packed, model, marked)
    for rid in {*_HEX_IDS, *_OTHER_IDS, *(i for s in model.values() for i in s.ids)}:
        assert sorted(packed.paths_of(rid)) == sorted(
            p for p, s in model.items() if rid in s.ids)
    for path in list(model):
        assert packed.pop(path) == model.pop(path)
    assert len(packed) == 0 and list(packed) == [] and packed.paths_of(_HEX_IDS[0]) == ()


def test_many_owners_through_growth_and_compaction() -> None:
    """Thousands of files share a few ids; most go away again (the arena compacts and
    the index is rebuilt), and every answer stays right."""
    packed = FileStates()
    shared = _HEX_IDS[:3]

    def state(n: int) -> FileState:
        return FileState(n, n, "ab" * 32, (f"{n:016x}", shared[n % 3], "other"))

    for n in range(3000):
        packed[f"/p/{n}"] = state(n)
        if n == 100:
            assert len(packed.paths_of(shared[0])) == 34  # the index exists from here on
    assert sorted(packed.paths_of(shared[1])) == sorted(f"/p/{n}" for n in range(1, 3000, 3))
    assert len(packed.paths_of("other")) == 3000
    arena = len(packed._arena)
    for n in range(0, 3000, 4):
        packed[f"/p/{n}"] = FileState(n, n, "ab" * 32, ())  # a shorter state: appended
    for n in range(3000):
        if n % 4:
            del packed[f"/p/{n}"]
    assert len(packed._arena) < arena  # compacted
    assert len(packed) == 750 and packed.paths_of(shared[0]) == ()
    assert packed.paths_of(f"{4:016x}") == () and packed.paths_of("other") == ()
    assert sorted(packed) == sorted(f"/p/{n}" for n in range(0, 3000, 4))
    packed["/p/4"] = state(4)
    assert packed.paths_of(shared[1]) == ("/p/4",) and packed.paths_of(f"{4:016x}") == ("/p/4",)


def test_marks_and_colliding_ids_survive_deletes_and_compaction() -> None:
    """Ids 1, 9, 17, 25 start at the same slot of a small id table: removing the first
    owner must not hide the others. Marks move with their entries when compacting."""
    ids = [f"{n:016x}" for n in (1, 9, 17, 25)]
    packed = FileStates((f"/{n}", FileState(n, n, "", (rid,))) for n, rid in enumerate(ids))
    assert packed.paths_of(ids[0]) == ("/0",)
    del packed["/0"]
    assert [packed.paths_of(rid) for rid in ids] == [(), ("/1",), ("/2",), ("/3",)]
    packed["/0"] = FileState(0, 0, "", (ids[0],))
    del packed["/1"]
    assert [packed.paths_of(rid) for rid in ids] == [("/0",), (), ("/2",), ("/3",)]
    for n in range(4, 40):
        packed[f"/{n}"] = FileState(n, n, "", ())
    assert packed.stat_of("/3", mark=True) == (3, 3) and packed.stat_of("/39", mark=True)
    epoch = packed._epoch
    for n in range(4, 39):
        del packed[f"/{n}"]
    assert packed._epoch != epoch  # compacted
    assert sorted(packed.unmarked()) == ["/0", "/2"]
    assert [packed.paths_of(rid) for rid in ids] == [("/0",), (), ("/2",), ("/3",)]


def test_one_state_with_more_ids_than_the_id_table_has_slots() -> None:
    ids = tuple(f"{n:016x}" for n in range(40))
    packed = FileStates([("/a", FileState(1, 2, "ab" * 32, ids))])
    assert all(packed.paths_of(rid) == ("/a",) for rid in ids)
    packed["/b"] = FileState(1, 2, "", tuple(f"{n:016x}" for n in range(100, 140)))
    assert packed.paths_of(f"{139:016x}") == ("/b",)


def test_an_equal_state_is_a_no_op_and_a_same_sized_one_is_rewritten_in_place() -> None:
    packed = FileStates([("/a", FileState(1, 2, "ab" * 32, (_HEX_IDS[0],)))])
    arena = bytes(packed._arena)
    packed["/a"] = FileState(1, 2, "ab" * 32, (_HEX_IDS[0],))
    assert bytes(packed._arena) == arena
    assert packed.paths_of(_HEX_IDS[0]) == ("/a",)
    packed["/a"] = FileState(3, 4, "cd" * 32, (_HEX_IDS[1],))
    assert len(packed._arena) == len(arena) and packed._garbage == 0
    assert packed["/a"] == FileState(3, 4, "cd" * 32, (_HEX_IDS[1],))
    assert packed.paths_of(_HEX_IDS[0]) == () and packed.paths_of(_HEX_IDS[1]) == ("/a",)


def test_compaction_during_iteration_is_an_error_not_a_wrong_answer() -> None:
    packed = FileStates((f"/{n}", FileState(n, n, "", ())) for n in range(100))
    with pytest.raises(RuntimeError, match="during iteration"):
        for path in packed:
            del packed[path]


def test_folding_state_lines_keeps_every_kind_of_state() -> None:
    """Loading takes a shortcut past FileState; it must store what the FileState would."""
    lines = [
        dump_line(FileState(5, -7, "ab" * 32, (_HEX_IDS[1], _HEX_IDS[1])).to_json("/x")),
        dump_line(FileState(1, 2, "nope", ("not-hex", _HEX_IDS[2])).to_json("/y")),
        dump_line(FileState(3, 4, "0" * 64, ()).to_json(os.fsdecode(b"/\xff"))),
        dump_line({"path": "/y", "deleted": True}),
    ]
    packed = FileStates()
    _fold_state_lines(packed, lines)
    model: dict[str, FileState] = {}
    _fold_state_lines(model, lines)
    assert dict(packed) == model and list(model) == ["/x", os.fsdecode(b"/\xff")]
    with pytest.raises(TypeError):
        _fold_state_lines(packed, ['{"path": "/z", "size": 1, "mtime_ns": 1, "sha256": "",'
                                   ' "ids": [1]}'])


@given(st.lists(st.one_of(
    st.tuples(st.just("add"), paths),
    st.tuples(st.just("at"), st.integers(-50, 50)),
    st.tuples(st.just("slice"), st.integers(-50, 50) | st.none(), st.integers(-50, 50) | st.none(),
              st.sampled_from([None, 1, 2, -1, -3])),
), max_size=60))
def test_path_list_behaves_as_a_list(program: list[tuple[object, ...]]) -> None:
    compact = PathList()
    model: list[str] = []
    for op in program:
        if op[0] == "add":
            path = op[1]
            assert isinstance(path, str)
            compact.append(path)
            model.append(path)
        elif op[0] == "at":
            i = op[1]
            assert isinstance(i, int)
            if -len(model) <= i < len(model):
                assert compact[i] == model[i]
            else:
                with pytest.raises(IndexError):
                    compact[i]
        else:
            cut = slice(*op[1:])  # type: ignore[misc]
            assert compact[cut] == model[cut]
        assert len(compact) == len(model) and list(compact) == model
        assert compact == model and model == compact and compact == PathList(model)
    assert compact != [*model, "/more"] and (compact == "x") is False
    assert compact != [*range(len(model))] or not model
    assert repr(compact) == f"PathList({model!r})"


def test_survey_marks_walked_paths_and_returns_a_path_list(tmp_path: Path) -> None:
    """Stale states are those the walk did not mark, counted afresh on every survey;
    the files to read come back as a PathList."""
    from newsidx.ingest import IngestReport, _survey

    top = tmp_path / "top"
    top.mkdir()
    names = ["same.md", "changed.md", os.fsdecode(b"new-\xff.md"), "goes.md"]
    for name in names:
        (top / name).write_text("x")
    states = FileStates()
    for name in names[:2] + names[3:]:
        st_ = (top / name).stat()
        states[str(top / name)] = FileState(st_.st_size, st_.st_mtime_ns, "", ())
    states[str(top / "changed.md")] = FileState(99, 0, "", ())
    states[str(top / "gone.md")] = FileState(1, 1, "", ())
    states[str(tmp_path / "elsewhere.md")] = FileState(1, 1, "", ())  # outside the root

    report = IngestReport()
    todo = _survey([str(top)], False, states, report, lambda event: None)
    assert isinstance(todo, PathList)
    assert sorted(todo) == sorted(str(top / n) for n in ("changed.md", names[2]))
    assert report.unchanged == 2 and report.stale == [str(top / "gone.md")]

    (top / "goes.md").unlink()
    report = IngestReport()
    _survey([str(top)], False, states, report, lambda event: None)
    assert report.stale == [str(top / "goes.md"), str(top / "gone.md")]
