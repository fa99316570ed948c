"""Terminal workflows end to end (issue 14): every result for programs, a page for people,
counts and quiet runs, ``-word`` as NOT, and answers that say what they left out.

Each piped command runs through :mod:`clirun` (in process, or as a real ``python -m
newsidx`` subprocess in the whole suite), and what a person sees with stdout on a
pseudo-terminal.
"""

from __future__ import annotations

import csv
import io
import json
import re
import sys
from pathlib import Path

import clirun
import pytest
from ptyrun import run_on_pty

NEWSIDX = [sys.executable, "-m", "newsidx"]
STORIES = 30  # more than a terminal page
UNDATED = 5  # of them


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("workflows")
    news = root / "news"
    news.mkdir()
    for i in range(STORIES):
        date = f"date: 2024-03-{i % 28 + 1:02d}\n" if i >= UNDATED else ""
        extra = " lighthouse" if i % 3 == 0 else ""
        (news / f"story{i:02d}.md").write_text(
            f"---\ntitle: Harbour story {i}\n{date}provider: Port News\n"
            f"url: https://www.port.example/{i}\n---\n\nThe harbour news {i}{extra}.\n")
    cat = root / "cat"
    done = run(cat, "ingest", str(news))
    assert done.returncode == 0, done.stderr
    return cat


def run(cat: Path, *args: str, stdin: str | None = None) -> clirun.Done:
    return clirun.newsidx(*args, catalogue=cat, stdin=stdin)


def on_terminal(cat: Path, *args: str, env: dict[str, str] | None = None,
                ) -> tuple[int, str, str]:
    """(exit code, stdout as the terminal got it, stderr) with stdout on a pty."""
    return run_on_pty([*NEWSIDX, "--catalogue", str(cat), *args], env=env)



def lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


@pytest.mark.parametrize("command", [["search", "harbour"], ["list"]])
def test_piped_output_has_every_match_in_every_format(archive: Path, command: list[str]) -> None:
    for fmt in ("ids", "paths", "jsonl", "table"):
        done = run(archive, *command, "--format", fmt)
        assert done.returncode == 0, done.stderr
        assert len(lines(done.stdout)) == STORIES, fmt
        assert done.stderr == ""  # nothing was cut, nothing to say
    data = json.loads(run(archive, *command, "--format", "json").stdout)
    assert data["total"] == STORIES and len(data["results"]) == STORIES
    rows = list(csv.reader(io.StringIO(run(archive, *command, "--format", "csv").stdout)))
    assert len(rows) == STORIES + 1


@pytest.mark.parametrize("command", [["search", "harbour"], ["list"]])
def test_a_limit_cuts_and_says_so(archive: Path, command: list[str]) -> None:
    done = run(archive, *command, "-n", "5", "--format", "ids")
    assert len(lines(done.stdout)) == 5
    assert "1\u20135 of 30" in done.stderr and "--all" in done.stderr
    assert len(lines(run(archive, *command, "-n", "0", "--format", "ids").stdout)) == STORIES
    everything = run(archive, *command, "--all", "--format", "ids").stdout
    assert len(lines(everything)) == STORIES
    page = run(archive, *command, "--limit", "3", "--offset", "4", "--format", "ids")
    assert lines(page.stdout) == lines(everything)[4:7]


def test_a_terminal_gets_a_page_a_footer_and_ids_to_type(archive: Path) -> None:
    code, out, err = on_terminal(archive, "search", "harbour")
    assert code == 0, err
    assert "showing 1\u201320 of 30" in err and "-n N or --all" in err
    shown = re.findall(r"^\s*\d+\s+([0-9a-f]{6,16})\s", out, re.MULTILINE)
    assert len(shown) == 20
    ids = lines(run(archive, "search", "harbour", "--format", "ids").stdout)
    assert all(i.startswith(s) for s, i in zip(shown, ids, strict=False))
    assert len(shown[0]) < 16  # a short prefix ...
    assert run(archive, "show", shown[0], "--format", "json").returncode == 0  # ... that works
    code, out, err = on_terminal(archive, "list", "--all")
    assert code == 0 and "showing" not in err
    assert len(re.findall(r"^[0-9a-f]{6,16}\s", out, re.MULTILINE)) == STORIES


def test_a_wide_terminal_shows_the_domain(archive: Path) -> None:
    _, narrow, _ = on_terminal(archive, "list", "-n", "2")
    _, wide, _ = on_terminal(archive, "list", "-n", "2", env={"COLUMNS": "160"})
    assert "port.example" in wide and "port.example" not in narrow


def test_count_and_quiet(archive: Path) -> None:
    done = run(archive, "search", "lighthouse", "-c")
    assert (done.returncode, done.stdout) == (0, "10\n")
    assert run(archive, "list", "--count").stdout == f"{STORIES}\n"
    nothing = run(archive, "search", "zeppelin", "--count")
    assert (nothing.returncode, nothing.stdout) == (1, "0\n")
    for query, code in (("lighthouse", 0), ("zeppelin", 1)):
        done = run(archive, "search", query, "-q")
        assert (done.returncode, done.stdout, done.stderr) == (code, "", "")


def test_a_leading_minus_word_is_not(archive: Path) -> None:
    without = run(archive, "search", "-lighthouse", "harbour", "--format", "ids")
    assert without.returncode == 0, without.stderr
    assert len(lines(without.stdout)) == STORIES - 10
    assert lines(run(archive, "search", "-lighthouse harbour", "--format", "ids").stdout) == \
        lines(without.stdout)
    assert run(archive, "search", "harbour", "-lighthouse", "-c").stdout == "20\n"
    unknown = run(archive, "search", "harbour", "--no-such-option")
    assert unknown.returncode == 2


def test_date_filters_count_what_they_leave_out(archive: Path) -> None:
    done = run(archive, "search", "harbour", "--since", "2024-03", "--format", "ids")
    assert len(lines(done.stdout)) == STORIES - UNDATED
    assert re.search(rf"\b{UNDATED} undated matches not shown", done.stderr)
    assert "undated" not in run(archive, "search", "harbour", "--format", "ids").stderr
    counted = run(archive, "list", "--until", "2024-03", "-c")
    assert counted.stdout == f"{STORIES - UNDATED}\n" and "5 undated" in counted.stderr


def test_since_after_until_is_a_usage_error(archive: Path) -> None:
    done = run(archive, "search", "harbour", "--since", "2025", "--until", "2024")
    assert done.returncode == 2 and done.stdout == ""
    assert len(lines(done.stderr)) == 1 and "since" in done.stderr


def test_csv_numbers_stay_numbers(tmp_path: Path) -> None:
    news = tmp_path / "news"
    news.mkdir()
    (news / "n.md").write_text("---\ntitle: \"-1 harbour\"\nheat: -1\nquality: 10\n"
                               "excerpt: \"=cmd\"\n---\n\nbody\n")
    cat = tmp_path / "cat"
    assert run(cat, "ingest", str(news)).returncode == 0
    for command in (["export", "--format", "csv"], ["search", "harbour", "--format", "csv"]):
        rows = list(csv.DictReader(io.StringIO(run(cat, *command).stdout, newline="")))
        assert len(rows) == 1
        assert (rows[0]["heat"], rows[0]["quality"]) == ("-1", "10")
        assert rows[0]["title"] == "'-1 harbour" and rows[0]["excerpt"] == "'=cmd"
