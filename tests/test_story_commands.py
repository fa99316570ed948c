"""``newsidx story REF`` and ``newsidx stories [QUERY]``, end to end and through the API."""

from __future__ import annotations

import csv
import io
import json
import os
import sys
from pathlib import Path

import clirun
import pytest
from ptyrun import run_on_pty

from newsidx.api import Archive
from newsidx.errors import NotFoundError, QueryError

NEWSIDX = [sys.executable, "-m", "newsidx"]
SEEDS = Path(__file__).resolve().parent.parent / "seeds"


def newsidx(*args: str, catalogue: Path) -> clirun.Done:
    return clirun.newsidx(*args, env={**os.environ, "NEWSIDX_CATALOGUE": str(catalogue)})


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    catalogue = tmp_path_factory.mktemp("seeds") / "catalogue"
    done = newsidx("ingest", "--stories", str(SEEDS), catalogue=catalogue)
    assert done.returncode == 0, done.stderr
    return catalogue


def _every(catalogue: Path) -> list[dict[str, object]]:
    out = newsidx("list", "--format", "jsonl", catalogue=catalogue)
    assert out.returncode == 0, out.stderr
    return [json.loads(line) for line in out.stdout.splitlines()]


def _key(record: dict[str, object]) -> tuple[bool, str]:
    published = record["published"]
    return (published is None, str(published or ""))


@pytest.mark.slow  # whole CLI runs (test_story_cli checks the same in process)
def test_story_lists_the_members_first_published_first(seeded: Path) -> None:
    every = _every(seeded)
    zhipu = next(r for r in every
                 if sum(o["story"] == r["story"] for o in every) == 6)
    members = sorted((r for r in every if r["story"] == zhipu["story"]), key=_key)
    for ref in (str(zhipu["id"]), str(zhipu["id"])[:8]):
        done = newsidx("story", ref, "--format", "jsonl", catalogue=seeded)
        assert done.returncode == 0, done.stderr
        got = [json.loads(line) for line in done.stdout.splitlines()]
        assert [g["id"] for g in got] == [m["id"] for m in members]
        assert all(g["story"] == zhipu["story"] and g["story_size"] == 6 for g in got)
    ids = newsidx("story", str(zhipu["id"]), "--format", "ids", catalogue=seeded)
    assert ids.stdout.split() == [m["id"] for m in members]
    plain = newsidx("story", str(zhipu["id"]), catalogue=seeded)
    assert len(plain.stdout.splitlines()) == 6
    assert plain.stdout.splitlines()[0].split("\t")[3] == members[0]["id"]
    table = newsidx("story", str(zhipu["id"]), "--format", "csv", catalogue=seeded)
    rows = list(csv.DictReader(io.StringIO(table.stdout)))
    assert [r["id"] for r in rows] == [m["id"] for m in members]


@pytest.mark.slow  # whole CLI runs: run by .ci/run's full suite
def test_story_takes_a_url_and_a_file_path(seeded: Path) -> None:
    every = _every(seeded)
    article = next(r for r in every if r["kind"] == "article" and r["url"] and r["sources"])
    by_url = newsidx("story", str(article["url"]), "--format", "ids", catalogue=seeded)
    assert by_url.returncode == 0, by_url.stderr
    assert article["id"] in by_url.stdout.split()
    path = str(article["sources"][0])  # type: ignore[index]
    by_path = newsidx("story", path, "--format", "ids", catalogue=seeded)
    assert by_path.returncode == 0, by_path.stderr
    assert by_path.stdout == by_url.stdout
    missing = newsidx("story", "ffffffffffff", catalogue=seeded)
    assert missing.returncode == 1
    assert missing.stderr.count("\n") == 1 and "ffffffffffff" in missing.stderr
    nofile = newsidx("story", "/no/such/file.md", catalogue=seeded)
    assert nofile.returncode == 1 and "file.md" in nofile.stderr


@pytest.mark.slow  # whole CLI runs (test_story_cli checks the same in process)
def test_stories_by_size_then_recency_with_outlets_and_headline(seeded: Path) -> None:
    every = _every(seeded)
    done = newsidx("stories", "--format", "json", catalogue=seeded)
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    rows = data["stories"]
    assert [r["size"] for r in rows] == [6, 3, 3]  # the FT piece stands alone
    assert "1 story of fewer than 2 records not shown" in done.stderr
    for row in rows:
        members = sorted((r for r in every if r["story"] == row["story"]), key=_key)
        assert row["headline"] == members[0]["title"]
        domains = {m["provider"]["domain"] for m in members  # type: ignore[index]
                   if m["provider"] and m["provider"]["domain"]}  # type: ignore[index]
        assert set(row["providers"]) == domains and row["outlets"] == len(domains)
        dated = sorted(str(m["published"]) for m in members if m["published"])
        assert row["first"][:16] == dated[0][:16] and row["last"][:16] == dated[-1][:16]
    recent = json.loads(newsidx("stories", "--sort", "recent", "--format", "json",
                                catalogue=seeded).stdout)["stories"]
    assert [r["last"] for r in recent] == sorted((r["last"] for r in rows), reverse=True)
    every_story = newsidx("stories", "--min-size", "1", "--format", "ids", catalogue=seeded)
    assert len(every_story.stdout.split()) == 4 and "not shown" not in every_story.stderr


