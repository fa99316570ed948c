"""``--story ID`` wherever filters are taken, and ``story`` in every record output."""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path

import clirun
import pytest

from newsidx.api import Archive
from newsidx.filters import Filters


def newsidx(*args: str, catalogue: Path) -> clirun.Done:
    return clirun.newsidx(*args, env={**os.environ, "NEWSIDX_CATALOGUE": str(catalogue)})


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    catalogue = tmp_path_factory.mktemp("seeds") / "catalogue"
    seeds = Path(__file__).resolve().parent.parent / "seeds"
    done = newsidx("ingest", "--stories", str(seeds), catalogue=catalogue)
    assert done.returncode == 0, done.stderr
    return catalogue


def _stories(catalogue: Path) -> dict[str, set[str]]:
    out = newsidx("list", "--format", "jsonl", catalogue=catalogue)
    assert out.returncode == 0, out.stderr
    groups: dict[str, set[str]] = {}
    for d in map(json.loads, out.stdout.splitlines()):
        groups.setdefault(d["story"], set()).add(d["id"])
    return groups


@pytest.mark.slow  # whole CLI runs (test_story_cli checks grouping in process)
def test_story_option_filters_every_reader(seeded: Path) -> None:
    groups = _stories(seeded)
    zhipu = next(s for s, ids in groups.items() if len(ids) == 6)
    ids = groups[zhipu]
    listed = newsidx("list", "--story", zhipu, "--format", "ids", catalogue=seeded)
    assert listed.returncode == 0, listed.stderr
    assert set(listed.stdout.split()) == ids
    searched = newsidx("search", "--story", zhipu, "Zhipu", "--format", "ids",
                       catalogue=seeded)
    assert searched.returncode == 0, searched.stderr
    assert set(searched.stdout.split()) <= ids and searched.stdout.split()
    counted = newsidx("count", "--story", zhipu, catalogue=seeded)
    assert counted.returncode == 0, counted.stderr
    assert counted.stdout.split()[-1] == "6"
    providers = newsidx("providers", "--story", zhipu, "--format", "json", catalogue=seeded)
    assert providers.returncode == 0, providers.stderr
    assert sum(r["count"] for r in json.loads(providers.stdout)["providers"]) == 6
    exported = newsidx("export", "--story", zhipu, catalogue=seeded)
    assert exported.returncode == 0, exported.stderr
    assert {json.loads(line)["id"] for line in exported.stdout.splitlines()} == ids
    timeline = newsidx("timeline", "--story", zhipu, "--format", "json", catalogue=seeded)
    assert timeline.returncode == 0, timeline.stderr
    assert sum(b["count"] for b in json.loads(timeline.stdout)["buckets"]) == 6
    # two stories: none of the other's records
    other = next(s for s, i in groups.items() if len(i) == 3)
    both = newsidx("list", "--story", zhipu, "--story", other, "--format", "ids",
                   catalogue=seeded)
    assert set(both.stdout.split()) == ids | groups[other]


def test_unknown_story_matches_nothing(seeded: Path) -> None:
    done = newsidx("list", "--story", "0000000000000000", catalogue=seeded)
    assert done.returncode == 1
    assert done.stdout == ""


def test_api_filters_by_story_through_index_and_catalogue(seeded: Path) -> None:
    archive = Archive(seeded)
    record = next(iter(archive))
    assert record.story
    by_index = {h.record.id for h in archive.iter_list(Filters(stories=record.story))}
    by_export = {r.id for r in archive.export(Filters(stories=[record.story.upper()]))}
    assert record.id in by_index
    assert by_index == by_export
    assert all(r.story == record.story for r in archive.export(Filters(stories=record.story)))


def test_story_is_in_json_jsonl_and_csv(seeded: Path) -> None:
    for fmt in ("json", "jsonl", "csv"):
        done = newsidx("search", "Zhipu", "--format", fmt, catalogue=seeded)
        assert done.returncode == 0, done.stderr
        if fmt == "json":
            records = json.loads(done.stdout)["results"]
        elif fmt == "jsonl":
            records = [json.loads(line) for line in done.stdout.splitlines()]
        else:
            records = list(csv.DictReader(io.StringIO(done.stdout)))
        assert records and all(r["story"] for r in records), fmt
