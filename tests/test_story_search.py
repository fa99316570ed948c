"""Search shows one row per story by default; ``--all-copies`` and ``list --group``."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import clirun
import pytest
from ptyrun import run_on_pty

from newsidx import grouping
from newsidx.api import Archive
from newsidx.filters import Filters

NEWSIDX = [sys.executable, "-m", "newsidx"]


def newsidx(*args: str, catalogue: Path) -> clirun.Done:
    return clirun.newsidx(*args, env={**os.environ, "NEWSIDX_CATALOGUE": str(catalogue)})


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    catalogue = tmp_path_factory.mktemp("seeds") / "catalogue"
    seeds = Path(__file__).resolve().parent.parent / "seeds"
    done = newsidx("ingest", "--stories", str(seeds), catalogue=catalogue)
    assert done.returncode == 0, done.stderr
    return catalogue


WIRE = ("Harbour authority {n} approved the Tamsin estuary crossing on Tuesday after "
        "nine years of debate, committing 4.2 billion to a tunnel under the water. "
        "Construction starts next spring and the first trains are due in 2031, the "
        "transport chair Orla Brennagh told reporters in Dunmere.")


@pytest.fixture(scope="module")
def wire(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One wire story run by five outlets, and twelve unrelated harbour notes."""
    root = tmp_path_factory.mktemp("wire")
    src = root / "src"
    src.mkdir()
    for i in range(5):
        (src / f"copy{i}.md").write_text(
            "---\ntitle: Harbour tunnel approved under the Tamsin estuary\n"
            f"url: https://outlet{i}.example/tunnel\npublished: 2024-05-07T0{i}:00:00Z\n"
            f"provider: outlet{i}.example\n---\n{WIRE.format(n='')}\n", encoding="utf-8")
    topics = ["orchids", "striker", "heatwave", "election", "jazz", "lunch", "trains",
              "teachers", "library", "bridge", "museum", "ferry"]
    for i, word in enumerate(topics):
        (src / f"note{i}.md").write_text(
            f"---\ntitle: Harbour {word} note {i}\nurl: https://notes{i}.example/{word}\n"
            f"published: 2024-0{1 + i % 4}-1{i % 9}T09:00:00Z\nprovider: notes{i}.example\n"
            f"---\nA short harbour note about {word} number {i} and nothing else.\n",
            encoding="utf-8")
    catalogue = root / "cat"
    done = newsidx("ingest", "--stories", str(src), catalogue=catalogue)
    assert done.returncode == 0, done.stderr
    return catalogue


def _jsonl(stdout: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in stdout.splitlines()]


@pytest.mark.slow  # whole CLI runs (test_story_cli checks it in process)
def test_search_shows_one_row_per_story_and_loses_no_record(seeded: Path) -> None:
    grouped = newsidx("search", "funding", "--format", "jsonl", catalogue=seeded)
    assert grouped.returncode == 0, grouped.stderr
    rows = _jsonl(grouped.stdout)
    every = _jsonl(newsidx("search", "funding", "--all-copies", "--format", "jsonl",
                           catalogue=seeded).stdout)
    assert len({r["story"] for r in rows}) == len(rows) < len(every)
    members = [m for r in rows for m in r["story_members"]]  # type: ignore[attr-defined]
    assert sorted(members) == sorted(r["id"] for r in every)  # every match, once
    stories = {r["id"]: r["story"] for r in every}
    for row in rows:
        assert row["story_members"][0] == row["id"]  # type: ignore[index]
        assert all(stories[m] == row["story"] for m in row["story_members"])  # type: ignore[attr-defined]
        whole = newsidx("count", "--story", str(row["story"]), catalogue=seeded)
        assert int(whole.stdout) == row["story_size"]
    by_id = {r["id"]: r for r in every}
    for row in rows:  # the row's passage and marks are those of its record searched alone
        assert row["snippet"] == by_id[row["id"]]["snippet"]
        assert row["highlights"] == by_id[row["id"]]["highlights"]
    assert any(row["snippet"] for row in rows)
    folded = len(every) - len(rows)
    assert f"{folded} more matching records folded" in grouped.stderr
    # the best-ranked member leads: the grouped order is the order of first appearance
    firsts = list(dict.fromkeys(r["story"] for r in every))
    assert [r["story"] for r in rows] == firsts
    assert _jsonl(newsidx("search", "funding", "--no-group", "--format", "jsonl",
                          catalogue=seeded).stdout) == every


