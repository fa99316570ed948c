"""Click options shared by several commands, and shell completion from the catalogue.

The filter options become one :class:`newsidx.filters.Filters` (:func:`take_filters`).

``--catalogue`` is accepted both before and after the command name: the group's
option (which also reads ``NEWSIDX_CATALOGUE``) and each command's store the path in
the context, the command's winning. Completion of ``--provider``/``--topic`` values
reads the catalogue manifest, never the index.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO, TypeVar

import click

from newsidx.color import CHOICES, wants_color

if TYPE_CHECKING:
    from click.shell_completion import CompletionItem

    from newsidx.filters import Filters

    Completer = Callable[[click.Context, click.Parameter, str], list[CompletionItem]]

F = TypeVar("F", bound=Callable[..., Any])
_CATALOGUE_KEY = "newsidx.catalogue"
_COLOR_KEY = "newsidx.color"


def _store_catalogue(ctx: click.Context, _param: click.Parameter, value: Path | None) -> None:
    if value is not None:
        ctx.meta[_CATALOGUE_KEY] = value


def catalogue_option(*, envvar: str | None = None) -> Callable[[F], F]:
    """``--catalogue DIR``; the group passes ``envvar="NEWSIDX_CATALOGUE"``."""
    return click.option(
        "--catalogue",
        type=click.Path(file_okay=False, path_type=Path),
        envvar=envvar,
        expose_value=False,
        is_eager=True,
        callback=_store_catalogue,
        help="Catalogue directory [env NEWSIDX_CATALOGUE; default $XDG_DATA_HOME/newsidx].",
    )


def catalogue_root(ctx: click.Context | None = None) -> Path:
    """The catalogue chosen on the command line, else the environment's default."""
    ctx = ctx or click.get_current_context(silent=True)
    if ctx is not None and _CATALOGUE_KEY in ctx.meta:
        return Path(ctx.meta[_CATALOGUE_KEY])
    from newsidx.catalogue import default_root

    return default_root()


def _manifest_keys(ctx: click.Context, section: str) -> list[str]:
    """Provider or topic keys: from the index when it is current (fast at any size),
    else from the catalogue manifest."""
    try:
        from newsidx.catalogue import Catalogue
        from newsidx.freshness import index_for, is_current

        catalogue = Catalogue(catalogue_root(ctx))
        generation = catalogue.peek_generation()
        if generation and is_current(catalogue, generation):
            from newsidx.filters import NO_FILTERS, to_request

            field = "provider" if section == "providers" else "topic"
            return sorted(key for key, _ in index_for(catalogue).facet(field,
                                                                       to_request(NO_FILTERS)))
        manifest: Mapping[str, Any] = catalogue.manifest()
        return sorted(str(key) for key in manifest.get(section, {}) or {})
    except Exception:  # completion must never print a traceback into the shell
        return []


def _completer(section: str) -> Completer:
    def complete(ctx: click.Context, _p: click.Parameter, incomplete: str) -> list[CompletionItem]:
        from click.shell_completion import CompletionItem

        low = incomplete.lower()
        keys = _manifest_keys(ctx, section)
        return [CompletionItem(k) for k in keys if k.lower().startswith(low)]

    return complete


complete_provider = _completer("providers")
complete_topic = _completer("topics")


