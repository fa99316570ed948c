"""The ``newsidx`` command line: parse arguments, call :class:`newsidx.Archive`, render.

Every :class:`~newsidx.errors.NewsidxError` becomes one ``newsidx: error: ...`` line
on stderr in :meth:`NewsidxGroup.invoke`, with the error's exit code; the codes are
:class:`~newsidx.errors.ExitCode` (0 found, 1 nothing found or some input failed,
2 error, 130 interrupted). A reader that goes away (``| head``) ends the command
quietly with 0. Heavy modules (rich, the index, ingest) load only in the commands
that use them; :mod:`newsidx.cli.output` holds what is said besides the results.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TextIO

import click

from newsidx import __version__
from newsidx.cli.output import note
from newsidx.errors import ExitCode, NewsidxError
from newsidx.options import (
    catalogue_option,
    catalogue_root,
    color_option,
)

if TYPE_CHECKING:
    from newsidx.api import Archive

ENVVAR = "NEWSIDX_CATALOGUE"
_LIST_FORMATS = ("table", "json", "jsonl", "csv", "ids", "paths")


class _HumanChoice(click.Choice):  # type: ignore[type-arg]
    """``--format`` choices where ``text`` is taken as ``table``, the one name for the
    human format across commands (``text`` is what older versions called it)."""

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> Any:
        return super().convert("table" if value == "text" else value, param, ctx)


def human_format_option(others: tuple[str, ...]) -> Callable[[Any], Any]:
    """``--format table|OTHERS`` (``text`` accepted as ``table``), default ``table``."""
    return click.option(
        "--format", "fmt", type=_HumanChoice(("table", *others)), default="table",
        show_default=True, help="Output format; 'table' is for people on a terminal and "
        "plain text when piped ('text' is accepted too).")


def fail(message: str, code: int = ExitCode.ERROR) -> NoReturn:
    """Print ``newsidx: error: message`` and exit with ``code``."""
    note(f"error: {message}")
    raise SystemExit(int(code))


class NewsidxGroup(click.Group):
    """The command group that turns library errors into one line and an exit code."""

    def make_context(self, info_name: str | None, args: list[str],
                     parent: click.Context | None = None, **extra: Any) -> click.Context:
        # a Ctrl-C while the arguments are parsed: 130 and one line, not click's "Aborted!"
        try:
            return super().make_context(info_name, args, parent, **extra)
        except KeyboardInterrupt:
            _interrupted("interrupted")

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except NewsidxError as exc:
            fail(str(exc), exc.exit_code)
        except BrokenPipeError:
            # The reader went away (``| head``): it has what it wanted, so stop quietly
            # and succeed, as ``seq 1000000 | head -1`` does.
            _quiet_stdout()
            raise SystemExit(ExitCode.OK) from None
        except KeyboardInterrupt as exc:
            # one line (an interrupted ingest says what stays)
            _interrupted(str(exc) or "interrupted")


def _interrupted(message: str) -> NoReturn:
    """Say ``message`` and exit 130; a second Ctrl-C while the interpreter exits must not
    print a traceback either."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    note(message)
    raise SystemExit(ExitCode.INTERRUPTED) from None


