"""Questions answered in one command (issue 14, item 5): ``count --by``, ``providers``,
``topics`` and ``timeline`` with a QUERY, filters and ``-n``; ``export QUERY``; and
``export --format sqlite``, read back with sqlite-utils and plain sqlite3.

Every command runs as a real ``python -m newsidx`` subprocess; the terminal page under
a pseudo-terminal.
"""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
import sqlite_utils

from tests.test_workflows import lines, on_terminal, run

PROVIDERS = 25  # more than a terminal page
STORIES = 60
UNDATED = (0, 1, 2)  # story numbers with no date


def _story(i: int) -> str:
    date = "" if i in UNDATED else f"date: {2022 + i % 3}-0{i % 9 + 1}-1{i % 10}\n"
    word = "musk" if i % 2 == 0 else "harbour"
    site = f"outlet{i % PROVIDERS}.example"
    provider = f"provider: {site}\nurl: https://www.{site}/{i}\n"
    topic = f"topics: [{'Cars' if i % 4 == 0 else 'Ports'}]\n"
    head = f"title: Story {i} about {word}\n{date}{provider}{topic}"
    return f"---\n{head}---\n\nBody of {word} {i}.\n"


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("questions")
    news = root / "news"
    news.mkdir()
    for i in range(STORIES):
        (news / f"s{i:02d}.md").write_text(_story(i))
    cat = root / "cat"
    done = run(cat, "ingest", str(news))
    assert done.returncode == 0, done.stderr
    return cat


def _expected() -> list[int]:
    return [i for i in range(STORIES) if i % 2 == 0]  # the "musk" stories


def test_count_total_and_by_provider(archive: Path) -> None:
    musk = _expected()
    assert run(archive, "count", "musk").stdout.strip() == str(len(musk))
    done = run(archive, "count", "musk", "--by", "provider", "--format", "json")
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)["providers"]
    want = Counter(f"outlet{i % PROVIDERS}.example" for i in musk)
    assert {r["provider"]: r["count"] for r in rows} == want
    counts = [r["count"] for r in rows]
    assert counts == sorted(counts, reverse=True)


