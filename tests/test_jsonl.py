"""``newsidx ingest --from-jsonl``: an export re-ingested gives back the same catalogue."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from newsidx.catalogue import Catalogue
from newsidx.cli import cli
from newsidx.errors import ParseError
from newsidx.index import SearchIndex, SearchRequest
from newsidx.jsonl import ingest_jsonl, read_records
from newsidx.model import Article, Image, Provider, RelatedRef, clean, to_json


def run(*args: str, code: int = 0) -> Result:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == code, (result.output, result.stderr)
    return result


def _export(root: Path) -> str:
    return run("--catalogue", str(root), "export", "--format", "jsonl").stdout


def test_seeds_round_trip_through_jsonl(tmp_path: Path, seeds: Path) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    run("--catalogue", str(first), "ingest", str(seeds))
    exported = _export(first)
    feed = tmp_path / "all.jsonl"
    feed.write_text(exported, encoding="utf-8")
    result = run("--catalogue", str(second), "ingest", "--from-jsonl", str(feed))
    assert "13 records added, 0 updated" in result.stdout
    assert _export(second) == exported
    for command in (["providers"], ["topics"], ["timeline", "--by", "day"]):
        a = run("--catalogue", str(first), *command).stdout
        assert a and run("--catalogue", str(second), *command).stdout == a
    for query in ("MiniMax", "Zhipu", "Baichuan"):
        a = run("--catalogue", str(first), "search", query, "--format", "ids").stdout
        assert a and run("--catalogue", str(second), "search", query, "--format", "ids").stdout == a
    index = SearchIndex(second / "index")
    assert index.generation() == Catalogue(second).generation == 1


def test_reingest_into_the_same_catalogue_updates(tmp_path: Path, seeds: Path) -> None:
    root = tmp_path / "cat"
    run("--catalogue", str(root), "ingest", str(seeds))
    feed = tmp_path / "all.jsonl"
    feed.write_text(_export(root), encoding="utf-8")
    before = _export(root)
    result = run("--catalogue", str(root), "ingest", "--from-jsonl", str(feed),
                 "--format", "json")
    summary = json.loads(result.stdout)
    assert (summary["records_added"], summary["records_updated"]) == (0, 13)
    assert summary["records_total"] == 13
    assert _export(root) == before


BAD_LINES = [
    ("not json", "invalid JSON"),
    ("[1, 2]", "not a JSON object"),
    ('{"title": "no id"}', "no record id"),
    ('{"id": "abcd", "kind": "blog"}', "unknown kind"),
    ('{"id": "abcd", "topics": "AI"}', "'topics' must be a list of strings"),
    ('{"id": "abcd", "published": "yesterday-ish"}', "not a newsidx record"),
    ('{"id": "abcd", "provider": "scmp.com"}', "'provider' must be an object"),
]


@pytest.mark.parametrize(("line", "reason"), BAD_LINES)
def test_bad_line_names_file_and_line_and_writes_nothing(
    tmp_path: Path, line: str, reason: str
) -> None:
    good = json.dumps(to_json(Article(id="0123456789abcdef", kind="article", title="fine")))
    feed = tmp_path / "feed.jsonl"
    feed.write_text(f"{good}\n\n{line}\n{good}\n", encoding="utf-8")
    root = tmp_path / "cat"
    result = run("--catalogue", str(root), "ingest", "--from-jsonl", str(feed), code=1)
    assert result.stderr.startswith(f"newsidx: error: {feed}:3: ")
    assert reason in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not root.exists()


def test_bad_second_file_leaves_the_catalogue_untouched(tmp_path: Path, seeds: Path) -> None:
    root = tmp_path / "cat"
    run("--catalogue", str(root), "ingest", str(seeds))
    before = _export(root)
    good, bad = tmp_path / "good.jsonl", tmp_path / "bad.jsonl"
    good.write_text(before, encoding="utf-8")
    bad.write_bytes(b'{"id": "ffff"}\n\xff\xfe\n')
    with pytest.raises(ParseError, match=r"bad\.jsonl:2: not UTF-8"):
        ingest_jsonl(Catalogue(root), [good, bad])
    assert Catalogue(root).generation == 1
    assert _export(root) == before


def test_missing_file_and_folder(tmp_path: Path) -> None:
    with pytest.raises(ParseError, match="no such file"):
        list(read_records(tmp_path / "nope.jsonl"))
    with pytest.raises(ParseError, match="is a folder"):
        list(read_records(tmp_path))


def test_empty_file_commits_nothing(tmp_path: Path) -> None:
    feed = tmp_path / "empty.jsonl"
    feed.write_text("\n", encoding="utf-8")
    result = ingest_jsonl(Catalogue(tmp_path / "cat"), [feed])
    assert (result.records_added, result.generation) == (0, 0)
    assert not (tmp_path / "cat").exists()


def test_index_follows_the_commit(tmp_path: Path) -> None:
    root = tmp_path / "cat"
    record = Article(id="00000000000000aa", kind="article", title="Quetzal sighted",
                     published=datetime(2024, 5, 1, tzinfo=timezone.utc),
                     provider=Provider("Birds", "birds.example"), topics=("Nature",))
    feed = tmp_path / "f.jsonl"
    feed.write_text(json.dumps(to_json(record)) + "\n", encoding="utf-8")
    ingest_jsonl(Catalogue(root), [feed])
    changed = Article(id=record.id, kind="article", title="Toucan sighted")
    feed.write_text(json.dumps(to_json(changed)) + "\n", encoding="utf-8")
    result = ingest_jsonl(Catalogue(root), [feed])
    assert (result.records_updated, result.generation) == (1, 2)
    index = SearchIndex(root / "index")
    assert index.generation() == 2
    assert [h.record for h in index.search(SearchRequest(text="toucan")).hits] == [changed]
    assert index.count(SearchRequest(text="quetzal")) == 0


_text = st.text(st.characters(blacklist_categories=["Cs"]), max_size=30)
_json_scalar = st.none() | st.booleans() | st.integers(-(2**53), 2**53) | _text
_records = st.builds(
    Article,
    id=st.text("0123456789abcdef", min_size=16, max_size=16),
    kind=st.sampled_from(("article", "related")),
    title=_text, excerpt=_text, body=_text,
    published=st.none() | st.datetimes(
        min_value=datetime(1900, 1, 1), max_value=datetime(2100, 1, 1),
        timezones=st.just(timezone.utc)).map(lambda d: d.replace(microsecond=0)),
    published_raw=st.none() | _text,
    provider=st.none() | st.builds(Provider, st.none() | _text, st.none() | _text),
    topics=st.lists(_text, max_size=3).map(tuple),
    url=st.none() | _text,
    quality=st.none() | st.floats(allow_nan=False, allow_infinity=False),
    images=st.lists(st.builds(Image, _text, st.none() | st.integers(0, 5000)),
                    max_size=2).map(tuple),
    related=st.lists(st.builds(RelatedRef, _text, _text, st.none() | _text),
                     max_size=2).map(tuple),
    sources=st.lists(_text, max_size=2).map(tuple),
    extra=st.dictionaries(_text, _json_scalar, max_size=3),
)


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(st.lists(_records, max_size=5))
def test_read_records_inverts_export_lines(tmp_path: Path, records: list[Article]) -> None:
    feed = tmp_path / "prop.jsonl"
    lines = [json.dumps({**to_json(r), "rank": n, "score": 1.5, "snippet": "x"},
                        ensure_ascii=False) for n, r in enumerate(records, 1)]
    feed.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    assert list(read_records(feed)) == [clean(r) for r in records]
