"""Absurd pages and deep queries, end to end: an answer or one clean error, never a crash.

tantivy makes room for ``offset + limit`` hits up front (``--limit 2147483648`` aborted
the process) and the query parser recursed once per parenthesis or ``NOT``
(``RecursionError`` at a few hundred levels).
"""

from __future__ import annotations

from pathlib import Path

import clirun
import pytest

from newsidx import query

ARTICLES = 5


def newsidx(cat: Path, *args: str) -> clirun.Done:
    return clirun.newsidx(*args, catalogue=cat)


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("limits")
    news = root / "news"
    news.mkdir()
    for i in range(ARTICLES):
        (news / f"story{i}.md").write_text(f"# Harbour story {i}\n\nThe harbour news {i}.\n")
    cat = root / "cat"
    done = newsidx(cat, "ingest", "-j", "1", str(news))
    assert done.returncode == 0, done.stderr
    return cat


def _clean(done: clirun.Done) -> None:
    assert "Traceback" not in done.stderr and "panicked" not in done.stderr, done.stderr
    assert done.returncode >= 0, f"killed by signal {-done.returncode}"


HUGE = ("2147483648", "1000000000", "9223372036854775807", "18446744073709551616",
        "9" * 40)


@pytest.mark.parametrize("value", HUGE)
@pytest.mark.parametrize("command", [["list"], ["search", "harbour"],
                                     ["search", "harbour", "--sort", "newest"]])
def test_a_huge_limit_gives_every_record(archive: Path, command: list[str], value: str) -> None:
    done = newsidx(archive, *command, "--limit", value, "--format", "ids")
    _clean(done)
    assert done.returncode == 0, done.stderr
    assert len(done.stdout.split()) == ARTICLES


@pytest.mark.parametrize("value", HUGE)
@pytest.mark.parametrize("command", [["list"], ["search", "harbour"],
                                     ["search", "harbour", "--sort", "oldest"]])
def test_a_huge_offset_is_an_empty_page_that_says_so(
        archive: Path, command: list[str], value: str) -> None:
    done = newsidx(archive, *command, "--offset", value, "--limit", value, "--format", "ids")
    _clean(done)
    assert done.returncode == 1
    assert done.stdout == ""
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("newsidx: ")
    assert str(ARTICLES) in lines[0]  # how many matched, so the person can page back


def test_an_offset_inside_the_archive_still_pages(archive: Path) -> None:
    done = newsidx(archive, "list", "--offset", str(ARTICLES - 2), "--limit", "2147483648",
                   "--format", "ids")
    assert done.returncode == 0, done.stderr
    assert len(done.stdout.split()) == 2


@pytest.mark.parametrize("args", [["--limit", "-1"], ["--offset", "-1"], ["--all", "-n", "3"],
                                  ["--limit", "-9223372036854775809"]])
def test_negative_pages_are_a_usage_error(archive: Path, args: list[str]) -> None:
    for command in (["list"], ["search", "harbour"]):
        done = newsidx(archive, *command, *args)
        _clean(done)
        assert done.returncode == 2, done.stderr
        assert done.stdout == ""


@pytest.mark.parametrize("text", [
    "(" * 500 + "harbour" + ")" * 500,
    "NOT " * 2500 + "harbour",
    "-(" * 300 + "harbour" + ")" * 300,
    "(" * 5000,
])
def test_a_query_nested_too_deep_is_one_query_error(archive: Path, text: str) -> None:
    for command in ("search", "timeline"):
        done = newsidx(archive, command, "--", text)
        _clean(done)
        assert done.returncode == 2, done.stderr
        lines = done.stderr.splitlines()
        assert len(lines) == 1 and lines[0].startswith("newsidx: error: "), done.stderr
        assert str(query.MAX_DEPTH) in lines[0]


@pytest.mark.parametrize("text", [
    "(" * query.MAX_DEPTH + "harbour" + ")" * query.MAX_DEPTH,
    "NOT " * (query.MAX_DEPTH - 1) + "NOT harbour",
])
def test_nesting_up_to_the_limit_still_searches(archive: Path, text: str) -> None:
    done = newsidx(archive, "search", text, "--format", "ids")
    _clean(done)
    expected = 0 if text.count("NOT") % 2 == 0 else 1  # an odd count of NOTs excludes all
    assert done.returncode == expected, done.stderr
    assert len(done.stdout.split()) == (ARTICLES if expected == 0 else 0)


def test_depth_counts_levels_not_width() -> None:
    wide = " ".join(["(a OR NOT b)"] * 2000)
    assert query.parse(wide) is not None
    with pytest.raises(query.QueryError) as caught:
        query.parse("(" * (query.MAX_DEPTH + 1) + "a" + ")" * (query.MAX_DEPTH + 1))
    assert caught.value.position == query.MAX_DEPTH + 1
