"""Files are read in bounded chunks and refused by the line limit as they stream.

``--max-size 20G`` on an 8 GiB sparse file read it whole (16.8 GB at the peak) before
the parser refused its first line.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from newsidx import bounded
from newsidx.bounded import read_bounded
from newsidx.errors import ParseError

NEWSIDX = [sys.executable, "-m", "newsidx"]



def _limited() -> None:
    limit = 1536 * 1024 * 1024  # were the file read whole, this would stop it, not the host
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


@pytest.mark.slow  # a process over an 8 GiB sparse file: run by .ci/run's full suite
def test_a_huge_sparse_file_is_refused_in_bounded_memory(tmp_path: Path) -> None:
    news = tmp_path / "news"
    news.mkdir()
    huge = news / "huge.md"
    with huge.open("wb") as handle:
        handle.truncate(8 * 1024**3)  # sparse: costs no disk
    (news / "fine.md").write_text("# Fine story\n\nAll well.\n")
    proc = subprocess.Popen([*NEWSIDX, "--catalogue", str(tmp_path / "cat"), "ingest",
                             "--max-size", "20G", "-j", "1", str(news)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            preexec_fn=_limited)
    assert proc.stdout is not None and proc.stderr is not None
    out, err = proc.stdout.read().decode(), proc.stderr.read().decode()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    assert proc.returncode == 1, err  # one file failed, the other was ingested
    assert "Traceback" not in err
    failed = [line for line in err.splitlines() if "huge.md" in line]
    assert len(failed) == 1 and "line 1" in failed[0], err
    listed = subprocess.run([*NEWSIDX, "--catalogue", str(tmp_path / "cat"), "list",
                             "--format", "ids"], capture_output=True, text=True, check=False)
    assert len(listed.stdout.split()) == 1, out + listed.stderr
    peak = usage.ru_maxrss * 1024  # KiB on Linux
    assert peak < 300 * 1024 * 1024, f"peak RSS {peak / 2**20:.0f} MiB"


def _read(path: Path, max_size: int, max_line: int) -> bytes | None:
    fd = os.open(path, os.O_RDONLY)
    try:
        return read_bounded(fd, max_size, max_line, str(path))
    finally:
        os.close(fd)


@pytest.mark.parametrize("split", [0, 1, 99, 100, 101, 4095, 4096])
def test_the_line_limit_holds_across_chunks(tmp_path: Path, split: int,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bounded, "CHUNK", 100)  # lines straddle many chunk boundaries
    path = tmp_path / "a.md"
    ok = b"x" * split + b"\n" + b"y" * 4096 + b"\n" + b"z" * 4096
    path.write_bytes(ok)
    assert _read(path, 1 << 20, 4096) == ok
    path.write_bytes(ok + b"z")  # the last line, now one byte over
    with pytest.raises(ParseError) as caught:
        _read(path, 1 << 20, 4096)
    assert caught.value.line == 3 and caught.value.path == str(path)
    path.write_bytes(b"a\n" * 3 + b"w" * 4097 + b"\nend\n")  # over, then more lines
    with pytest.raises(ParseError) as caught:
        _read(path, 1 << 20, 4096)
    assert caught.value.line == 4


def test_size_limit_and_measured_length(tmp_path: Path) -> None:
    path = tmp_path / "a.md"
    path.write_bytes(b"line\n" * 100)
    assert _read(path, 500, 4096) == b"line\n" * 100
    assert _read(path, 499, 4096) is None
    path.write_bytes(b"t\n" + b"x" * (3 << 20) + b"\n")
    with pytest.raises(ParseError, match=r"line 2 is 3\.0 MiB long, over the 1 MiB"):
        _read(path, 10 << 20, 1 << 20)
