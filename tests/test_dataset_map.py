"""``--map FIELD=KEY.PATH`` overriding the dataset guesses, and ``ingest --dry-run``."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import clirun
import pytest

from newsidx.api import Archive
from newsidx.errors import UsageError


def _cli(*args: str, root: Path) -> clirun.Done:
    return clirun.newsidx(*args, env={**os.environ, "NEWSIDX_CATALOGUE": str(root)})


def _rows(n: int, start: int = 0) -> list[dict[str, Any]]:
    return [{"title": f"teaser {i}", "meta": {"headline": f"Real headline {i}",
                                               "desk": "metro"},
             "href": f"https://paper.example/story/{i}", "when": 1_700_000_000 + i,
             "description": f"summary {i}", "misc": i}
            for i in range(start, start + n)]


def _write_jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


MAP = ("--map", "title=meta.headline", "--map", "url=href", "--map", "published=when",
       "--map", "excerpt=")


def test_map_overrides_guesses_with_dotted_paths(tmp_path: Path) -> None:
    data = _write_jsonl(tmp_path / "rows.jsonl", _rows(5))
    run = _cli("ingest", str(data), *MAP, root=tmp_path / "cat")
    assert run.returncode == 0, run.stderr
    records = {r.title: r for r in Archive(tmp_path / "cat").export()}
    assert set(records) == {f"Real headline {i}" for i in range(5)}
    two = records["Real headline 2"]
    assert two.web_url == "https://paper.example/story/2"
    assert two.published is not None and two.published.timestamp() == 1_700_000_002
    assert two.date_source == "when"  # the mapped key, not the field it was mapped to
    assert two.excerpt == ""  # excerpt= maps nothing: the description stays in extra
    assert two.extra["description"] == "summary 2"
    assert two.extra["title"] == "teaser 2"  # the guess overridden is kept in extra
    assert two.extra["meta"] == {"desk": "metro"}  # the mapped leaf taken out
    assert two.provider is not None and two.provider.domain == "paper.example"


def test_map_reaches_parallel_workers(tmp_path: Path) -> None:
    folder = tmp_path / "many"
    folder.mkdir()
    for n in range(12):
        _write_jsonl(folder / f"part{n}.jsonl", _rows(3, start=n * 3))
    archive = Archive(tmp_path / "cat")
    report = archive.ingest(folder, jobs=2, field_map=MAP[1::2])
    assert report.exit_code == 0 and report.records_added == 36
    assert all(r.title.startswith("Real headline") for r in archive.export())


def test_map_given_later_rereads_an_unchanged_dataset(tmp_path: Path) -> None:
    data = _write_jsonl(tmp_path / "rows.jsonl", _rows(3))
    archive = Archive(tmp_path / "cat")
    archive.ingest(data)
    assert {r.title for r in archive.export()} == {"teaser 0", "teaser 1", "teaser 2"}
    report = archive.ingest(data, field_map=MAP[1::2])
    assert report.changed and report.records_added == 3  # new URLs: new records
    assert {r.title for r in archive.export()} == {f"Real headline {i}" for i in range(3)}
    again = archive.ingest(data, field_map=MAP[1::2])
    assert again.records_added == again.records_updated == again.records_removed == 0


@pytest.mark.parametrize("spec", ["nonsense", "colour=meta.x", "title=meta..headline"])
def test_bad_map_is_one_usage_error(tmp_path: Path, spec: str) -> None:
    data = _write_jsonl(tmp_path / "rows.jsonl", _rows(2))
    run = _cli("ingest", str(data), "--map", spec, root=tmp_path / "cat")
    assert run.returncode == 2
    assert "--map" in run.stderr and "Traceback" not in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1
    with pytest.raises(UsageError):
        Archive(tmp_path / "cat2").ingest(data, field_map=[spec])


def test_dry_run_reports_kind_mapping_unmapped_and_samples(tmp_path: Path) -> None:
    data = _write_jsonl(tmp_path / "rows.jsonl", _rows(10))
    feed = Path(__file__).parent / "feeds" / "atom.xml"
    root = tmp_path / "cat"
    run = _cli("ingest", "--dry-run", str(data), str(feed), root=root)
    assert run.returncode == 0, run.stderr
    assert not root.exists()  # nothing written, not even an empty catalogue
    out = run.stdout
    assert f"{data}: dataset (JSON Lines), 10 items" in out
    assert "title   <- title (10)" in out and "excerpt <- description (10)" in out
    assert "url" not in out.split("sample 1")[0]  # href and when are no guessed names
    assert "unmapped, kept in extra: meta (10), href (10), when (10), misc (10)" in out
    assert out.count("sample ") == 3 + 2  # three of the dataset, the feed's two entries
    assert f"{feed}: feed" in out
    mapped = _cli("ingest", "--dry-run", "--format", "json", str(data), *MAP, root=root)
    assert mapped.returncode == 0, mapped.stderr
    (plan,) = json.loads(mapped.stdout)
    assert plan["kind"] == "dataset (JSON Lines)" and plan["items_read"] == 10
    assert plan["mapping"]["title"] == {"--map title": 10}
    assert "excerpt" not in plan["mapping"]
    assert plan["unmapped"] == {"title": 10, "description": 10, "misc": 10, "meta": 10}
    assert [s["title"] for s in plan["samples"]] == [f"Real headline {i}" for i in range(3)]
    assert not root.exists()


def test_dry_run_names_broken_lines_and_exits_1(tmp_path: Path) -> None:
    data = tmp_path / "broken.jsonl"
    data.write_text('{"title": "fine", "url": "https://a.example/1"}\n{"title": \n'
                    '{"title": "also fine", "url": "https://a.example/2"}\n')
    run = _cli("ingest", "--dry-run", str(data), root=tmp_path / "cat")
    assert run.returncode == 1
    assert f"{data}:2:" in run.stdout and "Traceback" not in run.stderr
    assert run.stdout.count("sample ") == 2


def test_a_mapped_field_beats_keys_the_guesses_prefer(tmp_path: Path) -> None:
    rows = [{"title": "Dated twice", "url": "https://paper.example/x",
             "publishedAt": "2001-01-01T00:00:00Z", "when": "2024-05-07T23:30:00+02:00"},
            {"title": "Second row", "url": "https://paper.example/y"}]  # two: a dataset
    data = _write_jsonl(tmp_path / "rows.jsonl", rows)
    archive = Archive(tmp_path / "cat")
    assert archive.ingest(data, field_map=["published=when"]).exit_code == 0
    record = next(r for r in archive.export() if r.title == "Dated twice")
    assert record.published_raw == "2024-05-07T23:30:00+02:00"
    assert record.published_offset == "+02:00"
    assert record.extra["publishedAt"] == "2001-01-01T00:00:00Z"
