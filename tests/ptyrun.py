"""Run a command with its stdout (or stderr) on a pseudo-terminal, as a person's terminal
gets it."""

from __future__ import annotations

import os
import pty
import subprocess
import termios
from collections.abc import Sequence


def run_on_pty(argv: Sequence[str], *, env: dict[str, str] | None = None,
               raw: bool = False, stderr: bool = False,
               timeout: float = 60) -> tuple[int, str, str]:
    """(exit code, stdout, stderr), the one on the terminal (stdout, or stderr with
    ``stderr``) as the terminal got it. ``raw`` turns the terminal's output processing
    off, so a CR read back was written by the program itself."""
    master, slave = pty.openpty()
    if raw:
        attrs = termios.tcgetattr(slave)
        attrs[1] &= ~termios.OPOST  # no LF -> CRLF
        termios.tcsetattr(slave, termios.TCSANOW, attrs)
    full_env = {**os.environ, "COLUMNS": "100", **(env or {})}
    piped = subprocess.PIPE
    with subprocess.Popen(list(argv), stdin=subprocess.DEVNULL,
                          stdout=piped if stderr else slave,
                          stderr=slave if stderr else piped, env=full_env) as proc:
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
        other = proc.stdout if stderr else proc.stderr
        assert other is not None
        rest = other.read().decode()
        code = proc.wait(timeout=timeout)
    shown = b"".join(chunks).decode("utf-8", "replace" if stderr else "strict")
    return (code, rest, shown) if stderr else (code, shown, rest)