@pytest.mark.slow  # whole CLI runs: run by .ci/run's full suite
def test_limit_and_offset_count_stories(seeded: Path) -> None:
    every = newsidx("search", "funding", "--format", "ids", catalogue=seeded).stdout.split()
    assert len(every) >= 3
    first = newsidx("search", "funding", "-n", "1", "--format", "ids", catalogue=seeded)
    assert first.stdout.split() == every[:1]
    assert "(-n N or --all for more)" in first.stderr
    second = newsidx("search", "funding", "-n", "1", "--offset", "1", "--format", "ids",
                     catalogue=seeded)
    assert second.stdout.split() == every[1:2]
    past = newsidx("search", "funding", "--offset", "50", catalogue=seeded)
    assert past.returncode == 1 and past.stdout == ""


def test_plain_text_keeps_one_line_per_row_with_the_count(seeded: Path) -> None:
    plain = newsidx("search", "Zhipu", catalogue=seeded)
    assert plain.returncode == 0, plain.stderr
    lines = plain.stdout.splitlines()
    assert len(lines) == 1
    last = lines[0].split("\t")[-1]
    assert last.startswith("+5 more: ")
    assert "scmp.com" in last or "\u2026" in last


def test_list_groups_only_when_asked(seeded: Path) -> None:
    listed = newsidx("list", "--format", "ids", catalogue=seeded).stdout.split()
    assert len(listed) == 13
    grouped = newsidx("list", "--group", "--format", "jsonl", catalogue=seeded)
    assert grouped.returncode == 0, grouped.stderr
    rows = _jsonl(grouped.stdout)
    assert sorted(len(r["story_members"]) for r in rows) == [1, 3, 3, 6]  # type: ignore[arg-type]
    assert "9 more matching records folded" in grouped.stderr


def test_copies_fold_under_the_best_ranked_copy_on_a_terminal(wire: Path) -> None:
    code, out, err = run_on_pty([*NEWSIDX, "--catalogue", str(wire), "search", "tunnel"],
                                raw=True)
    assert code == 0, err
    assert "+4 more: outlet" in out
    assert "\u2026" in out  # four outlets, three named
    assert out.count("Harbour tunnel approved") == 1
    assert "\x1b]" not in out


def test_api_widens_its_window_until_the_page_is_full(wire: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    archive = Archive(wire)
    every = list(archive.iter_search("harbour"))
    order = list(dict.fromkeys(h.record.story for h in every))
    whole = archive.search_grouped("harbour", limit=None)
    assert [r.story for r in whole.rows] == order and not whole.more
    assert whole.total == len(every) == 17
    assert whole.folded == len(every) - len(order) >= 4
    assert sorted(m for r in whole.rows for m in r.members) == sorted(h.record.id for h in every)
    monkeypatch.setattr(grouping, "FIRST_WINDOW", 1)  # every page must widen its window
    for offset in range(0, len(order), 4):
        page = archive.search_grouped("harbour", limit=4, offset=offset)
        assert [r.story for r in page.rows] == order[offset:offset + 4]
        assert [r.members for r in page.rows] == [r.members
                                                  for r in whole.rows][offset:offset + 4]
        assert page.more == (offset + 4 < len(order))
    tunnel = next(r for r in whole.rows if "tunnel" in r.hit.record.title)
    assert tunnel.size == 5 and len(tunnel.providers) == 4
    listed = archive.list_grouped(Filters(stories=tunnel.story), limit=None)
    assert len(listed.rows) == 1 and len(listed.rows[0].members) == 5