def test_count_by_provider_within_dates(archive: Path) -> None:
    done = run(archive, "count", "musk", "--since", "2023", "--until", "2023", "--by",
               "provider", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    want = Counter(f"outlet{i % PROVIDERS}.example" for i in _expected()
                   if i not in UNDATED and 2022 + i % 3 == 2023)
    assert {r["provider"]: int(r["count"]) for r in rows} == want
    # the undated musk stories (0 and 2) are named on stderr, not silently dropped
    assert "2 undated" in done.stderr


def test_count_by_year_says_what_is_undated(archive: Path) -> None:
    done = run(archive, "count", "musk", "--by", "year")
    got = {k: int(v) for k, v in (line.split("\t") for line in lines(done.stdout))}
    want = Counter(str(2022 + i % 3) for i in _expected() if i not in UNDATED)
    assert got == want and list(got) == sorted(got)
    assert "2 undated" in done.stderr


def test_count_by_topic_and_no_match(archive: Path) -> None:
    done = run(archive, "count", "--by", "topic", "--format", "json")
    rows = {r["topic"]: r["count"] for r in json.loads(done.stdout)["topics"]}
    assert rows == {"Cars": STORIES // 4, "Ports": STORIES - STORIES // 4}
    nothing = run(archive, "count", "zzzqqq", "--by", "provider")
    assert nothing.returncode == 1 and nothing.stdout == "" and nothing.stderr


def test_providers_and_topics_take_a_query_and_filters(archive: Path) -> None:
    done = run(archive, "providers", "harbour", "--topic", "ports")
    keys = {line.split("\t")[0] for line in lines(done.stdout)}
    assert keys == {f"outlet{i % PROVIDERS}.example" for i in range(STORIES) if i % 2}
    topics = run(archive, "topics", "musk", "-n", "1")
    assert len(lines(topics.stdout)) == 1 and "showing 1 of 2" in topics.stderr
    assert run(archive, "providers", "zzzqqq").returncode == 1


def test_providers_page_on_a_terminal_all_when_piped(archive: Path) -> None:
    assert len(lines(run(archive, "providers").stdout)) == PROVIDERS
    code, out, err = on_terminal(archive, "providers")
    assert code == 0
    assert sum("outlet" in line for line in out.splitlines()) == 20
    assert f"showing 20 of {PROVIDERS}" in err
    code, out, _ = on_terminal(archive, "providers", "--all")
    assert sum("outlet" in line for line in out.splitlines()) == PROVIDERS


def test_timeline_takes_a_query_and_notes_undated(archive: Path) -> None:
    done = run(archive, "timeline", "musk", "--by", "year", "--format", "json")
    buckets = {b["bucket"]: b["count"] for b in json.loads(done.stdout)["buckets"]}
    assert buckets == Counter(str(2022 + i % 3) for i in _expected() if i not in UNDATED)
    assert "2 undated" in done.stderr
    latest = run(archive, "timeline", "musk", "--by", "year", "-n", "1", "--format", "csv")
    assert list(csv.reader(io.StringIO(latest.stdout)))[1:] == [["2024", str(buckets["2024"])]]
    assert "showing 1 of 3" in latest.stderr


def test_export_takes_a_query(archive: Path) -> None:
    done = run(archive, "export", "musk", "--provider", "outlet0.example")
    titles = {json.loads(line)["title"] for line in lines(done.stdout)}
    assert titles == {f"Story {i} about musk" for i in _expected() if i % PROVIDERS == 0}
    searched = run(archive, "search", "musk", "--provider", "outlet0.example", "--format", "ids")
    assert [json.loads(line)["id"] for line in lines(done.stdout)] == lines(searched.stdout)
    nothing = run(archive, "export", "zzzqqq")
    assert nothing.returncode == 1 and nothing.stdout == "" and nothing.stderr


def test_export_sqlite_is_what_sqlite_utils_reads(archive: Path, tmp_path: Path) -> None:
    target = tmp_path / "news.db"
    done = run(archive, "export", "--format", "sqlite", "-o", str(target))
    assert done.returncode == 0, done.stderr
    exported = [json.loads(line) for line in lines(run(archive, "export").stdout)]
    db = sqlite_utils.Database(target)
    table = db["records"]
    assert isinstance(table, sqlite_utils.db.Table)
    assert table.pks == ["id"] and table.count == STORIES
    assert table.detect_fts() == "records_fts"
    found = {row["title"] for row in table.search("musk")}
    assert found == {f"Story {i} about musk" for i in _expected()}
    by_id = {row["id"]: row for row in table.rows}
    for record in exported:  # every field a column; lists and objects as JSON text
        row = by_id[record["id"]]
        fields = {k: v for k, v in record.items() if k not in ("rank", "score", "snippet")}
        assert set(fields) == set(row)
        for key, value in fields.items():
            got = json.loads(row[key]) if isinstance(value, dict | list) else row[key]
            assert got == (int(value) if isinstance(value, bool) else value), key
    # the sqlite-utils command line, and plain SQL over the FTS5 table
    cli = subprocess.run([sys.executable, "-m", "sqlite_utils", "search", str(target),
                          "records", "harbour", "-c", "id"], capture_output=True, text=True,
                         check=True)
    assert len(json.loads(cli.stdout)) == STORIES // 2
    with sqlite3.connect(target) as plain:
        (n,) = plain.execute("SELECT count(*) FROM records_fts WHERE records_fts MATCH "
                             "'musk'").fetchone()
        years = dict(plain.execute("SELECT substr(published, 1, 4), count(*) FROM records "
                                   "WHERE published IS NOT NULL GROUP BY 1").fetchall())
    assert n == STORIES // 2
    assert years == Counter(str(2022 + i % 3) for i in range(STORIES) if i not in UNDATED)


def test_export_sqlite_with_a_query_replaces_the_file(archive: Path, tmp_path: Path) -> None:
    target = tmp_path / "musk.db"
    target.write_text("old")
    assert run(archive, "export", "musk", "--format", "sqlite", "-o", str(target)).returncode == 0
    assert sqlite_utils.Database(target)["records"].count == len(_expected())
    assert [p.name for p in tmp_path.iterdir()] == ["musk.db"]  # no scratch file left


def test_export_sqlite_needs_a_file(archive: Path, tmp_path: Path) -> None:
    done = run(archive, "export", "--format", "sqlite")
    assert done.returncode == 2 and "-o" in done.stderr and done.stdout == ""
    missing = run(archive, "export", "--format", "sqlite", "-o", str(tmp_path / "no" / "x.db"))
    assert missing.returncode == 2 and "x.db" in missing.stderr
    assert len(missing.stderr.strip().splitlines()) == 1


def test_providers_of_records_without_one_say_so(tmp_path: Path) -> None:
    """Records that match but name no provider are not "no records match"."""
    news = tmp_path / "news"
    news.mkdir()
    for n in range(2):
        (news / f"{n}.txt").write_text(f"Headline {n}\n\nBody text {n}.\n")
    cat = tmp_path / "cat"
    base = [sys.executable, "-m", "newsidx", "--catalogue", str(cat)]
    assert subprocess.run([*base, "ingest", str(news)], capture_output=True,
                          check=False).returncode == 0
    done = subprocess.run([*base, "providers"], capture_output=True, text=True, check=False)
    assert done.returncode == 1
    assert "2 record(s) match, and none names a provider" in done.stderr
