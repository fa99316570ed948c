"""The command line end to end through CliRunner, over a catalogue built from records.

These tests commit hand-built records straight into a catalogue, so they exercise
the CLI, catalogue and index without depending on the parser; tests/test_cli_seeds.py
covers ingest of the real seed files.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timezone
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result

from newsidx.catalogue import Catalogue
from newsidx.cli import cli
from newsidx.model import Article, Provider, RelatedRef
from newsidx.store import FileState

HOSTILE = "[bold red]x[/] \x1b]0;pwned\x07 hostile\u202eevil"
# As every read gives it back: controls in a title fold to single spaces (issue 18).
HOSTILE_READ = "[bold red]x[/] ]0;pwned hostile\u202eevil"


def _utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=timezone.utc)


def records() -> list[Article]:
    main = Article(
        id="3e5fed83c1bc69b1", kind="article", title="Alibaba leads investment in MiniMax",
        excerpt="Alibaba backs MiniMax.", body="Alibaba MiniMax funding round of $600 million.",
        published=_utc(2024, 3, 5, 9, 10), provider=Provider("Benzinga.com", "benzinga.com"),
        topics=("AI",), url="https://www.benzinga.com/a", sources=("/archive/a.md",),
        related=(RelatedRef("80dc18bde6cf76ff", "Zhipu raises money"),),
    )
    side = Article(
        id="80dc18bde6cf76ff", kind="related", title="Zhipu raises money",
        excerpt="Chinese startup Zhipu raised funds.", published=_utc(2023, 10, 20, 11, 54),
        provider=Provider("scmp.com", "scmp.com"), url="https://www.scmp.com/z",
        sources=("/archive/a.md",), parents=(main.id,),
    )
    evil = Article(
        id="d6b0fcc1b5121d05", kind="article", title=HOSTILE, body="hostile body =1+1",
        published=_utc(2023, 1, 1), provider=Provider("Evil", "evil.example"),
        topics=("Security",), sources=("/archive/evil\n.md",),
    )
    undated = Article(id="0123456789abcdef", kind="article", title="No date at all",
                      body="Alibaba without a date", sources=("/archive/u.md",))
    return [main, side, evil, undated]


@pytest.fixture
def catalogue(catalogue_dir: Path) -> Path:
    recs = records()
    files = {}
    for record in recs:
        for source in record.sources:
            ids = tuple(r.id for r in recs if source in r.sources)
            files[source] = FileState(1, 1, "0" * 64, ids)
    with Catalogue(catalogue_dir).writer() as writer:
        writer.commit(upserts=recs, deletes=(), files=files)
    return catalogue_dir


def run(*args: str, code: int | None = 0) -> Result:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    if code is not None:
        assert result.exit_code == code, (result.output, result.stderr)
    return result


def ids(result: Result) -> list[str]:
    return result.stdout.split()


def test_search_ranks_and_exits_zero(catalogue: Path) -> None:
    result = run("search", "Alibaba MiniMax")
    assert result.stdout.splitlines()[0].split("\t")[4] == "3e5fed83c1bc69b1"
    assert "the search index is missing or out of date; rebuilding it" in result.stderr
    assert "rebuilding" not in run("search", "Alibaba").stderr


def test_search_nothing_matches_exits_one(catalogue: Path) -> None:
    result = run("search", "nonexistentword", code=1)
    assert result.stdout == ""
    assert "no records match" in result.stderr


def test_bad_query_exits_two_with_one_line(catalogue: Path) -> None:
    result = run("search", "(Alibaba", code=2)
    assert result.stderr.startswith("newsidx: error: ")
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.output


def test_bad_date_exits_two(catalogue: Path) -> None:
    result = run("search", "Alibaba", "--since", "the day after never", code=2)
    assert result.stderr.startswith("newsidx: error: ")


def test_usage_error_exits_two(catalogue: Path) -> None:
    run("search", code=2)
    run("search", "x", "--format", "yaml", code=2)
    run("nosuchcommand", code=2)


def test_search_filters(catalogue: Path) -> None:
    assert ids(run("search", "Zhipu", "--format", "ids")) == ["80dc18bde6cf76ff"]
    assert ids(run("search", "Alibaba", "--kind", "article", "--since", "2024",
                   "--format", "ids")) == ["3e5fed83c1bc69b1"]
    run("search", "Zhipu", "--kind", "article", code=1)
    run("search", "Alibaba", "--topic", "Nope", code=1)


def test_search_json_envelope(catalogue: Path) -> None:
    data = json.loads(run("search", "Alibaba MiniMax", "--format", "json").stdout)
    assert data["newsidx_format"] == 1
    assert data["query"] == "Alibaba MiniMax"
    assert data["total"] == len(data["results"]) >= 1
    first = data["results"][0]
    assert first["id"] == "3e5fed83c1bc69b1"
    assert {"score", "snippet", "body", "provider", "sources"} <= set(first)


def test_search_jsonl_csv_and_nul(catalogue: Path) -> None:
    lines = run("search", "Alibaba", "--format", "jsonl").stdout.splitlines()
    assert all(json.loads(line)["id"] for line in lines) and len(lines) >= 2
    rows = list(csv.DictReader(io.StringIO(run("search", "hostile", "--format", "csv").stdout)))
    assert rows[0]["title"] == HOSTILE_READ  # CSV keeps the text intact
    assert rows[0]["body"] == "hostile body =1+1"
    nul = run("search", "Alibaba", "--format", "ids", "-0").stdout
    assert nul.endswith("\0") and "\n" not in nul


def test_limit_offset_and_sort(catalogue: Path) -> None:
    everything = ids(run("search", "Alibaba", "--format", "ids", "--sort", "newest"))
    assert everything[0] == "3e5fed83c1bc69b1" and everything[-1] == "0123456789abcdef"
    assert ids(run("search", "Alibaba", "--format", "ids", "--sort", "newest",
                   "--limit", "1", "--offset", "1")) == everything[1:2]
    result = run("search", "Alibaba", "--offset", "50", code=1)
    assert "lower --offset" in result.stderr


def test_explain(catalogue: Path) -> None:
    result = run("search", "MiniMax", "--explain")
    assert "understood as:" in result.stderr


def test_hostile_titles_never_reach_the_terminal_raw(catalogue: Path) -> None:
    for args in (("search", "hostile"), ("list",), ("show", "d6b0")):
        out = run(*args).stdout
        assert "\x1b" not in out and "\x07" not in out and "\u202e" not in out, args
        assert "[bold red]x[/]" in out, args
    raw = json.loads(run("show", "d6b0", "--format", "json").stdout)
    assert raw["title"] == HOSTILE_READ


def test_list_by_provider_and_unknown_provider_hint(catalogue: Path) -> None:
    result = run("list", "--provider", "scmp.com")
    assert result.stdout.split("\t")[3] == "80dc18bde6cf76ff"
    bad = run("list", "--provider", "scmp.con", code=1)
    assert "unknown provider 'scmp.con'" in bad.stderr and "scmp.com" in bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1


def test_list_orders_and_empty_match(catalogue: Path) -> None:
    newest = ids(run("list", "--format", "ids"))
    assert newest[:3] == ["3e5fed83c1bc69b1", "80dc18bde6cf76ff", "d6b0fcc1b5121d05"]
    oldest = ids(run("list", "--format", "ids", "--sort", "oldest"))
    assert oldest[:3] == newest[:3][::-1]
    result = run("list", "--since", "2030", code=1)
    assert "no records match" in result.stderr
    paths = run("list", "--format", "paths").stdout.splitlines()
    assert sorted(paths) == ["/archive/a.md", "/archive/evil\\x0a.md", "/archive/u.md"]
    raw = run("list", "--format", "paths", "-0").stdout.split("\0")
    assert "/archive/evil\n.md" in raw


def test_show_record_with_related_and_parents(catalogue: Path) -> None:
    out = run("show", "3e5f").stdout
    assert "title: Alibaba leads investment in MiniMax" in out
    assert "related: 80dc18bde6cf76ff Zhipu raises money" in out
    side = run("show", "https://www.scmp.com/z").stdout
    assert "cited by: 3e5fed83c1bc69b1 Alibaba leads investment in MiniMax" in side
    data = json.loads(run("show", "80dc18bde6cf76ff", "--format", "json").stdout)
    assert data["parent_records"][0]["id"] == "3e5fed83c1bc69b1"


def test_show_unknown_is_one_line_error(catalogue: Path) -> None:
    result = run("show", "ffff", code=1)
    assert result.stderr.startswith("newsidx: error: ")
    assert len(result.stderr.strip().splitlines()) == 1


def test_providers_topics_stats(catalogue: Path) -> None:
    lines = run("providers", "--sort", "name").stdout.splitlines()
    assert [line.split("\t")[:2] for line in lines] == [
        ["benzinga.com", "1"], ["evil.example", "1"], ["scmp.com", "1"]]
    topics = json.loads(run("topics", "--format", "json").stdout)
    assert {t["topic"] for t in topics["topics"]} == {"AI", "Security"}
    stats = json.loads(run("stats", "--format", "json").stdout)
    assert (stats["records"], stats["articles"], stats["related"]) == (4, 3, 1)
    assert (stats["first_date"], stats["last_date"], stats["undated"]) == (
        "2023-01-01", "2024-03-05", 1)
    assert "records" in run("stats").stdout


def test_timeline(catalogue: Path) -> None:
    out = run("timeline", "--by", "year").stdout
    assert out.splitlines()[0] == "2023\t2"
    assert "█" not in out
    data = json.loads(run("timeline", "Alibaba", "--by", "month", "--format", "json").stdout)
    assert data["buckets"] == [{"bucket": "2024-03", "count": 1}]
    run("timeline", "nonexistentword", code=1)


def test_export_streams_every_format(catalogue: Path, tmp_path: Path) -> None:
    lines = run("export").stdout.splitlines()
    assert len(lines) == 4
    data = json.loads(run("export", "--format", "json", "--kind", "related").stdout)
    assert [r["id"] for r in data["records"]] == ["80dc18bde6cf76ff"]
    target = tmp_path / "out.csv"
    run("export", "--format", "csv", "--topic", "security", "-o", str(target))
    rows = list(csv.DictReader(target.open(encoding="utf-8", newline="")))
    assert rows[0]["title"] == HOSTILE_READ
    assert rows[0]["body"] == "hostile body =1+1"
    run("export", "--provider", "nope.example", code=1)


def test_reindex(catalogue: Path) -> None:
    assert "indexed 4 records" in run("reindex").stderr
    assert "rebuilding" not in run("search", "Alibaba").stderr


def test_catalogue_option_before_or_after_command(catalogue: Path, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSIDX_CATALOGUE", str(tmp_path / "elsewhere"))
    run("search", "Alibaba", code=1)
    run("--catalogue", str(catalogue), "search", "Alibaba")
    run("search", "Alibaba", "--catalogue", str(catalogue))
    run("--catalogue", str(tmp_path / "other"), "search", "Alibaba", "--catalogue",
        str(catalogue))


def test_empty_catalogue(catalogue_dir: Path) -> None:
    for args in (("search", "x"), ("list",), ("timeline",)):
        result = run(*args, code=1)
        assert "catalogue is empty" in result.stderr, args
    assert run("providers", code=1).stdout == ""
    assert json.loads(run("stats", "--format", "json").stdout)["records"] == 0
    run("search", "(", code=2)
    assert not catalogue_dir.exists()


def test_every_command_has_help() -> None:
    assert set(cli.commands) == {"ingest", "search", "show", "list", "providers", "topics",
                                 "stats", "timeline", "export", "reindex", "check", "open",
                                 "count", "story", "stories"}
    for name, command in cli.commands.items():
        assert command.help and len(command.help) > 20, name
        out = run(name, "--help").stdout
        assert "--catalogue" in out and "Example" in out, name
    assert "ingest" in run("--help").stdout


def test_provider_completion_reads_the_catalogue(catalogue: Path) -> None:
    command = cli.commands["list"]
    ctx = click.Context(command, info_name="list", parent=click.Context(cli))
    option = next(p for p in command.params if p.name == "providers")
    assert [c.value for c in option.shell_complete(ctx, "s")] == ["scmp.com"]
    topic = next(p for p in command.params if p.name == "topics")
    assert [c.value for c in topic.shell_complete(ctx, "")] == ["AI", "Security"]


def test_size_bytes() -> None:
    from newsidx.cli.output import size_bytes

    assert size_bytes("10M") == 10 * 1024**2
    assert size_bytes("512k") == 512 * 1024
    assert size_bytes("1.5G") == int(1.5 * 1024**3)
    assert size_bytes("2048") == 2048
    assert size_bytes("3MiB") == 3 * 1024**2
    with pytest.raises(ValueError, match="not a size"):
        size_bytes("lots")


def test_auto_bucket_follows_the_span() -> None:
    from newsidx.timeline import auto_bucket

    assert auto_bucket("2024-01-01", "2024-02-15") == "day"
    assert auto_bucket("2024-01-01", "2024-09-01") == "week"
    assert auto_bucket("2015-01-01", "2024-09-01") == "month"
    assert auto_bucket("1990-01-01", "2024-09-01") == "year"
    assert auto_bucket(None, None) == "day"


def test_catalogue_that_is_a_file_gives_one_line(tmp_path: Path) -> None:
    path = tmp_path / "file"
    path.write_text("x")
    result = run("--catalogue", str(path), "list", code=2)
    assert f"Invalid value for '--catalogue': Directory '{path}' is a file." in result.stderr


def test_read_commands_never_parse_the_manifest(
    catalogue: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run("search", "Alibaba")  # builds the index (which reads the catalogue)

    def refuse(root: Path, path: Path) -> None:
        raise AssertionError("the whole manifest was read")

    monkeypatch.setattr("newsidx.store.manifest.read_manifest", refuse)
    assert ids(run("search", "Alibaba", "--provider", "Benzinga.com", "--format", "ids")) == [
        "3e5fed83c1bc69b1"]
    assert ids(run("list", "--provider", "scmp.com", "--since", "2023", "--format", "ids")) == [
        "80dc18bde6cf76ff"]
    assert "did you mean" in run("search", "x", "--provider", "scmp.con", code=1).stderr
    assert run("providers").stdout.splitlines()[0].split("\t")[1] == "1"
    assert {line.split("\t")[0] for line in run("topics").stdout.splitlines()} == {
        "AI", "Security"}
    assert run("timeline", "--by", "year").stdout.startswith("2023\t2\n")
    stats = json.loads(run("stats", "--format", "json").stdout)
    assert (stats["records"], stats["providers"], stats["topics"], stats["sources"]) == (
        4, 3, 2, 3)
    exported = run("export", "--format", "jsonl").stdout.splitlines()
    assert len(exported) == 4 and all(json.loads(line)["id"] for line in exported)
    run("reindex")


def test_stale_index_is_not_rebuilt_while_an_ingest_holds_the_lock(catalogue: Path) -> None:
    import shutil

    run("search", "Alibaba")
    extra = Article(id="00000000000000ee", kind="article", title="Alibaba again")
    with Catalogue(catalogue).writer() as writer:
        writer.commit(upserts=[extra], deletes=(), files={})  # index now one generation behind
        result = run("search", "Alibaba", "--format", "ids")
        assert "an ingest is running" in result.stderr and "rebuilding" not in result.stderr
        assert "00000000000000ee" not in ids(result)
        shutil.rmtree(catalogue / "index")
        missing = run("list", code=2)  # an error, not "no match"
        assert "has no search index yet; retry" in missing.stderr
        assert json.loads(run("stats", "--format", "json").stdout)["records"] == 5
    assert "00000000000000ee" in ids(run("search", "Alibaba", "--format", "ids"))