def filter_options(func: F) -> F:
    """``--provider``/``--topic``/``--author``/``--lang``/``--folder``/``--story`` (repeatable),
    ``--kind``, ``--since``, ``--until``."""
    decorators = (
        click.option("--provider", "providers", multiple=True, metavar="DOMAIN",
                     shell_complete=complete_provider,
                     help="Only this provider (domain or name); repeat for any of several."),
        click.option("--topic", "topics", multiple=True, metavar="TOPIC",
                     shell_complete=complete_topic,
                     help="Only records with this topic; repeat for any of several."),
        click.option("--author", "authors", multiple=True, metavar="NAME",
                     help="Only records by this author (any case); repeat for any of several."),
        click.option("--lang", "langs", multiple=True, metavar="CODE",
                     help="Only records in this language (en, zh-cn = zh_CN); repeat for any "
                          "of several."),
        click.option("--folder", "folders", multiple=True, metavar="DIR",
                     help="Only records from files in this folder (relative to the ingest "
                          "root) or below it; repeat for any of several."),
        click.option("--story", "stories", multiple=True, metavar="ID",
                     help="Only records of this story (a record's story id); repeat for any "
                          "of several."),
        click.option("--kind", type=click.Choice(["article", "related"]),
                     help="Only full articles or only related records."),
        click.option("--since", metavar="DATE",
                     help="Published on or after DATE (2024, 2024-03, 2024-03-05, '7 days ago')."),
        click.option("--until", metavar="DATE",
                     help="Published on or before DATE (the whole of a partial date)."),
    )
    for decorate in reversed(decorators):
        func = decorate(func)
    return func


def take_filters(kwargs: dict[str, Any]) -> Filters:
    """Pop the :func:`filter_options` values from a command's keyword arguments."""
    from newsidx.filters import Filters

    return Filters(
        providers=tuple(kwargs.pop("providers", ())),
        topics=tuple(kwargs.pop("topics", ())),
        kind=kwargs.pop("kind", None),
        since=kwargs.pop("since", None),
        until=kwargs.pop("until", None),
        authors=tuple(kwargs.pop("authors", ())),
        langs=tuple(kwargs.pop("langs", ())),
        folders=tuple(kwargs.pop("folders", ())),
        stories=tuple(kwargs.pop("stories", ())),
    )


def format_option(choices: tuple[str, ...], default: str) -> Callable[[F], F]:
    """``--format`` restricted to ``choices``."""
    return click.option(
        "--format", "fmt", type=click.Choice(choices), default=default, show_default=True,
        help="Output format; 'table' is a rich table on a terminal and tab-separated text "
        "when piped.",
    )


PAGE = 20
"""Results a terminal table shows when no ``--limit`` is given."""


def page_options(func: F) -> F:
    """``-n/--limit``, ``--all`` and ``--offset``; :func:`page_limit` resolves them."""
    func = click.option("--offset", type=click.IntRange(min=0), default=0, show_default=True,
                        help="Skip this many results first.")(func)
    func = click.option("--all", "everything", is_flag=True,
                        help="Every result, also in a terminal table (as -n 0).")(func)
    return click.option(
        "-n", "--limit", type=click.IntRange(min=0), default=None, metavar="N",
        help=f"At most N results; 0 for all [default: all, or {PAGE} in a terminal "
        "table].")(func)


def page_limit(limit: int | None, everything: bool, *, fmt: str, tty: bool) -> int | None:
    """The number of results to write, None for all: programs (a pipe, or any format but
    ``table``) get every match, a person at a terminal a first page."""
    if everything and limit:
        raise click.UsageError("give either --all or -n/--limit N, not both")
    if everything or limit == 0:
        return None
    if limit is not None:
        return limit
    return PAGE if tty and fmt == "table" else None


def _store_color(ctx: click.Context, _param: click.Parameter, value: str) -> None:
    ctx.meta[_COLOR_KEY] = value


def color_option(func: F) -> F:
    """``--color auto|always|never``, as ripgrep has it (see :mod:`newsidx.color`)."""
    return click.option(
        "--color", type=click.Choice(CHOICES), default="auto", show_default=True,
        expose_value=False, callback=_store_color,
        help="Colour the output: auto (on a terminal, unless NO_COLOR is set), always "
        "(also when piped; never in json/jsonl/csv/ids/paths), never.")(func)


def color_for(stream: TextIO, ctx: click.Context | None = None) -> bool:
    """Whether the command's output to ``stream`` is coloured, as ``--color`` says."""
    ctx = ctx or click.get_current_context(silent=True)
    choice = ctx.meta.get(_COLOR_KEY, "auto") if ctx is not None else "auto"
    return wants_color(choice, stream)
