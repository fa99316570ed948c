"""Run a command with its stdout on a pseudo-terminal, as a person's terminal gets it."""

from __future__ import annotations

import os
import pty
import subprocess
import termios
from collections.abc import Sequence


def run_on_pty(argv: Sequence[str], *, env: dict[str, str] | None = None,
               raw: bool = False) -> tuple[int, str, str]:
    """(exit code, stdout as the terminal got it, stderr). ``raw`` turns the terminal's
    output processing off, so a CR read back was written by the program itself."""
    master, slave = pty.openpty()
    if raw:
        attrs = termios.tcgetattr(slave)
        attrs[1] &= ~termios.OPOST  # no LF -> CRLF
        termios.tcsetattr(slave, termios.TCSANOW, attrs)
    full_env = {**os.environ, "COLUMNS": "100", **(env or {})}
    with subprocess.Popen(list(argv), stdin=subprocess.DEVNULL, stdout=slave,
                          stderr=subprocess.PIPE, env=full_env) as proc:
        os.close(slave)
        chunks = []
        while True:
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: every writer closed the terminal
                break
            if not data:
                break
            chunks.append(data)
        os.close(master)
        assert proc.stderr is not None
        err = proc.stderr.read().decode()
        code = proc.wait(timeout=60)
    return code, b"".join(chunks).decode("utf-8"), err
