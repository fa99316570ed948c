"""Errors newsidx raises on purpose; each renders as one line for a person."""

from __future__ import annotations


class NewsidxError(Exception):
    """Base class: a failure the user can cause and understand."""

    exit_code = 1


class ParseError(NewsidxError):
    """A file that cannot become an article: carries the path, a line and a reason."""

    def __init__(self, path: str, reason: str, line: int | None = None) -> None:
        self.path = path
        self.reason = reason
        self.line = line
        where = f"{path}:{line}" if line is not None else path
        super().__init__(f"{where}: {reason}")


class SkippedFile(ParseError):
    """A file that is not an article at all (binary, empty, not a regular file)."""


class CatalogueError(NewsidxError):
    """The catalogue directory cannot be read or written as asked."""


class LockedError(CatalogueError):
    """Another newsidx process is writing to the same catalogue."""


class QueryError(NewsidxError):
    """A search query or filter that cannot be understood."""

    exit_code = 2

    def __init__(self, message: str, position: int | None = None) -> None:
        self.position = position
        super().__init__(message)


class NotFoundError(NewsidxError):
    """An id, id prefix or URL that names no record (or more than one)."""
