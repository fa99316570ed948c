"""The pieces every renderer draws with: rich text for a terminal, tab-free fields for
plain lines, and the console that never interprets markup or emoji codes.

Article text goes through :mod:`newsidx.safetext` here, once, for tables
(:mod:`newsidx.render`), records (:mod:`newsidx.recordview`) and counts
(:mod:`newsidx.countview`) alike. rich is imported inside the functions that need it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, TextIO

from newsidx.color import env_allows, painted_field
from newsidx.hits import Snippet
from newsidx.model import Article
from newsidx.safetext import display

if TYPE_CHECKING:
    from rich.console import Console
    from rich.text import Text

HIGHLIGHT = "bold yellow"


def day_cell(record: Article) -> str:
    return record.day or "-"


def provider_cell(record: Article) -> str:
    return display(record.provider_key or "") or "-"


def plain_field(text: str) -> str:
    return display(text).replace("\t", " ").strip() or "-"


def console_for(out: TextIO, *, force_terminal: bool | None = None,
                color: bool | None = None) -> Console:
    """A rich console writing to ``out`` that never interprets markup or emoji codes.
    ``color`` False writes no escape code at all; True colours whatever the terminal
    type or ``NO_COLOR`` (``--color always``); None leaves it to rich."""
    from rich.console import Console

    def make(system: str | None) -> Console:
        return Console(file=out, markup=False, emoji=False, highlight=False,
                       force_terminal=force_terminal, color_system=system,  # type: ignore[arg-type]
                       no_color=None if color is None else not color)

    if color is False:
        return make(None)
    console = make("auto")
    return make("standard") if color and console.color_system is None else console


def styled(value: str, style: str | None = None) -> Text:
    from rich.text import Text

    return Text(display(value), style=style or "")


def marked(parts: Iterable[tuple[str, bool]], style: str = "") -> Text:
    """Segments as one rich text, each made safe, the marked ones highlighted."""
    from rich.text import Text

    text = Text(style=style)
    for part, marked in parts:
        text.append(display(part), style=HIGHLIGHT if marked else "")
    return text


def snippet_cell(snippet: Snippet) -> Text:
    return styled(snippet, "dim") if isinstance(snippet, str) else marked(snippet, "dim")


def plain_marked(parts: Sequence[tuple[str, bool]], color: bool) -> str:
    """A plain-text field; with ``color``, its marked words between newsidx's codes."""
    if not color or not any(marked for _, marked in parts):
        return plain_field("".join(text for text, _ in parts))
    return painted_field(parts) or "-"



def term_color(color: bool | None) -> bool:
    """A terminal's colour: as asked, else as the environment allows (``NO_COLOR``)."""
    return env_allows() if color is None else color
