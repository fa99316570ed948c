"""Where the catalogue's files live and how each is written: names, shards, rows, atomic writes.

See docs/catalogue.md for the layout this module names.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, NamedTuple

from newsidx.errors import CatalogueError
from newsidx.model import Article, to_json

SCHEMA_VERSION = 4
UPGRADABLE_SCHEMA = 3  # read, and upgraded in place by the next write
MANIFEST = "catalogue.json"
LOCK = ".lock"
RECORDS_DIR = "records"
INDEX_DIR = "index"
LEGACY_FILES_DIR = "files"  # schema 3's file states, now in the bookkeeping database
UNDATED = "undated"
MIN_PREFIX = 4
HEX = re.compile(r"[0-9a-f]+")
SEGMENT_NAME = re.compile(r"^(?P<shard>\d{4}-\d{2}|undated)\.(?P<generation>\d+)\.jsonl$")


def default_root() -> Path:
    """``$NEWSIDX_CATALOGUE``, else ``$XDG_DATA_HOME/newsidx``, else ``~/.local/share/newsidx``."""
    explicit = os.environ.get("NEWSIDX_CATALOGUE")
    if explicit:
        return Path(explicit).expanduser()
    xdg = os.environ.get("XDG_DATA_HOME")
    if xdg:
        return Path(xdg).expanduser() / "newsidx"
    return Path.home() / ".local" / "share" / "newsidx"


def shard_of(record: Article) -> str:
    """The shard a record lives in: its UTC publication month, or ``undated``."""
    if record.published is None:
        return UNDATED
    return f"{record.published.year:04d}-{record.published.month:02d}"


def segment_name(shard: str, generation: int) -> str:
    """A shard segment written at ``generation``, relative to the root."""
    return f"{RECORDS_DIR}/{shard}.{generation}.jsonl"


def dump_line(data: Mapping[str, Any]) -> str:
    """One JSON Lines line; UTF-8 text, but escapes file names that are not valid UTF-8."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = json.dumps(data, ensure_ascii=True, separators=(",", ":"))
    return text + "\n"


def record_line(data: Mapping[str, Any]) -> str:
    """A record's shard line: :func:`dump_line` of its JSON (:func:`newsidx.model.to_json`)
    without its null values, which a reader takes as missing (``from_json``, and jq, where
    ``.amp_url`` of a line without it is null): 2-3% of a shard's bytes."""
    return dump_line({k: v for k, v in data.items() if v is not None})


class Row(NamedTuple):
    """A record ready to store: its shard line and the keys the manifest counts it under.

    Ingest's parse workers build rows, so the writing process neither converts records
    to JSON nor back; :meth:`of` makes one from a record.
    """

    id: str
    kind: str
    line: str
    shard: str
    day: str | None
    provider_key: str | None
    provider_name: str | None
    topics: tuple[str, ...]

    @staticmethod
    def of(record: Article, data: Mapping[str, Any] | None = None,
           line: str | None = None) -> Row:
        """The row of ``record``; ``data``: its :func:`to_json`, or ``line``: its shard
        line, when the caller has it."""
        if line is None:
            line = record_line(to_json(record) if data is None else data)
        return Row(
            record.id, record.kind, line,
            shard_of(record), record.day,
            record.provider_key, record.provider.name if record.provider else None,
            record.topics,
        )


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write(path: Path, text: str | bytes | Iterable[str]) -> None:
    """Write ``text`` (or its pieces, streamed; or bytes) to ``path`` so that a crash leaves
    either the old or the new file: temp file, fsync, rename, fsync of the folder."""
    if isinstance(text, bytes):
        atomic_write_bytes(path, (text,))
    elif isinstance(text, str):
        atomic_write_bytes(path, (text.encode("utf-8"),))
    else:
        atomic_write_bytes(path, (piece.encode("utf-8") for piece in text))


def atomic_write_bytes(path: Path, chunks: Iterable[bytes]) -> int:
    """:func:`atomic_write` of pieces already encoded (a segment whose writer notes each
    line's byte offset as it goes, see :func:`newsidx.store.places.placed_lines`); returns
    the bytes written. A failure while the pieces are made removes the temp file and is
    raised as it is."""
    tmp = path.with_name(f".tmp-{os.getpid()}-{path.name}")
    try:
        with open(tmp, "wb") as handle:
            handle.writelines(chunks)
            handle.flush()
            os.fsync(handle.fileno())
            size = handle.tell()
        os.replace(tmp, path)
        fsync_dir(path.parent)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise CatalogueError(
                f"cannot write {path}: {exc.strerror or exc}; the catalogue was left as it was"
            ) from exc
        raise
    return size


def append_bytes(path: Path, start: int, chunks: Iterable[bytes]) -> int:
    """Write ``chunks`` into ``path`` from byte ``start`` (its committed length: whatever a
    killed commit left past it is cut off first), fsync, and return the new length. A
    crash leaves the committed bytes as they were; the caller's manifest says how many
    of the rest are committed."""
    try:
        with open(path, "r+b") as handle:
            if os.fstat(handle.fileno()).st_size < start:
                raise CatalogueError(f"{path} is shorter than the catalogue's manifest says; "
                                     "run newsidx check --repair")
            handle.truncate(start)
            handle.seek(start)
            handle.writelines(chunks)
            handle.flush()
            os.fsync(handle.fileno())
            return handle.tell()
    except OSError as exc:
        raise CatalogueError(
            f"cannot write {path}: {exc.strerror or exc}; the catalogue was left as it was"
        ) from exc
