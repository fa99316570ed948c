"""Run one ``newsidx`` command for a test, the way a user's shell would, and return what
it printed and its exit code.

The default (fast) run calls the command line in this process through click's
CliRunner: the same parsing, library calls, error lines and exit codes, without starting
an interpreter per command (about 0.15 s each, most of the default run's time). With
``NEWSIDX_TEST_SUBPROCESS=1`` every call is a real ``python -m newsidx`` subprocess
instead; ``.ci/run`` runs the whole suite that way, so each assertion is checked end to
end as well. What needs a real process (signals, a terminal, ``| head``, two processes
at once) starts one itself, whatever the setting.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

NEWSIDX = [sys.executable, "-m", "newsidx"]
SUBPROCESS = os.environ.get("NEWSIDX_TEST_SUBPROCESS") == "1"


@dataclass(frozen=True)
class Done:
    """What a command did: the fields of :class:`subprocess.CompletedProcess` tests read."""

    args: list[str]
    returncode: int
    stdout: str
    stderr: str


def newsidx(*args: str | Path, catalogue: Path | None = None, stdin: str | None = None,
            env: Mapping[str, str] | None = None, cwd: Path | None = None,
            timeout: float = 120) -> Done:
    """``newsidx [--catalogue CATALOGUE] ARGS``; ``env``, when given, is the whole
    environment (as for :func:`subprocess.run`), else the test's own."""
    argv = [*(["--catalogue", str(catalogue)] if catalogue is not None else []),
            *map(str, args)]
    if SUBPROCESS or cwd is not None:
        done = subprocess.run([*NEWSIDX, *argv], capture_output=True, text=True, input=stdin,
                              env=None if env is None else dict(env), cwd=cwd,
                              timeout=timeout, check=False)
        return Done(argv, done.returncode, done.stdout, done.stderr)
    return _in_process(argv, stdin, env)


def _in_process(argv: list[str], stdin: str | None, env: Mapping[str, str] | None) -> Done:
    from click.testing import CliRunner

    from newsidx.cli import cli

    changes: dict[str, str | None] = {}
    if env is not None:  # the whole environment: set what differs, unset what is gone
        changes = {key: value for key, value in env.items() if os.environ.get(key) != value}
        changes.update({key: None for key in os.environ if key not in env})
    result = CliRunner().invoke(cli, argv, input=stdin, env=changes, catch_exceptions=False,
                                prog_name="newsidx")
    return Done(argv, result.exit_code, result.stdout, result.stderr)
