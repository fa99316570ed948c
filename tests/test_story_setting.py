"""Grouping into stories is a catalogue's setting: off until ``ingest --stories``, kept for
later ingests, and turning it on groups the records already stored."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import clirun
import pytest

from newsidx.api import Archive

SEEDS = Path(__file__).resolve().parent.parent / "seeds"


def newsidx(*args: str, catalogue: Path) -> clirun.Done:
    return clirun.newsidx(*args, env={**os.environ, "NEWSIDX_CATALOGUE": str(catalogue)})


def _stories(catalogue: Path) -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for shard in (catalogue / "records").glob("*.jsonl"):
        for line in shard.read_text(encoding="utf-8").splitlines():
            data = json.loads(line)
            out[data["id"]] = data.get("story")  # a null value is left out of a line
    return out


def _groups(catalogue: Path) -> list[int]:
    sizes: dict[str, int] = {}
    for story in _stories(catalogue).values():
        if story is not None:
            sizes[story] = sizes.get(story, 0) + 1
    return sorted(sizes.values(), reverse=True)


def _story_rows(catalogue: Path) -> int:
    with sqlite3.connect(catalogue / "state.db") as db:
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master")}
        if "story_members" not in tables:
            return 0
        return int(db.execute("SELECT count(*) FROM story_members").fetchone()[0])


def test_a_new_catalogue_does_not_group_and_search_lists_every_record(tmp_path: Path) -> None:
    cat = tmp_path / "cat"
    done = newsidx("ingest", str(SEEDS), catalogue=cat)
    assert done.returncode == 0, done.stderr
    assert set(_stories(cat).values()) == {None} and _story_rows(cat) == 0
    assert not (cat / "settings.json").exists()
    hits = newsidx("search", "Alibaba MiniMax", "--format", "jsonl", catalogue=cat)
    rows = [json.loads(line) for line in hits.stdout.splitlines()]
    assert len(rows) == 3 and all("story_size" not in row for row in rows)
    listed = newsidx("stories", catalogue=cat)
    assert listed.returncode == 1
    assert "ingest --stories" in listed.stderr  # says why there are none


def test_turning_stories_on_groups_the_stored_records_and_is_kept(tmp_path: Path) -> None:
    cat = tmp_path / "cat"
    assert newsidx("ingest", str(SEEDS), catalogue=cat).returncode == 0
    done = newsidx("ingest", "--stories", str(SEEDS), catalogue=cat)
    assert done.returncode == 0, done.stderr
    assert "13" in done.stderr  # the stored records it grouped, counted
    assert _groups(cat) == [6, 3, 3, 1]  # the seeds' three stories; the FT piece alone
    assert json.loads((cat / "settings.json").read_text(encoding="utf-8")) == {"stories": True}
    assert newsidx("check", catalogue=cat).returncode == 0
    # a later ingest without the flag groups too: a new copy joins its story
    src = tmp_path / "more"
    src.mkdir()
    (src / "copy.md").write_text(
        "---\ntitle: Alibaba backs US$2.5 billion AI startup in second major 2024 deal\n"
        "url: https://copies.example/minimax\npublished: 2024-03-05T08:00:00Z\n"
        "provider: copies.example\n---\nALIBABA Group Holding is leading a financing round "
        "of at least US$600 million for Chinese AI startup MiniMax, spearheading its second "
        "major deal in the space this year as it deploys capital in the sector.\n",
        encoding="utf-8")
    assert newsidx("ingest", str(src), catalogue=cat).returncode == 0
    assert _groups(cat) == [6, 4, 3, 1]
    assert Archive(cat).stories_on


@pytest.mark.slow  # a few seconds of whole ingests: run by .ci/run's full suite
def test_no_stories_stops_grouping_new_records_and_keeps_the_stored(tmp_path: Path) -> None:
    cat = tmp_path / "cat"
    assert newsidx("ingest", "--stories", str(SEEDS), catalogue=cat).returncode == 0
    before = _stories(cat)
    done = newsidx("ingest", "--no-stories", str(SEEDS), catalogue=cat)
    assert done.returncode == 0 and "no longer groups" in done.stderr
    assert _stories(cat) == before and not Archive(cat).stories_on
    src = tmp_path / "more"
    src.mkdir()
    (src / "new.md").write_text("---\ntitle: Zhipu raises again\nurl: https://x.example/z\n"
                                "published: 2023-10-20T09:00:00Z\n---\nZhipu, again.\n",
                                encoding="utf-8")
    assert newsidx("ingest", str(src), catalogue=cat).returncode == 0
    new = [data for shard in (cat / "records").glob("*.jsonl")
           for data in map(json.loads, shard.read_text(encoding="utf-8").splitlines())
           if data["title"] == "Zhipu raises again"]
    assert len(new) == 1 and new[0].get("story") is None  # a null value is left out
    hits = newsidx("search", "Zhipu", "--format", "jsonl", catalogue=cat)
    assert all("story_size" not in json.loads(line) for line in hits.stdout.splitlines())


def test_a_damaged_settings_file_is_one_line_naming_it(tmp_path: Path) -> None:
    cat = tmp_path / "cat"
    assert newsidx("ingest", str(SEEDS), catalogue=cat).returncode == 0
    (cat / "settings.json").write_text('{"stories": "yes"', encoding="utf-8")
    done = newsidx("ingest", str(SEEDS), catalogue=cat)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "settings.json" in lines[0] and "Traceback" not in done.stderr
    assert len(_stories(cat)) == 13  # nothing lost


def test_one_catalogue_grouping_leaves_the_next_ones_ingest_alone(tmp_path: Path) -> None:
    from newsidx import prepared

    Archive(tmp_path / "grouped").ingest([SEEDS], jobs=1, stories=True)
    assert not prepared.stories_on()  # the process's next reader or writer computes none
    Archive(tmp_path / "plain").ingest([SEEDS], jobs=1)
    assert set(_stories(tmp_path / "plain").values()) == {None}
    assert _groups(tmp_path / "grouped")[:3] == [6, 3, 3]
