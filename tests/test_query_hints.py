"""No silent answers in a query (issue 14, item 4): unknown fields, lower-case operators,
pasted URLs, and ``provider:`` treated exactly as ``--provider``; end to end through
``python -m newsidx``.
"""

from __future__ import annotations

import json
from pathlib import Path

from newsidx.suggest import closest
from tests.test_questions import archive, lines, run

__all__ = ["archive"]  # the module-scoped fixture, shared


def test_unknown_field_is_text_with_a_note(archive: Path) -> None:
    done = run(archive, "search", "writer:smith", "musk", "-c")
    assert done.stdout.strip() == "0"
    (line,) = [x for x in done.stderr.splitlines() if "writer:" in x]
    assert "author" in line and "folder" in line  # the new fields are known ones
    assert "provider" in line and "topic" in line and "docs/search.md" in line
    assert "not a field" not in run(archive, "search", "musk", "-c").stderr


def test_lower_case_or_gets_a_hint(archive: Path) -> None:
    lower = run(archive, "count", "musk", "or", "harbour")
    upper = run(archive, "count", "musk", "OR", "harbour")
    assert "did you mean OR?" in lower.stderr and "did you mean" not in upper.stderr
    assert int(upper.stdout) == 60 and lower.returncode == 1
    assert "did you mean" not in run(archive, "count", '"musk or harbour"').stderr


def test_a_pasted_url_finds_its_record(archive: Path) -> None:
    record = json.loads(lines(run(archive, "export", "--provider", "outlet3.example").stdout)[0])
    for query in (record["url"], "url:" + record["url"]):
        done = run(archive, "search", query, "--format", "ids")
        assert lines(done.stdout) == [record["id"]], done.stderr
        assert "not a field" not in done.stderr
        assert run(archive, "search", query, "-c").stdout.strip() == "1"
    missing = run(archive, "search", "https://nowhere.example/x")
    assert missing.returncode == 1 and "URL" in missing.stderr


def test_provider_in_query_and_option_are_alike(archive: Path) -> None:
    for args in (("--provider", "www.OUTLET3.example"), ("provider:www.Outlet3.example",)):
        assert run(archive, "count", *args).stdout.strip() == "3", args
    for args in (("--provider", "outlet3.exmple"), ("provider:outlet3.exmple",)):
        for command in ("search", "count", "list") if args[0] == "--provider" else (
                "search", "count"):
            done = run(archive, command, "musk", *args) if command != "list" else run(
                archive, command, *args)
            assert done.returncode == 1 and done.stdout == "", (command, args)
            (line,) = done.stderr.strip().splitlines()
            assert "did you mean outlet3.example" in line


def test_suggestions_are_ranked_by_similarity() -> None:
    known = ["reuters.com", "euronews.com", "nj.com", "reutersagency.com", "rte.ie"]
    assert closest("reuters", known)[0] == "reuters.com"
    assert closest("cnn.com", ["cgtn.com", "cnn.com", "nj.com"])[0] == "cnn.com"
    assert closest("zzzz", known) == []
