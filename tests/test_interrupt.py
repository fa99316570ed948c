"""Ctrl-C: exit 130, one line, no traceback from any process, the catalogue consistent.

The SIGINT goes to the whole process group, as a terminal sends it, parse workers
included. Each run is interrupted once it has shown that it reached the phase under test
(the progress bar's label on the terminal, or the lock file naming the writer when
nothing is a terminal), never after a fixed sleep; then ``newsidx check`` must pass.
"""

from __future__ import annotations

import os
import pty
import re
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

NEWSIDX = [sys.executable, "-m", "newsidx"]
FILES = 3000


@pytest.fixture(scope="module")
def news(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("interrupt") / "news"
    for folder in range(FILES // 500):
        sub = root / f"f{folder}"
        sub.mkdir(parents=True)
        for i in range(folder * 500, folder * 500 + 500):
            (sub / f"s{i:05d}.md").write_text(
                f"---\ntitle: Pier story {i}\ndate: 2024-03-{1 + i % 28:02d}\n"
                f"url: https://pier.example/{i}\n---\n\n{'The pier and the tide. ' * 60}{i}\n")
    return root


def _read_until(master: int, want: bytes | None, deadline: float) -> bytes:
    """Terminal output until ``want`` appeared (None: until every writer closed it)."""
    chunks: list[bytes] = []
    while True:
        ready, _, _ = select.select([master], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            pytest.fail(f"waited in vain for {want!r}: {b''.join(chunks)[-500:]!r}")
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: every writer closed the terminal
            data = b""
        if not data:
            if want is not None:
                pytest.fail(f"ended before {want!r}: {b''.join(chunks)[-500:]!r}")
            return b"".join(chunks)
        chunks.append(data)
        if want is not None and want in b"".join(chunks):
            return b"".join(chunks)


def _said(text: str) -> list[str]:
    """The newsidx lines among what reached the terminal (bar redraws dropped)."""
    plain = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", text).replace("\r", "\n")
    return [line.strip() for line in plain.splitlines() if "newsidx:" in line]


def _check_passes(cat: Path) -> None:
    done = subprocess.run([*NEWSIDX, "--catalogue", str(cat), "check"], capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize(("label", "jobs"), [
    pytest.param("finding files", "2", marks=pytest.mark.slow),
    pytest.param("reading files", "1", marks=pytest.mark.slow),
    pytest.param("reading files", "2", marks=pytest.mark.slow),
    # the run's one commit writes the catalogue and folds its shards
    pytest.param("folding", "2", marks=pytest.mark.slow),
])
def test_ctrl_c_on_a_terminal(tmp_path: Path, news: Path, label: str, jobs: str) -> None:
    cat = tmp_path / "cat"
    master, slave = pty.openpty()
    proc = subprocess.Popen([*NEWSIDX, "--catalogue", str(cat), "ingest", str(news),
                             "-j", jobs], stdin=slave, stdout=slave, stderr=slave,
                            env={**os.environ, "COLUMNS": "120", "TERM": "xterm-256color"},
                            start_new_session=True)
    os.close(slave)
    deadline = time.monotonic() + 240
    try:
        started = _read_until(master, label.encode(), deadline)
        os.killpg(proc.pid, signal.SIGINT)  # what a terminal's Ctrl-C does
        rest = _read_until(master, None, deadline)
        code = proc.wait(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(master)
    said = (started + rest).decode("utf-8", "replace")
    assert code == 130, said
    assert "Traceback" not in said and "KeyboardInterrupt" not in said, said
    lines = _said(said)
    assert len(lines) == 1 and lines[0].startswith("newsidx: interrupted"), said
    if "what was committed stays" not in lines[0]:
        assert "nothing of this ingest was written" in lines[0]
    _check_passes(cat)
    # what was committed stays, and the same ingest finishes the rest
    again = subprocess.run([*NEWSIDX, "--catalogue", str(cat), "ingest", str(news)],
                           capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    assert f"{FILES} in the catalogue" in again.stdout


def test_ctrl_c_when_piped(tmp_path: Path, news: Path) -> None:
    """No terminal: the run is interrupted once its lock file names it (the writer holds
    the catalogue); stderr gets the one line, stdout nothing."""
    cat = tmp_path / "cat"
    proc = subprocess.Popen([*NEWSIDX, "--catalogue", str(cat), "ingest", str(news), "-j", "2"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True)
    lock = cat / ".lock"
    deadline = time.monotonic() + 120
    try:
        while not (lock.exists() and lock.read_text().strip() == str(proc.pid)):
            assert proc.poll() is None, "ingest ended before it took the lock"
            assert time.monotonic() < deadline, "the lock never named the ingest"
            time.sleep(0.01)  # polling for the event, not waiting for luck
        os.killpg(proc.pid, signal.SIGINT)
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    text = err.decode("utf-8", "replace")
    assert proc.returncode == 130, text
    assert "Traceback" not in text and "KeyboardInterrupt" not in text, text
    assert len(text.splitlines()) == 1 and text.startswith("newsidx: interrupted"), text
    assert out == b""
    _check_passes(cat)


def test_ctrl_c_while_the_arguments_are_parsed(monkeypatch: pytest.MonkeyPatch) -> None:
    """Before any command runs: 130 and one line, not click's "Aborted!" and exit 1."""
    import click
    from click.testing import CliRunner

    from newsidx.cli import cli

    def interrupted(*_args: object, **_kwargs: object) -> list[str]:
        raise KeyboardInterrupt

    monkeypatch.setattr(click.Group, "parse_args", interrupted)
    try:
        result = CliRunner().invoke(cli, ["list"])
    finally:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    assert result.exit_code == 130
    assert result.stderr.strip().splitlines() == ["newsidx: interrupted"]
    assert "Aborted" not in result.output


def test_an_interrupted_ingest_says_what_stays_and_whether_the_index_lags() -> None:
    from newsidx.ingest import IngestReport
    from newsidx.interrupts import ingest_interrupted

    report = IngestReport(generation_before=3)
    assert "nothing of this ingest was written" in str(ingest_interrupted(report, 3, 3))
    report.files_committed = 2000
    kept = str(ingest_interrupted(report, 5, 5))
    assert "2000 files, generation 5" in kept and "index" not in kept
    lagging = str(ingest_interrupted(report, 5, 4))
    assert lagging.startswith(kept) and "reindex" in lagging
