"""Commands whose words form a query: ``-word`` is NOT, not an option.

``newsidx search -google iraq`` (or ``'-google iraq'``) would make click read ``-g``
as an option. :class:`QueryCommand` sorts the arguments before click parses them:
every token that is one of the command's options (with its value) stays an option,
every other token (``-google``, ``iraq``, ``-``) is a query word, moved after ``--``
in its original order. The query words are joined with spaces, so quoting the whole
query is optional.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])


def _option_arity(command: click.Command, ctx: click.Context) -> dict[str, bool]:
    """Every option spelling of ``command`` -> whether it takes a value."""
    arity: dict[str, bool] = {}
    for param in command.get_params(ctx):
        if isinstance(param, click.Option):
            takes = not (param.is_flag or param.count)
            for name in (*param.opts, *param.secondary_opts):
                arity[name] = takes
    return arity


def split_args(args: list[str], arity: dict[str, bool]) -> list[str]:
    """``args`` with the options first and the query words after ``--``."""
    options: list[str] = []
    words: list[str] = []
    items = iter(args)
    for token in items:
        if token == "--":
            words.extend(items)
            break
        name = token.split("=", 1)[0] if token.startswith("--") else token
        if name in arity:
            options.append(token)
            if arity[name] and "=" not in token:
                value = next(items, None)
                if value is not None:
                    options.append(value)
        elif (token.startswith("-") and not token.startswith("--") and len(token) > 2
              and arity.get(token[:2]) is True and " " not in token):
            options.append(token)  # a short option with its value attached: -n5
        elif token.startswith("--") and len(token) > 2 and " " not in token:
            options.append(token)  # an unknown --option: click says "no such option"
        else:
            words.append(token)
    return [*options, "--", *words] if words else options


class QueryCommand(click.Command):
    """A command whose positional words are a query (see the module docstring)."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if not ctx.resilient_parsing:  # completion parses partial lines: leave them be
            args = split_args(list(args), _option_arity(self, ctx))
        return super().parse_args(ctx, args)


def query_text(words: tuple[str, ...] | str | None) -> str:
    """The query from its words."""
    if words is None:
        return ""
    return words if isinstance(words, str) else " ".join(words)


def query_argument(*, required: bool = True) -> Callable[[F], F]:
    """``QUERY...``: the words of a query (quoted or not)."""
    return click.argument("query", nargs=-1, required=required)
