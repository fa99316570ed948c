"""Progress bars: on a terminal's stderr for ingest, reindex, check and export -o, with
the phase, a count, the rate and the time; nothing at all when stderr is not a terminal.
End to end through real subprocesses whose stderr is a pseudo-terminal."""

from __future__ import annotations

import io
import re
import subprocess
import sys
from pathlib import Path

import pytest
from ptyrun import run_on_pty

from newsidx.cli.progress import INGEST_PHASES, Bar, bar_for
from newsidx.ingest import ProgressEvent
from newsidx.progress import Step, counted

NEWSIDX = [sys.executable, "-m", "newsidx"]
SEEDS_RECORDS = 13
ESCAPES = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_counted_reports_each_stretch_and_what_follows() -> None:
    steps: list[Step] = []
    assert list(counted(range(1200), steps.append, "indexing", total=1200,
                        then="writing the index")) == list(range(1200))
    assert steps == [Step("indexing", 0, 1200), Step("indexing", 500, 1200),
                     Step("indexing", 1000, 1200), Step("indexing", 1200, 1200),
                     Step("writing the index")]
    assert list(counted("ab", None, "x")) == ["a", "b"]  # nobody listens: nothing reported


def test_the_bar_names_each_ingest_phase() -> None:
    assert bar_for(io.StringIO()) is None  # not a terminal: no bar
    bar = bar_for(Tty())
    assert isinstance(bar, Bar)
    with bar:
        seen = []
        for event in (ProgressEvent("walk", 0, 0), ProgressEvent("walk", 1000, 0),
                      ProgressEvent("file", 3, 5), ProgressEvent("save", 0, 0),
                      ProgressEvent("index", 200, 400), ProgressEvent("commit", 5, 5),
                      ProgressEvent("fold", 0, 0), ProgressEvent("finish", 0, 0)):
            bar.ingest(event)
            task = bar.bar.tasks[0]
            seen.append((task.description, task.completed, task.total))
    assert seen == [("finding files", 0, None), ("finding files", 1000, None),
                    ("reading files", 3, 5), ("writing the catalogue", 0, None),
                    ("indexing", 200, 400), ("reading files", 5, 5),
                    ("folding the catalogue's shards", 0, None),
                    ("finishing the index", 0, None)]
    assert set(INGEST_PHASES) >= {"walk", "file", "save", "fold", "index", "commit", "finish"}


def _stderr_on_pty(cat: Path, *args: str) -> tuple[int, str, str]:
    """(exit code, stdout, stderr as the terminal got it, escapes removed)."""
    code, out, err = run_on_pty([*NEWSIDX, "--catalogue", str(cat), *args], stderr=True,
                                env={"COLUMNS": "120", "TERM": "xterm-256color"},
                                timeout=120)
    return code, out, ESCAPES.sub("", err)


@pytest.fixture(scope="module")
def cat(tmp_path_factory: pytest.TempPathFactory, seeds: Path) -> Path:
    root = tmp_path_factory.mktemp("progress") / "cat"
    done = subprocess.run([*NEWSIDX, "--catalogue", str(root), "ingest", str(seeds)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return root


@pytest.fixture(scope="module")
def seeds() -> Path:
    return Path(__file__).resolve().parent.parent / "seeds"


def test_ingest_shows_its_phases_on_a_terminal(tmp_path: Path, seeds: Path) -> None:
    code, out, err = _stderr_on_pty(tmp_path / "c", "ingest", str(seeds))
    assert code == 0, err
    assert "finding files" in err and "records:" in out
    assert "finishing the index" in err  # the last phase, drawn before the bar goes


@pytest.mark.parametrize(("args", "label", "counted"), [
    (["reindex"], "writing the index", False),
    (["check"], "comparing with the catalogue", True),
    (["export", "-o", "{tmp}/out.jsonl"], "exporting", True),
    (["export", "--format", "sqlite", "-o", "{tmp}/out.db"], "building the full-text index",
     False),
])
def test_long_commands_show_a_bar_on_a_terminal(cat: Path, tmp_path: Path, args: list[str],
                                                label: str, counted: bool) -> None:
    """The bar's last frame (drawn as it stops) names the last phase; where the total is
    known, it shows the count of the total."""
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    code, _, err = _stderr_on_pty(cat, *args)
    assert code == 0, err
    assert label in err, err
    if counted:
        assert f"{SEEDS_RECORDS}/{SEEDS_RECORDS}" in err, err


@pytest.mark.parametrize("args", [["reindex"], ["check"], ["export", "-o", "{tmp}/out.jsonl"]])
def test_nothing_but_the_result_when_piped(cat: Path, tmp_path: Path, args: list[str]) -> None:
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    done = subprocess.run([*NEWSIDX, "--catalogue", str(cat), *args], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stderr in ("", f"newsidx: indexed {SEEDS_RECORDS} records\n")


def test_export_to_stdout_on_a_terminal_has_no_bar(cat: Path) -> None:
    """Records on stdout and a bar on the same terminal would mix: no bar without -o."""
    code, out, err = _stderr_on_pty(cat, "export")
    assert code == 0 and len(out.splitlines()) == SEEDS_RECORDS
    assert err == ""