def _quiet_stdout() -> None:
    """Point stdout at /dev/null so that the interpreter's last flush cannot fail."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # no real stdout (CliRunner): nothing left to flush
        pass
    finally:
        os.close(devnull)


def _is_tty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def _out() -> TextIO:
    return sys.stdout


def _archive() -> Archive:
    from newsidx.api import Archive

    return Archive(catalogue_root(), notify=note)


def _nothing() -> contextlib.AbstractContextManager[None]:
    """The context to use when no progress bar is shown."""
    return contextlib.nullcontext()


def _exit(code: int) -> NoReturn:
    raise SystemExit(int(code))


def _empty(archive: Archive) -> bool:
    """True (after a note) when the archive has never been written."""
    if archive.generation:
        return False
    note("the catalogue is empty: run `newsidx ingest DIR` first")
    return True


@click.group(cls=NewsidxGroup, context_settings={"help_option_names": ["-h", "--help"]})
@catalogue_option(envvar=ENVVAR)
@click.version_option(__version__, "-V", "--version", prog_name="newsidx")
def cli() -> None:
    """Index, search, list and count a folder of saved news articles.

    Start with `newsidx ingest DIR`, then `newsidx search "words"`.
    """


def command(name: str, cls: type[click.Command] | None = None,
            ) -> Callable[[Callable[..., Any]], click.Command]:
    """A subcommand that also accepts ``--catalogue`` after its name."""

    def decorate(func: Callable[..., Any]) -> click.Command:
        return cli.command(name, cls=cls)(catalogue_option()(func))

    return decorate


# ----------------------------------------------------------------- ingest


def _no_empty_paths(ctx: click.Context, param: click.Parameter,
                    value: tuple[str, ...]) -> tuple[Path, ...]:
    """Paths as given, refusing an empty one: ``Path("")`` would be the current folder,
    which is what an unset shell variable (``newsidx ingest "$DIR"``) must not mean."""
    if "" in value:
        name = "PATHS" if isinstance(param, click.Argument) else param.opts[0]
        fail(f"{name}: an empty path was given (an unset shell variable?)", 2)
    return tuple(Path(v) for v in value)


@command("ingest")
@click.argument("paths", nargs=-1, type=click.Path(), callback=_no_empty_paths)
@click.option("--hidden", is_flag=True, help="Also read hidden files and folders.")
@click.option("--prune", is_flag=True,
              help="Remove records whose files are gone from the given paths, or now left "
              "out by --exclude, --include or an ignore file.")
@click.option("--include", multiple=True, metavar="GLOB",
              help="Read only files matching GLOB (gitignore syntax, relative to the path "
              "given; repeatable).")
@click.option("--exclude", multiple=True, metavar="GLOB",
              help="Leave out paths matching GLOB (gitignore syntax; repeatable); their "
              "records go with --prune.")
@click.option("--no-ignore", is_flag=True,
              help="Also read files that .gitignore and .ignore files leave out.")
@click.option("--strict", is_flag=True,
              help="Write nothing if any file fails; exit 1 naming the failures.")
@click.option("--wait", is_flag=True, help="Wait for another ingest to finish instead of failing.")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None,
              help="Parallel parser processes [default: CPU count; at most 4 per CPU "
              "and one per file].")
@click.option("--max-size", default="10M", show_default=True, metavar="SIZE",
              help="Skip files larger than SIZE (bytes, or with K/M/G).")
@click.option("--from-jsonl", "jsonl", type=click.Path(dir_okay=False), callback=_no_empty_paths,
              multiple=True, help="Also read back a `newsidx export --format jsonl` file "
              "(a PATH that is one is recognised without it).")
@click.option("--map", "field_map", multiple=True, metavar="FIELD=KEY.PATH",
              help="Read a dataset's FIELD (title, url, published, provider, domain, "
              "excerpt, body, topics, author, language, image) from KEY.PATH (dotted) "
              "instead of the guess; FIELD= maps nothing (repeatable).")
@click.option("--stories/--no-stories", default=None,
              help="Group records into stories (copies, and different outlets' coverage "
              "of one event) from now on, or stop; the catalogue keeps the choice for "
              "later ingests [default: as it was; off for a new catalogue].")
@click.option("--dry-run", is_flag=True,
              help="Write nothing: print what each file is detected as, the dataset "
              "mapping, the unmapped keys and three sample records.")
@human_format_option(("json",))
def ingest_cmd(paths: tuple[Path, ...], jsonl: tuple[Path, ...], fmt: str,
               max_size: str, **options: Any) -> None:
    """Add or update the articles under PATHS (files or folders), incrementally.

    \b
    Examples:
      newsidx ingest seeds/
      newsidx ingest seeds/ --prune --format json
    """
    from newsidx.cli.output import note_files, size_bytes, write_ingest
    from newsidx.cli.progress import bar_for
    from newsidx.errors import IngestFailed

    if not paths and not jsonl:
        raise click.UsageError("give at least one PATH or --from-jsonl FILE")
    try:
        limit = size_bytes(max_size)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--max-size") from None
    if options.pop("dry_run"):
        from newsidx.cli.plan import write_plans

        plans = _archive().dry_run(paths, field_map=options["field_map"], max_size=limit)
        _exit(ExitCode.FAILURES if write_plans(plans, _out(), fmt=fmt) else ExitCode.OK)
    from newsidx.formats import split_exports

    exports, paths = split_exports(paths)
    for path in exports:
        note(f"{path}: a newsidx export: its records are read back as they are")
    jsonl = (*jsonl, *exports)
    archive = _archive()
    if jsonl:
        from newsidx.cli.output import write_jsonl_result

        write_jsonl_result(archive.ingest_jsonl(jsonl, wait=options["wait"]), _out(), fmt=fmt)
        if not paths:
            return
    bar = bar_for(sys.stderr)
    try:
        with bar or _nothing():
            report = archive.ingest(paths, max_size=limit,
                                    progress=bar.ingest if bar else None, **options)
    except IngestFailed as exc:
        note_files(exc.report)
        raise
    note_files(report)
    write_ingest(report, _out(), fmt=fmt)
    _exit(ExitCode.FAILURES if report.failed else ExitCode.OK)


# ----------------------------------------------------------------- stats


@command("stats")
@human_format_option(("json",))
@color_option
def stats_cmd(fmt: str) -> None:
    """Totals: records, articles, related, providers, topics, dates, sizes on disk.

    \b
    Examples:
      newsidx stats
      newsidx stats --format json
    """
    from dataclasses import asdict

    from newsidx.cli.output import stats_mapping
    from newsidx.render import write_mapping

    stats = asdict(_archive().stats())
    write_mapping(stats_mapping(stats, human=fmt == "table"), _out(), fmt=fmt)


@command("reindex")
@click.option("--wait", is_flag=True, help="Wait for another ingest to finish instead of failing.")
def reindex_cmd(wait: bool) -> None:
    """Rebuild the search index from the catalogue.

    \b
    Examples:
      newsidx reindex
    """
    from newsidx.cli.progress import bar_for

    bar = bar_for(sys.stderr)
    with bar or _nothing():
        count = _archive().reindex(wait=wait, progress=bar.step if bar else None)
    note(f"indexed {count} records")


@command("check")
@click.option("--repair", is_flag=True,
              help="Rebuild the index, and the catalogue from its sources if it is damaged.")
@click.option("--wait", is_flag=True, help="Wait for another ingest to finish instead of failing.")
@human_format_option(("json",))
def check_cmd(repair: bool, wait: bool, fmt: str) -> None:
    """Check that the catalogue is intact and the index matches it; exit 1 if not.

    \b
    Examples:
      newsidx check
      newsidx check --repair --format json
    """
    from newsidx.cli.output import write_check
    from newsidx.cli.progress import bar_for

    bar = bar_for(sys.stderr)
    with bar or _nothing():
        report = _archive().check(repair=repair, wait=wait,
                                  progress=bar.step if bar else None)
    write_check(report, _out(), fmt=fmt)
    _exit(ExitCode.OK if report.ok else ExitCode.FAILURES)


# The commands kept in their own modules register themselves on import.
from newsidx.cli import counts as _counts  # noqa: E402, F401
from newsidx.cli import exporting as _exporting  # noqa: E402, F401
from newsidx.cli import records as _records  # noqa: E402, F401
from newsidx.cli import results as _results  # noqa: E402, F401
from newsidx.cli import storycmds as _storycmds  # noqa: E402, F401


def main(argv: Sequence[str] | None = None) -> None:
    """Console entry point."""
    cli.main(args=list(argv) if argv is not None else None, prog_name="newsidx")


def iter_commands() -> Iterator[str]:
    """Every command name, for docs and tests."""
    yield from sorted(cli.commands)


__all__ = ["cli", "fail", "iter_commands", "main"]
