"""One file's bytes → a ``ParseResult``: the article record and its related records.

The format is read from the content, never the extension: YAML front matter between
``---`` lines, Hugo TOML between ``+++`` lines, a leading JSON object, else plain text
whose first non-empty line is the title. Hostile input is bounded before a parser sees
it (nesting depth, alias expansion, merge keys, size), so no file can crash, hang or
exhaust the process. docs/format.md describes every field and odd case.

This module reads the file (bounded by size, never blocking) and checks its text;
:mod:`newsidx.frontmatter` splits and loads the header, :mod:`newsidx.fieldmap` maps it
to records. The names other modules import stay here.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

from . import identity
from .clean import fold_title
from .decode import decode
from .errors import ParseError, SkippedFile
from .fieldmap import Context, build
from .frontmatter import MAX_DEPTH, TOO_DEEP, Format, Hostile, split
from .frontmatter import MAX_MERGED_KEYS as MAX_MERGED_KEYS
from .frontmatter import VALUE_BUDGET as VALUE_BUDGET
from .model import Article, clean

__all__ = ["DEFAULT_MAX_SIZE", "MAX_DEPTH", "ParseResult", "parse_bytes", "parse_file",
           "parse_mapping"]

DEFAULT_MAX_SIZE = 10 * 1024 * 1024
MAX_LINE = 1024 * 1024
_MIB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class ParseResult:
    """``records[0]`` is the article, then its related records; one-line warnings."""

    records: tuple[Article, ...]
    warnings: tuple[str, ...]
    format: Format


def _check_line_lengths(data: bytes, source: str) -> None:
    """Reject a file with a line over MAX_LINE bytes: no article has one, and a
    multi-megabyte line (minified markup, a dump) would only bloat the index."""
    start = line = 0
    while start < len(data):
        end = data.find(b"\n", start)
        if end < 0:
            end = len(data)
        line += 1
        if end - start > MAX_LINE:
            raise ParseError(
                source,
                f"line {line} is {(end - start) / 1024 / 1024:.1f} MiB long, over the "
                f"{MAX_LINE // 1024 // 1024} MiB line limit",
                line,
            )
        start = end + 1


def parse_bytes(data: bytes, source: str, *, file_name: str | None = None) -> ParseResult:
    """Parse one file's bytes; ``source`` names it in records and errors.

    ``file_name`` (default: the last part of ``source``) supplies a Jekyll date
    (``2024-03-05-slug.md``) and the last-resort title. Raises ``ParseError`` for a
    file that cannot become an article and ``SkippedFile`` for binary or empty files.
    """
    name = file_name if file_name is not None else PurePath(source).name
    page = _is_page(data)
    if len(data) > MAX_LINE and not page:  # saved pages have minified lines
        _check_line_lengths(data, source)
    warnings: list[str] = []
    text = decode(data, source, warnings)
    if "\x00" in text:
        warnings.append(f"removed {text.count(chr(0))} NUL character(s)")
        text = text.replace("\x00", "")
    if not text or text.isspace():
        raise SkippedFile(source, "empty file")
    if page:
        from .formats.page import read_page

        article = read_page(text, source, warnings)
        return ParseResult((article,), article.warnings, "html")
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    fmt, header, body, first = split(text, source, warnings)
    ctx = Context(markup=True)
    if fmt == "text":
        title = first.lstrip("#").strip() if first and first.startswith("#") else first
        title = fold_title(title or "") or fold_title(PurePath(name).stem) or "untitled"
        record_id = identity.article_id(None, source)
        article = clean(Article(id=record_id, kind="article", title=title, body=body,
                                sources=(source,), warnings=tuple(warnings)))
        return ParseResult((article,), article.warnings, fmt)
    if header is None:
        header = {}
    if not isinstance(header, dict):
        raise ParseError(source, "front matter is not a mapping", 1)
    try:
        article, related = build(ctx, header, body, source, name, warnings)
    except Hostile as exc:
        raise ParseError(source, str(exc)) from None
    except RecursionError:
        raise ParseError(source, TOO_DEEP) from None
    article = clean(article)
    related = [clean(record) for record in related]
    all_warnings = list(article.warnings)
    for record in related:
        all_warnings.extend(record.warnings)
    return ParseResult((article, *related), tuple(all_warnings), fmt)


def _is_page(data: bytes) -> bool:
    """A saved HTML page (:mod:`newsidx.formats.page`), told by its first bytes."""
    if data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] != b"<":
        return False
    from .formats.page import is_page

    return is_page(data)


def parse_mapping(data: Mapping[str, Any], source: str) -> Article:
    """One article from a mapping already read (a dataset item), by the front-matter
    field rules, so a dataset row and a front-matter file with the same keys give the
    same record. A ``related`` key is not followed (kept in ``extra``). Raises
    ParseError(source, reason) for a mapping too deep or too large to read."""
    header = dict(data)
    related = header.pop("related", None)
    ctx = Context()
    warnings: list[str] = []
    try:
        article, _ = build(ctx, header, "", source, "", warnings,
                           identity.position_of(data))
        if related is not None:
            extra = {**article.extra, "related": ctx.jsonable(related)}
            article = Article(**{**_shallow(article), "extra": extra})
    except Hostile as exc:
        raise ParseError(source, str(exc)) from None
    except RecursionError:
        raise ParseError(source, TOO_DEEP) from None
    return article


def _shallow(article: Article) -> dict[str, Any]:
    return {name: getattr(article, name) for name in Article.__dataclass_fields__}


def _size_text(size: int) -> str:
    return f"{size / _MIB:.1f}".removesuffix(".0")


def parse_file(path: str | os.PathLike[str], *, source: str | None = None,
               max_size: int = DEFAULT_MAX_SIZE) -> ParseResult:
    """Read and parse one file, refusing non-regular and oversized files before reading.

    The size is checked with ``stat`` first and the read is bounded by ``max_size``; the
    file is opened non-blocking, so a FIFO swapped in after the check cannot hang.
    """
    where = os.fspath(path)
    label = source if source is not None else where
    try:
        info = os.stat(where)
    except OSError as exc:
        raise ParseError(label, f"cannot read: {exc.strerror or exc}") from None
    kind = _file_kind(info.st_mode)
    if kind:
        raise SkippedFile(label, f"not a regular file ({kind})")
    if info.st_size > max_size:
        raise ParseError(label, f"file is {_size_text(info.st_size)} MiB, over the "
                                f"{_size_text(max_size)} MiB limit (--max-size)")
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(where, flags)
    except OSError as exc:
        raise ParseError(label, f"cannot read: {exc.strerror or exc}") from None
    try:
        kind = _file_kind(os.fstat(fd).st_mode)
        if kind:
            raise SkippedFile(label, f"not a regular file ({kind})")
        chunks: list[bytes] = []
        total = 0
        while True:
            chunk = os.read(fd, min(max_size + 1 - total, 1 << 20) or 1)
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
            if total > max_size:
                raise ParseError(label, f"file is over the {_size_text(max_size)} MiB limit "
                                        "(--max-size)")
    except OSError as exc:
        raise ParseError(label, f"cannot read: {exc.strerror or exc}") from None
    finally:
        os.close(fd)
    return parse_bytes(b"".join(chunks), label, file_name=PurePath(where).name)


def _file_kind(mode: int) -> str | None:
    if stat.S_ISREG(mode):
        return None
    for test, name in ((stat.S_ISDIR, "directory"), (stat.S_ISFIFO, "FIFO"),
                       (stat.S_ISCHR, "character device"), (stat.S_ISBLK, "block device"),
                       (stat.S_ISSOCK, "socket")):
        if test(mode):
            return name
    return "special file"
