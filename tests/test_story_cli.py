"""The story commands and grouped output through CliRunner, in process, on the seeds: the
same behaviour the subprocess tests check, in every format, and the notes on stderr."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from newsidx.cli import cli

SEEDS = Path(__file__).resolve().parent.parent / "seeds"


def run(*args: str, code: int = 0) -> Result:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == code, (args, result.output, result.stderr)
    return result


@pytest.fixture
def grouped(catalogue_dir: Path) -> Path:
    run("ingest", "--jobs", "1", str(SEEDS))  # off: nothing grouped yet
    done = run("ingest", "--jobs", "1", "--stories", str(SEEDS))
    assert "grouped the 13 records" in done.stderr
    return catalogue_dir


def test_grouped_search_in_every_format(grouped: Path) -> None:
    table = run("search", "Zhipu")
    assert len(table.stdout.splitlines()) == 1  # one row for the six records of one story
    assert "folded into this story" in table.stderr
    rows = [json.loads(line) for line in run("search", "Zhipu", "--format", "jsonl")
            .stdout.splitlines()]
    assert len(rows) == 1 and rows[0]["story_size"] == 6
    assert len(rows[0]["story_members"]) == 6 and rows[0]["story_members"][0] == rows[0]["id"]
    whole = json.loads(run("search", "Zhipu", "--format", "json").stdout)
    assert whole["results"][0]["story"] == rows[0]["story"]
    found = list(csv.DictReader(io.StringIO(run("search", "Zhipu", "--format", "csv").stdout)))
    assert len(found) == 1 and found[0]["story"] == rows[0]["story"]
    assert len(run("search", "Zhipu", "--format", "ids").stdout.split()) == 1
    assert len(run("search", "Zhipu", "--all-copies", "--format", "ids").stdout.split()) == 6
    listed = run("list", "--group", "--format", "ids").stdout.split()
    assert len(listed) == 4  # three stories and the FT piece alone


def test_story_and_stories_in_every_format(grouped: Path) -> None:
    zhipu = run("search", "Zhipu", "--format", "ids").stdout.split()[0]
    members = [json.loads(line) for line in run("story", zhipu, "--format", "jsonl")
               .stdout.splitlines()]
    assert len(members) == 6 and {m["story_size"] for m in members} == {6}
    by_file = run("story", str(SEEDS / "002_80dc18bde6cf76ff.txt"), "--format", "ids")
    assert len(by_file.stdout.split()) == 3  # the MiniMax story: the file's article and kin
    table = run("story", members[0]["id"])
    assert len(table.stdout.splitlines()) == 6
    ids = run("story", members[0]["id"], "--format", "ids", "-0").stdout
    assert ids.count("\0") == 6
    sizes = json.loads(run("stories", "--format", "json").stdout)
    assert [s["size"] for s in sizes["stories"]] == [6, 3, 3]
    plain = run("stories").stdout.splitlines()
    assert len(plain) == 3 and plain[0].split("\t")[1] == "6"
    one = run("stories", "--min-size", "1", "--format", "csv").stdout
    assert len(list(csv.DictReader(io.StringIO(one)))) == 4
    assert "not shown" in run("stories", "--since", "2024", "--min-size", "4", code=1).stderr
    recent = run("stories", "--sort", "recent", "--format", "ids").stdout.split()
    assert len(recent) == 3


def test_timeline_counts_stories(grouped: Path) -> None:
    per_year = run("timeline", "--stories", "--by", "year", "--format", "json")
    buckets = {b["bucket"]: b["count"] for b in json.loads(per_year.stdout)["buckets"]}
    assert buckets == {"2023": 3, "2024": 1}
    records = json.loads(run("timeline", "--by", "year", "--format", "json").stdout)
    assert sum(b["count"] for b in records["buckets"]) > sum(buckets.values())


def test_reads_of_a_catalogue_that_does_not_group_say_so(catalogue_dir: Path) -> None:
    run("ingest", "--jobs", "1", str(SEEDS))
    for args in (("stories",), ("list", "--group", "--format", "ids"),
                 ("timeline", "--stories"), ("story", "seeds")):
        done = CliRunner().invoke(cli, list(args), catch_exceptions=False)
        assert "does not group records into stories" in done.stderr, args
    assert len(run("search", "Zhipu", "--format", "ids").stdout.split()) == 6
