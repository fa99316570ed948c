"""Source kinds that hold many articles in one file, told apart by content.

:func:`sniff_file` is the one place that decides whether a file is a **dataset** (a
JSON array of objects, or JSON Lines, optionally gzip-compressed), **newsidx's own
export** (JSON Lines of records with ``id``, ``kind`` and ``sources``), a **feed** (an
XML document whose root is ``<rss>``, ``<feed>`` or ``<rdf:RDF>``), or neither: then it is
one article file for :mod:`newsidx.parse` (front matter, a JSON object, text).
:func:`split_exports` picks out the export files named on the command line.
Only the first bytes are read (more only while the first line of a ``{`` file is
incomplete, up to the parser's line limit).
"""

from __future__ import annotations

import json
import os
import re
import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

Kind = Literal["jsonl", "array", "export", "feed"]

_HEAD = 64 * 1024
_GZIP = b"\x1f\x8b"
_SPACE = b" \t\r\n"
# the XML prolog, comments, processing instructions and a DOCTYPE, then the root element
_FEED_ROOT = re.compile(
    rb"(?:\s|<\?[^>]{0,2000}\?>|<!--.{0,20000}?-->|<!DOCTYPE[^\[>]{0,2000}"
    rb"(?:\[.{0,60000}?\])?\s*>)*<(?:rss|feed|rdf:RDF)[\s>]", re.S | re.I)


def sniff_file(path: str | os.PathLike[str], limit: int = 1024 * 1024) -> tuple[Kind, bool] | None:
    """The file's many-article kind and whether it is gzip-compressed, or None.

    Raises OSError when the file cannot be read."""
    with open(path, "rb") as handle:
        head = handle.read(_HEAD)
        gz = head.startswith(_GZIP)
        if gz:
            head = _gunzip_head(head)
        kind = sniff(head)
        if kind is None and not gz and _open_first_line(head) and len(head) == _HEAD:
            head += handle.read(limit)
            kind = sniff(head)
    if kind is None:
        return None
    return kind, gz


def sniff_data(data: bytes) -> tuple[Kind, bool] | None:
    """:func:`sniff_file` for a file already read whole."""
    gz = data.startswith(_GZIP)
    kind = sniff(_gunzip_head(data[:_HEAD]) if gz else data)
    return None if kind is None else (kind, gz)


def _gunzip_head(head: bytes) -> bytes:
    try:
        return zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(head, _HEAD)
    except zlib.error:
        return b""


def _open_first_line(head: bytes) -> bool:
    return head.lstrip(_SPACE).startswith(b"{") and b"\n" not in head.lstrip(_SPACE)


def sniff(head: bytes) -> Kind | None:
    """The kind of a file that starts with ``head`` (its first bytes), or None."""
    if head[:1] == b"<" or head.lstrip(b"\xef\xbb\xbf" + _SPACE)[:1] == b"<":
        return "feed" if _FEED_ROOT.match(head.lstrip(b"\xef\xbb\xbf")) else None
    if head[:1] not in (b"[", b"{", b"\xef") and head.lstrip(_SPACE)[:1] not in (b"[", b"{"):
        return None
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:]
    text = head.lstrip(_SPACE)
    if text.startswith(b"["):
        rest = text[1:].lstrip(_SPACE)
        return "array" if rest[:1] in (b"{", b"]") else None
    if not text.startswith(b"{"):
        return None
    first, newline, rest = text.partition(b"\n")
    if not newline:
        return None
    try:
        data = json.loads(first)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    if _is_record(data):
        return "export"
    following = next((line for line in rest.split(b"\n") if line.strip()), b"")
    return "jsonl" if following.lstrip(_SPACE).startswith(b"{") else None


def _is_record(data: dict[str, object]) -> bool:
    """A line of ``newsidx export --format jsonl``: its id, kind and sources."""
    return (isinstance(data.get("id"), str) and data.get("kind") in ("article", "related")
            and isinstance(data.get("sources"), list) and "extra" in data)


def split_exports(paths: Sequence[Path]) -> tuple[tuple[Path, ...], tuple[Path, ...]]:
    """``(exports, others)``: the paths that are files of ``newsidx export --format
    jsonl`` (read back as they are, ids and sources kept) and the rest, in order."""
    exports: list[Path] = []
    others: list[Path] = []
    for path in paths:
        try:
            found = sniff_file(path) if path.is_file() else None
        except OSError:
            found = None  # the ingest reports why it cannot read it
        (exports if found == ("export", False) else others).append(path)
    return tuple(exports), tuple(others)
