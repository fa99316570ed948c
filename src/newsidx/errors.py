"""Errors newsidx raises on purpose, and the one table of exit codes.

Each error renders as one line for a person and carries the exit code the command
line gives it. The codes follow grep and diff: 0 when the command did what was asked
and found something, 1 when it answered "nothing" (no record matched, the named
record is not there, some input files failed, ``check`` found damage), 2 when it could
not do what was asked (bad arguments or query, an unreadable or locked catalogue).
"""

from __future__ import annotations

from enum import IntEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from newsidx.ingest import IngestReport


class ExitCode(IntEnum):
    """Every exit status ``newsidx`` uses."""

    OK = 0
    NO_MATCH = 1
    """Nothing matched (search, list, timeline) or the named record does not exist."""
    FAILURES = 1
    """Done, but some input failed (ingest) or damage remains (check)."""
    ERROR = 2
    """The command could not run: a usage, query or catalogue error."""
    INTERRUPTED = 130
    """Stopped by Ctrl-C (128 + SIGINT)."""


class NewsidxError(Exception):
    """Base class: a failure the user can cause and understand."""

    exit_code: int = ExitCode.ERROR


class ParseError(NewsidxError):
    """A file that cannot become an article: carries the path, a line and a reason."""

    exit_code = ExitCode.FAILURES

    def __init__(self, path: str, reason: str, line: int | None = None) -> None:
        self.path = path
        self.reason = reason
        self.line = line
        where = f"{path}:{line}" if line is not None else path
        super().__init__(f"{where}: {reason}")


class SkippedFile(ParseError):
    """A file that is not an article at all (binary, empty, not a regular file)."""


class UsageError(NewsidxError):
    """Arguments that cannot work, such as an ingest root that does not exist."""


class CatalogueError(NewsidxError):
    """The catalogue directory cannot be read or written as asked."""


class LockedError(CatalogueError):
    """Another newsidx process is writing to the same catalogue."""


class QueryError(NewsidxError):
    """A search query or filter that cannot be understood."""

    def __init__(self, message: str, position: int | None = None) -> None:
        self.position = position
        super().__init__(message)


class UnknownProvider(QueryError):
    """A provider no record has, given to ``--provider`` or ``provider:``: nothing can
    match, so it is a no-match (exit 1) with a "did you mean" hint, not a usage error."""

    exit_code = ExitCode.NO_MATCH


class NotFoundError(NewsidxError):
    """An id, id prefix or URL that names no record (or more than one)."""

    exit_code = ExitCode.NO_MATCH


class IngestFailed(NewsidxError):
    """``strict=True`` and some file failed: nothing was written; ``report`` says which."""

    exit_code = ExitCode.FAILURES

    def __init__(self, message: str, report: IngestReport) -> None:
        super().__init__(message)
        self.report = report