def test_stories_of_a_query_count_whole_stories(seeded: Path) -> None:
    done = newsidx("stories", "Baichuan", "--format", "jsonl", catalogue=seeded)
    assert done.returncode == 0, done.stderr
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    assert rows and any(r["size"] == 3 and "Baichuan" in r["headline"] for r in rows)
    none = newsidx("stories", "zzzunfindable", catalogue=seeded)
    assert none.returncode == 1 and none.stdout == ""
    limited = newsidx("stories", "-n", "1", "--format", "ids", catalogue=seeded)
    assert len(limited.stdout.split()) == 1 and "showing 1\u20131 of 3" in limited.stderr


def test_stories_table_on_a_terminal(seeded: Path) -> None:
    code, out, err = run_on_pty([*NEWSIDX, "--catalogue", str(seeded), "stories"], raw=True)
    assert code == 0, err
    assert "6 outlets: caixinglobal.com" in out and "\u2026" in out
    assert "Zhipu" in out


def test_api_story_and_stories(seeded: Path) -> None:
    archive = Archive(seeded)
    record = next(r for r in archive if r.story)
    story = archive.story(record.id)
    assert story.id == record.story and record.id in {r.id for r in story.records}
    with pytest.raises(NotFoundError):
        archive.story("0123456789abcdef")
    listed = archive.stories(limit=None)
    assert listed.total == 4 and listed.smaller == 0
    assert sum(s.size for s in listed.rows) == len(archive)
    assert archive.stories(min_size=2).smaller == 1
    with pytest.raises(QueryError):
        archive.stories(sort="title")


def _buckets(done: clirun.Done) -> dict[str, int]:
    assert done.returncode == 0, done.stderr
    return {b["bucket"]: b["count"] for b in json.loads(done.stdout)["buckets"] if b["count"]}


@pytest.mark.slow  # whole CLI runs (test_story_cli checks the same in process)
def test_timeline_stories_counts_each_story_once_where_it_was_first_seen(seeded: Path) -> None:
    by_year = _buckets(newsidx("timeline", "--stories", "--by", "year", "--format", "json",
                               catalogue=seeded))
    assert by_year == {"2023": 3, "2024": 1}  # Baichuan, Zhipu, the FT piece; MiniMax
    records = _buckets(newsidx("timeline", "--by", "year", "--format", "json",
                               catalogue=seeded))
    assert sum(records.values()) > sum(by_year.values())
    days = _buckets(newsidx("timeline", "Baichuan", "--stories", "--by", "day", "--format",
                            "json", catalogue=seeded))
    listed = newsidx("stories", "Baichuan", "--min-size", "1", "--format", "json",
                     catalogue=seeded)
    rows = json.loads(listed.stdout)["stories"]
    assert sum(days.values()) == len(rows)
    assert min(days) == "2023-10-17"


def test_timeline_stories_says_how_many_stories_have_no_date(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "dated.md").write_text("---\ntitle: Orchestra names a conductor\n"
                                  "published: 2024-05-07T09:00:00Z\n---\nIlse Varga leads.\n",
                                  encoding="utf-8")
    (src / "undated.md").write_text("---\ntitle: Ferry timetable changes\n---\nBoats.\n",
                                    encoding="utf-8")
    catalogue = tmp_path / "cat"
    assert newsidx("ingest", "--stories", str(src), catalogue=catalogue).returncode == 0
    done = newsidx("timeline", "--stories", "--format", "json", catalogue=catalogue)
    assert _buckets(done) == {"2024-05-07": 1}
    assert "1 story has no dated matching record" in done.stderr


def test_more_stories_than_one_aggregation_counts_is_an_error_not_a_short_count(
        seeded: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from newsidx import storylist

    archive = Archive(seeded)
    monkeypatch.setattr(storylist, "MAX_STORIES", 3)  # the seeds hold 4 stories
    with pytest.raises(QueryError, match="narrow"):
        archive.stories()
    with pytest.raises(QueryError, match="narrow"):
        archive.timeline(stories=True)
    assert archive.stories("Baichuan", min_size=1).total == 2  # two stories: under the cap
