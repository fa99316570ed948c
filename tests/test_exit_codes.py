"""The exit-code table end to end, in real ``newsidx`` processes: 0 found, 1 nothing
found, 2 error, and a reader that goes away early (``| head -1``) is a success."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import clirun
import pytest

from newsidx.catalogue import Catalogue
from newsidx.index import SearchIndex
from newsidx.model import Article, Provider

RECORDS = 3000  # ~200 KB of listing: more than a pipe holds, so the writer meets EPIPE


def newsidx(catalogue: Path, *args: str) -> clirun.Done:
    return clirun.newsidx(*args, env={**os.environ, "NEWSIDX_CATALOGUE": str(catalogue)})


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A catalogue of RECORDS records with a current index."""
    root = tmp_path_factory.mktemp("exit") / "catalogue"
    records = [Article(id=f"{i:016x}", kind="article", title=f"Harbour report number {i}",
                       body="The harbour was busy.", provider=Provider("Port", "port.example"))
               for i in range(RECORDS)]
    with Catalogue(root).writer() as writer:
        generation = writer.commit(upserts=records, deletes=(), files={})
    SearchIndex(root / "index").rebuild(records, generation)
    return root


@pytest.mark.parametrize("argv", [
    ("list", "--limit", str(RECORDS)),
    ("list", "--limit", str(RECORDS), "--format", "ids"),
    ("search", "harbour", "--limit", str(RECORDS), "--format", "jsonl"),
    ("export",),
])
def test_a_reader_that_stops_early_is_a_success(big: Path, argv: tuple[str, ...]) -> None:
    env = {**os.environ, "NEWSIDX_CATALOGUE": str(big)}
    proc = subprocess.Popen([sys.executable, "-m", "newsidx", *argv], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    assert proc.stdout.readline()  # what `head -1` reads, then it goes away
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 0, err
    assert "Traceback" not in err and "Exception ignored" not in err, err


def test_head_in_a_shell_pipeline_sees_exit_zero(big: Path) -> None:
    script = f'"{sys.executable}" -m newsidx list --limit {RECORDS} | head -1 >/dev/null; ' \
             'echo "${PIPESTATUS[0]}"'
    done = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "NEWSIDX_CATALOGUE": str(big)}, check=True)
    assert done.stdout.strip() == "0", done.stderr


def test_a_corrupt_catalogue_is_an_error_not_no_match(tmp_path: Path) -> None:
    root = tmp_path / "catalogue"
    with Catalogue(root).writer() as writer:
        writer.commit(upserts=[Article(id="00000000000000aa", kind="article", title="Kept")],
                      deletes=(), files={})
    (root / "catalogue.json").write_text('{"schema_version": 3, "generation": 1, "tot')
    for argv in (("search", "Kept"), ("list",), ("timeline",), ("stats",), ("export",),
                 ("show", "00000000000000aa")):
        result = newsidx(root, *argv)
        assert result.returncode == 2, (argv, result.stderr)
        assert result.stderr.startswith("newsidx: error: ") and "catalogue.json" in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_found_nothing_found_and_error(big: Path, tmp_path: Path) -> None:
    assert newsidx(big, "search", "harbour", "--format", "ids").returncode == 0
    assert newsidx(big, "search", "lighthouse").returncode == 1
    assert newsidx(big, "show", "ffffffffffffffff").returncode == 1
    assert newsidx(big, "search", "(harbour").returncode == 2
    assert newsidx(tmp_path / "empty", "list").returncode == 1
    assert newsidx(big, "ingest", str(tmp_path / "missing")).returncode == 2
