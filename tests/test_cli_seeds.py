"""Acceptance: the installed ``newsidx`` over the real seed files, as a person runs it."""

from __future__ import annotations

import json
import os
from pathlib import Path

import clirun
import pytest
from click.testing import CliRunner

from newsidx.cli import cli

BENZINGA = "Alibaba Amplifies AI Investment, Valuing MiniMax Over $2.5B in Latest Financing Round"
PLAIN_TEXT = "Alibaba Leads $2.5 Billion Investment in AI Startup MiniMax"  # seeds/000


def newsidx(*args: str, catalogue: Path) -> clirun.Done:
    """Run the command line with the catalogue named by the environment."""
    return clirun.newsidx(*args, env={**os.environ, "NEWSIDX_CATALOGUE": str(catalogue)})


@pytest.fixture(scope="module")
def ingested(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One catalogue of the seeds, ingested by the command line, shared by this module."""
    catalogue = tmp_path_factory.mktemp("seeds") / "catalogue"
    seeds = Path(__file__).resolve().parent.parent / "seeds"
    first = newsidx("ingest", str(seeds), catalogue=catalogue)
    assert first.returncode == 0, first.stderr
    assert "3 seen = 3 new" in first.stdout
    again = newsidx("ingest", str(seeds), catalogue=catalogue)
    assert again.returncode == 0, again.stderr
    assert again.stdout.splitlines()[1].startswith("records: nothing changed")
    return catalogue


def rows(stdout: str) -> list[list[str]]:
    return [line.split("\t") for line in stdout.splitlines()]


def test_search_alibaba_minimax_ranks_articles_then_related(ingested: Path) -> None:
    result = newsidx("search", "Alibaba MiniMax", catalogue=ingested)
    assert result.returncode == 0, result.stderr
    found = rows(result.stdout)
    assert {found[0][5], found[1][5]} == {BENZINGA, PLAIN_TEXT}
    assert {found[0][3], found[1][3]} == {"article"}
    related = [r for r in found[2:] if r[2] == "businesstimes.com.sg"]
    assert related and related[0][3] == "related"


def test_search_zhipu(ingested: Path) -> None:
    result = newsidx("search", "Zhipu", catalogue=ingested)
    assert result.returncode == 0, result.stderr
    assert "scmp.com" in {r[2] for r in rows(result.stdout)}


def test_list_provider_scmp(ingested: Path) -> None:
    result = newsidx("list", "--provider", "scmp.com", catalogue=ingested)
    assert result.returncode == 0, result.stderr
    (row,) = rows(result.stdout)
    assert row[1:3] == ["scmp.com", "related"]
    assert "Zhipu" in row[4]


def test_search_json_is_valid(ingested: Path) -> None:
    result = newsidx("search", "Alibaba MiniMax", "--format", "json", catalogue=ingested)
    data = json.loads(result.stdout)
    assert data["newsidx_format"] == 1 and data["total"] >= 3
    assert data["results"][0]["kind"] == "article"


def test_exit_codes(ingested: Path) -> None:
    assert newsidx("search", "zzzunfindable", catalogue=ingested).returncode == 1
    bad = newsidx("search", "Alibaba)", catalogue=ingested)
    assert bad.returncode == 2 and bad.stderr.startswith("newsidx: error:")
    hint = newsidx("list", "--provider", "scmp", catalogue=ingested)
    assert hint.returncode == 1 and "scmp.com" in hint.stderr  # no match, with a hint
    assert newsidx("list", "--topic", "Cooking", catalogue=ingested).returncode == 1
    assert newsidx("--bogus", catalogue=ingested).returncode == 2


def test_ingest_reports_bad_files_and_exits_one(tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    archive.mkdir()
    (archive / "good.md").write_text("---\ntitle: Fine\n---\nBody.\n", encoding="utf-8")
    (archive / "bad\x1b]0;pwned\x07.md").write_text("---\ntitle: [unclosed\n", encoding="utf-8")
    (archive / "empty.md").write_bytes(b"")
    catalogue = tmp_path / "catalogue"
    result = CliRunner().invoke(cli, ["--catalogue", str(catalogue), "ingest", str(archive)],
                                catch_exceptions=False)
    assert result.exit_code == 1, result.output
    assert "failed: " in result.stderr and "bad\\x1b]0;pwned\\x07.md" in result.stderr
    assert "\x1b" not in result.stderr and "\x07" not in result.stderr
    assert "1 failed" in result.stdout
    data = json.loads(CliRunner().invoke(
        cli, ["--catalogue", str(catalogue), "ingest", str(archive), "--format", "json"],
        catch_exceptions=False).stdout)
    assert data["failed"] == 1 and data["records_total"] >= 1
    assert data["failed_files"][0]["path"].endswith("\x07.md")


def test_ingest_usage_errors(tmp_path: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(cli, ["ingest"]).exit_code == 2
    bad_size = runner.invoke(cli, ["ingest", str(tmp_path), "--max-size", "big"])
    assert bad_size.exit_code == 2 and "--max-size" in bad_size.stderr
    missing = runner.invoke(cli, ["--catalogue", str(tmp_path / "c"), "ingest",
                                  str(tmp_path / "nope")], catch_exceptions=False)
    assert missing.exit_code == 2 and "no such file or folder" in missing.stderr


def test_show_gives_the_whole_record(ingested: Path) -> None:
    """Images and every unmodelled front-matter key are shown, not only the modelled fields."""
    listed = newsidx("list", "--provider", "businesstimes.com.sg", "--format", "ids",
                     catalogue=ingested)
    related = newsidx("show", listed.stdout.strip()[:6], catalogue=ingested)
    assert related.returncode == 0, related.stderr
    assert "image: https://static1.businesstimes.com.sg/" in related.stdout
    assert "(880x587)" in related.stdout
    benzinga = newsidx("list", "--provider", "benzinga.com", "--format", "ids", catalogue=ingested)
    article = newsidx("show", benzinga.stdout.strip(), catalogue=ingested)
    assert "extra.secured: gQhyHSCN" in article.stdout
    assert "extra.published: false" in article.stdout


def test_providers_show_name_and_date_range(ingested: Path) -> None:
    result = newsidx("providers", "--format", "json", catalogue=ingested)
    assert result.returncode == 0, result.stderr
    rows = {r["provider"]: r for r in json.loads(result.stdout)["providers"]}
    assert rows["siliconangle.com"] == {"provider": "siliconangle.com", "count": 2,
                                        "name": "SiliconANGLE", "first": "2023-10-17",
                                        "last": "2023-10-20"}
    assert rows["ft.com"]["name"] == "The Financial Times"
    plain = newsidx("providers", catalogue=ingested).stdout.splitlines()
    assert plain[0].split("\t") == ["siliconangle.com", "2", "SiliconANGLE", "2023-10-17",
                                    "2023-10-20"]
