"""Bounded-time fuzzing: the parser on mutated real articles, ingest on generated trees."""

from __future__ import annotations

import random
from datetime import date
from pathlib import Path
from typing import cast

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from newsidx.catalogue import Catalogue
from newsidx.errors import ParseError
from newsidx.ingest import ingest
from newsidx.model import make_id, to_json
from newsidx.parse import parse_bytes

FUZZ_CASES = 3000
SEEDS = Path(__file__).resolve().parent.parent / "seeds"


def _mutate(rng: random.Random, data: bytes) -> bytes:
    buf = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        op = rng.randrange(5)
        at = rng.randrange(len(buf) + 1)
        if op == 0 and buf:
            buf[min(at, len(buf) - 1)] = rng.randrange(256)
        elif op == 1:
            buf[at:at] = rng.choice([b"---\n", b"&a ", b"*a", b"[", b"{", b"- ", b": ",
                                     b"\x00", b"\xff\xfe", b"!!python/object ", b"\r"])
        elif op == 2 and buf:
            del buf[at : at + rng.randint(1, 64)]
        elif op == 3:
            piece = bytes(buf[at : at + rng.randint(1, 256)])
            buf[at:at] = piece * rng.randint(1, 4)
        else:
            buf[at:at] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 16)))
    return bytes(buf)


@pytest.mark.slow
def test_parser_fuzz_on_mutated_seeds() -> None:
    """Mutate the seeds FUZZ_CASES times: every input parses or raises ParseError."""
    corpus = [p.read_bytes() for p in sorted(SEEDS.iterdir()) if p.is_file()]
    rng = random.Random(7)
    tried = parsed = 0
    for _ in range(FUZZ_CASES):
        data = _mutate(rng, rng.choice(corpus))
        tried += 1
        try:
            result = parse_bytes(data, "fuzz.md")
        except ParseError as err:
            assert err.reason and "\n" not in str(err)
            continue
        parsed += 1
        assert result.records[0].kind == "article"
        for record in result.records:
            to_json(record)
    assert tried > 100 and 0 < parsed < tried


_VALID = st.tuples(
    st.integers(0, 10**6), st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]),
                                   min_size=1, max_size=30).filter(lambda t: t.strip() != ""),
    st.dates(),
).map(lambda spec: ("valid", spec))
_YAML = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner,
                                                                 max_size=3),
    max_leaves=8,
).map(lambda v: ("yaml", v))
_BYTES = st.binary(max_size=200).map(lambda b: ("bytes", b))


def _write(path: Path, kind: str, spec: object) -> str | None:
    """Write one generated file; returns the id of the article it must give, if valid."""
    if kind == "valid":
        n, title, day = cast("tuple[int, str, date]", spec)
        url = f"https://example.com/gen/{n}"
        meta = {"title": title, "url": url, "date": day.isoformat()}
        path.write_text("---\n" + yaml.safe_dump(meta) + "---\nbody\n", encoding="utf-8")
        return make_id(url=url)
    if kind == "yaml":
        path.write_text("---\n" + yaml.safe_dump(spec) + "---\n", encoding="utf-8")
    else:
        path.write_bytes(spec)  # type: ignore[arg-type]
    return None


@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(st.lists(st.one_of(_VALID, _YAML, _BYTES), min_size=1, max_size=10))
def test_ingest_of_generated_trees(tmp_path_factory: object, files: list[tuple[str, object]]
                                   ) -> None:
    """Every valid article lands, every other file is stored, skipped or failed by name."""
    base = tmp_path_factory.mktemp("gen")  # type: ignore[attr-defined]
    root = base / "tree"
    expected: dict[str, str] = {}
    for i, (kind, spec) in enumerate(files):
        path = root / f"d{i % 3}" / f"f{i}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        rid = _write(path, kind, spec)
        if rid is not None:
            expected[str(path)] = rid
    cat = Catalogue(base / "cat")
    report = ingest([root], cat, jobs=1)
    accounted = set(report.new) | {p for p, _ in report.skipped} | {p for p, _ in report.failed}
    assert accounted == {str(p) for p in root.rglob("*.md")}
    assert all(reason and "\n" not in reason for _, reason in report.failed + report.skipped)
    states = cat.files()
    assert set(states) == set(report.new)
    ids = set(cat.ids())
    for path, rid in expected.items():
        assert path in report.new and rid in ids and states[path].ids[0] == rid
    assert cat.check() == []


def test_year_before_1000(tmp_path: Path) -> None:
    (tmp_path / "tree").mkdir()
    _write(tmp_path / "tree" / "old.md", "valid", (1, "Old", date(999, 1, 1)))
    cat = Catalogue(tmp_path / "cat")
    ingest([tmp_path / "tree"], cat, jobs=1)
    assert cat.check() == []
