"""Long output on a terminal goes through ``$PAGER``, as git does it.

``$PAGER`` (default ``less -R``, unless ``TERM`` is dumb; empty or ``cat`` means
none) gets the output on its
stdin; ``LESS`` defaults to ``FRX`` so that a short text is printed and ``less`` exits
at once. When stdout is not a terminal, or the pager cannot be started, output goes
to stdout unchanged. Quitting the pager early is not an error.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from typing import TextIO, cast

DEFAULT = "less -R"


def pager_command() -> str | None:
    """The pager to run, or None."""
    if "PAGER" not in os.environ and os.environ.get("TERM", "dumb") == "dumb":
        return None  # less cannot drive a dumb terminal; an explicit $PAGER is obeyed
    command = os.environ.get("PAGER", DEFAULT).strip()
    return None if command in ("", "cat") else command


@contextlib.contextmanager
def paged(enabled: bool) -> Iterator[TextIO]:
    """A stream to write to: the pager's stdin when ``enabled`` and a pager is set."""
    command = pager_command() if enabled else None
    if command is None:
        yield sys.stdout
        return
    import subprocess

    env = dict(os.environ)
    env.setdefault("LESS", "FRX")
    try:
        proc = subprocess.Popen(command, shell=True, stdin=subprocess.PIPE, env=env,
                                encoding="utf-8", errors="replace")
    except OSError:
        yield sys.stdout
        return
    stdin = cast(TextIO, proc.stdin)
    try:
        yield stdin
        stdin.close()
    except BrokenPipeError:  # the reader quit the pager: it has what it wanted
        pass
    finally:
        with contextlib.suppress(BrokenPipeError, OSError):
            stdin.close()
        proc.wait()
