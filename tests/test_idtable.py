"""The catalogue's id -> shard table against a dict, and its file format."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newsidx.idtable import IdTable, IdTableError

HEX16 = st.integers(0, 2**64 - 1).map(lambda n: f"{n:016x}")
# few distinct low values collide in the same probe runs; odd ids take the ``other`` path
CLUSTERED = st.integers(0, 40).map(lambda n: f"{n:016x}")
ODD = st.sampled_from(["abc", "ABCDEF0123456789", "x" * 16, "0" * 16, "ü", "0123456789abcdef0"])
IDS = st.one_of(HEX16, CLUSTERED, ODD)
SHARDS = st.sampled_from(["2024-03", "2023-10", "undated", "0001-01", "9999-12"])
OPS = st.lists(st.tuples(st.sampled_from(["set", "discard"]), IDS, SHARDS), max_size=400)


def _apply(ops: list[tuple[str, str, str]]) -> tuple[IdTable, dict[str, str]]:
    table, model = IdTable(), {}
    for op, rid, shard in ops:
        if op == "set":
            table.set(rid, shard)
            model[rid] = shard
        else:
            table.discard(rid)
            model.pop(rid, None)
    return table, model


@settings(max_examples=150, deadline=None)
@given(OPS, st.lists(IDS, max_size=20))
def test_matches_a_dict(ops: list[tuple[str, str, str]], probes: list[str]) -> None:
    table, model = _apply(ops)
    assert len(table) == len(model)
    assert dict(table.items()) == model
    assert sorted(table) == sorted(model)
    for rid in probes + [rid for _, rid, _ in ops]:
        assert table.get(rid) == model.get(rid)
        assert (rid in table) == (rid in model)
    expected: dict[str, set[str]] = {}
    for rid in probes:
        if rid in model:
            expected.setdefault(model[rid], set()).add(rid)
    assert table.shards_for(probes) == expected
    again = IdTable.from_bytes(table.to_bytes())
    assert dict(again.items()) == model and len(again) == len(model)


@settings(max_examples=60, deadline=None)
@given(OPS, st.text("0123456789abcdef", max_size=17))
def test_prefix_lookup_matches_a_scan(ops: list[tuple[str, str, str]], prefix: str) -> None:
    table, model = _apply(ops)
    assert table.with_prefix(prefix) == sorted(r for r in model if r.startswith(prefix))


def test_growth_and_churn_keep_every_entry() -> None:
    table, model = IdTable(), {}
    for n in range(20_000):
        rid = f"{(n * 0x9E3779B97F4A7C15) % 2**64 or 1:016x}"
        table.set(rid, f"shard-{n % 7}")
        model[rid] = f"shard-{n % 7}"
        if n % 3 == 0:
            victim = next(iter(model))
            table.discard(victim)
            del model[victim]
    assert dict(table.items()) == model
    data = table.to_bytes()
    assert len(data) < 40 * len(model)  # ~12 bytes a slot, at most half empty
    assert dict(IdTable.from_bytes(data).items()) == model


@pytest.mark.parametrize("damage", ["truncate", "header", "format", "count", "shard"])
def test_a_damaged_file_is_refused(damage: str) -> None:
    table = IdTable.of([("00000000000000aa", "2024-03"), ("zz", "undated")])
    data = table.to_bytes()
    end = data.index(b"\n")
    header = json.loads(data[:end])
    if damage == "truncate":
        data = data[:-5]
    elif damage == "header":
        data = b"[not json" + data[9:]
    else:
        if damage == "format":
            header["format"] = "something-else"
        elif damage == "count":
            header["count"] = 5
        else:
            header["shards"] = []
        text = json.dumps(header).encode()
        text += b" " * (-(len(text) + 1) % 8) + b"\n"
        data = text + data[end + 1:]
    with pytest.raises(IdTableError):
        loaded = IdTable.from_bytes(data)
        loaded.get("00000000000000aa")
