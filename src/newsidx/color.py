"""Whether output is coloured, and newsidx's own highlight codes.

``--color auto|always|never`` as ripgrep has it: ``auto`` colours only a terminal, and
not when ``NO_COLOR`` is set to a non-empty value (https://no-color.org) or ``TERM`` is
``dumb``; ``always`` colours even a pipe (the human format only: JSON, JSONL, CSV, ids
and paths never carry colour); ``never`` writes no escape code at all.

The only escape codes newsidx writes are its own: :data:`MARK_ON`/:data:`MARK_OFF`
around matched words in plain text (:func:`paint`), and rich's styles in tables. Each
piece of article text they wrap has passed through :func:`newsidx.safetext.display`
first, so no code from an article reaches the terminal. Standard library and
:mod:`newsidx.safetext` only.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from typing import TextIO

from newsidx.safetext import display

CHOICES = ("auto", "always", "never")
MARK_ON = "\x1b[1;33m"
"""Bold yellow, the tables' highlight (rich's ``bold yellow``)."""
MARK_OFF = "\x1b[0m"


def env_allows(environ: Mapping[str, str] | None = None) -> bool:
    """False when ``NO_COLOR`` is set and non-empty or the terminal is ``dumb``."""
    env = os.environ if environ is None else environ
    return not env.get("NO_COLOR") and env.get("TERM") != "dumb"


def is_terminal(stream: TextIO) -> bool:
    """Whether ``stream`` is a terminal (False for anything without a usable ``isatty``)."""
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def wants_color(choice: str, stream: TextIO, environ: Mapping[str, str] | None = None) -> bool:
    """Whether to colour what is written to ``stream`` under ``--color choice``."""
    if choice == "always":
        return True
    if choice == "never":
        return False
    if choice != "auto":
        raise ValueError(f"unknown colour choice {choice!r}: use {', '.join(CHOICES)}")
    return is_terminal(stream) and env_allows(environ)


def paint(segments: Iterable[tuple[str, bool]]) -> str:
    """Safe ``(text, marked)`` segments joined, each marked one between the highlight
    codes. The caller passes text already made safe (``safetext.display``)."""
    return "".join(MARK_ON + text + MARK_OFF if marked and text else text
                   for text, marked in segments)



def painted_field(parts: Iterable[tuple[str, bool]]) -> str:
    """Raw ``(text, marked)`` segments as one plain-text field: each made safe, tabs as
    spaces, the ends trimmed, the marked words painted."""
    safe = [(display(text).replace("\t", " "), marked) for text, marked in parts]
    while safe and not safe[0][0].strip():
        safe.pop(0)
    while safe and not safe[-1][0].strip():
        safe.pop()
    if safe:
        safe[0] = (safe[0][0].lstrip(), safe[0][1])
        safe[-1] = (safe[-1][0].rstrip(), safe[-1][1])
    return paint(safe)
