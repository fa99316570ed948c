"""``newsidx timeline`` end to end: plain ``bucket<TAB>count`` when piped, empty runs
collapsed and bars on a terminal, a 1970 placeholder left out with a note."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import clirun
import pytest
from ptyrun import run_on_pty

NEWSIDX = [sys.executable, "-m", "newsidx"]
DAYS = (1, 2, 20)  # March 2024: a run of empty days between the 2nd and the 20th


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("timeline")
    news = root / "news"
    news.mkdir()
    for i in range(30):
        day = DAYS[i % len(DAYS)]
        (news / f"s{i:02d}.md").write_text(
            f"---\ntitle: Tide story {i}\ndate: 2024-03-{day:02d}\nprovider: Tide News\n"
            f"url: https://tide.example/{i}\n---\n\nThe tide {i}.\n")
    (news / "placeholder.md").write_text(
        "---\ntitle: Tide placeholder\ndate: 1970-01-01\nprovider: Tide News\n"
        "url: https://tide.example/old\n---\n\nThe tide, undated really.\n")
    cat = root / "cat"
    done = run(cat, "ingest", str(news))
    assert done.returncode == 0, done.stderr
    return cat


def run(cat: Path, *args: str) -> clirun.Done:
    return clirun.newsidx(*args, catalogue=cat)


def on_terminal(cat: Path, *args: str) -> tuple[int, str, str]:
    return run_on_pty([*NEWSIDX, "--catalogue", str(cat), *args])



def test_piped_is_plain_bucket_tab_count_and_every_period(archive: Path) -> None:
    done = run(archive, "timeline", "tide", "--by", "day")
    assert done.returncode == 0, done.stderr
    rows = [line.split("\t") for line in done.stdout.splitlines()]
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\d", key) and count.isdigit() for key, count in rows)
    assert rows[0][0] == "2024-03-01" and rows[-1][0] == "2024-03-20"
    assert len(rows) == 20  # the empty days too, one line each
    assert sum(int(count) for _, count in rows) == 30
    assert "1970" in done.stderr and "--outliers" in done.stderr


def test_the_placeholder_is_kept_when_asked(archive: Path) -> None:
    done = run(archive, "timeline", "tide", "--by", "year", "--outliers")
    rows = dict(line.split("\t") for line in done.stdout.splitlines())
    assert rows["1970"] == "1" and rows["2024"] == "30"
    assert "1970" not in done.stderr


def test_auto_picks_days_once_the_outlier_is_out(archive: Path) -> None:
    done = run(archive, "timeline", "--format", "json")
    assert done.returncode == 0, done.stderr
    assert '"bucket": "2024-03-01"' in done.stdout and "1970" not in done.stdout


def test_a_terminal_collapses_empty_runs_and_draws_bars(archive: Path) -> None:
    code, out, err = on_terminal(archive, "timeline", "tide", "--by", "day")
    assert code == 0, err
    lines = [line for line in out.splitlines() if line.strip()]
    assert len(lines) == 4  # the 1st, the 2nd, the 3rd to the 19th, the 20th
    empty = lines[2].split()
    assert empty[0] == "2024-03-03–2024-03-19" and empty[1] == "0"
    assert "█" in lines[0] and "█" not in lines[2]
    assert "1970" in err


def test_text_is_taken_as_table(archive: Path) -> None:
    assert run(archive, "timeline", "tide", "--format", "text").stdout == run(
        archive, "timeline", "tide", "--format", "table").stdout
    assert "text" not in run(archive, "timeline", "--help").stdout.split("--format")[1][:40]


def test_short_version_option(archive: Path) -> None:
    short, long = run(archive, "-V"), run(archive, "--version")
    assert short.returncode == 0 and short.stdout == long.stdout and short.stdout.strip()
