"""The JSON catalogue: a manifest, month shards of records and per-file state.

The manifest ``catalogue.json`` is the single commit point. Shard and file-state files
are immutable, generation-named segments: a commit appends one segment per touched
shard holding only its changed lines (later segments win), compacts a shard only when a
record leaves it or it has too many segments, atomically replaces the manifest that
names them, then removes files no longer named by the last two manifests. A commit
therefore writes about what changed, not the whole catalogue. A reader sees either the
old or the new catalogue, never a mix, and a crash at any instant leaves the last
committed catalogue intact. Writers take an exclusive ``flock`` on ``<root>/.lock``.
See docs/catalogue.md.
"""

from __future__ import annotations

import bisect
import contextlib
import errno
import fcntl
import itertools
import json
import os
import re
from array import array
from collections.abc import Iterable, Iterator, Mapping, MutableMapping
from pathlib import Path
from typing import Any, NamedTuple, TextIO

from newsidx.errors import CatalogueError, LockedError, NotFoundError
from newsidx.filestates import FileState, FileStates
from newsidx.idtable import IdTable, IdTableError
from newsidx.model import Article, canonical_url, from_json, make_id, to_json

SCHEMA_VERSION = 3
LEGACY_SCHEMA = 2  # read, and upgraded by the next commit
MANIFEST = "catalogue.json"
LOCK = ".lock"
RECORDS_DIR = "records"
FILES_DIR = "files"
INDEX_DIR = "index"
UNDATED = "undated"
MIN_PREFIX = 4
_OWN_NAMES = frozenset({MANIFEST, LOCK, RECORDS_DIR, FILES_DIR, INDEX_DIR})
_HEX = re.compile(r"[0-9a-f]+")
_ID16 = re.compile(r"[0-9a-f]{16}")
_ID16B = re.compile(rb"[0-9a-f]{16}")
_READ_RETRIES = 5
MAX_SEGMENTS = 8  # a shard or the file state is compacted beyond this


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


class Row(NamedTuple):
    """A record ready to store: its shard line and the keys the manifest files it under.

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
    def of(record: Article) -> Row:
        return Row(
            record.id, record.kind, dump_line(to_json(record)), shard_of(record), record.day,
            record.provider_key, record.provider.name if record.provider else None,
            record.topics,
        )


def _shard_of_day(day: str) -> str:
    return day[:7]


def dump_line(data: Mapping[str, Any]) -> str:
    """One JSON Lines line; UTF-8 text, but escapes file names that are not valid UTF-8."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = json.dumps(data, ensure_ascii=True, separators=(",", ":"))
    return text + "\n"


_HEAD = re.compile(rb'\{\s*"schema_version":\s*(\d+),\s*"generation":\s*(\d+)\s*,')


def _empty_manifest() -> dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION,
        "generation": 0,
        "totals": {"records": 0, "articles": 0, "related": 0, "undated": 0, "files": 0},
        "shards": {},
        "files": [],
        "previous_files": [],
        "id_table": None,
        "providers": {},
        "topics": {},
        "dates": {},
    }


_LEGACY_KEYS = ("schema_version", "generation", "totals", "shards", "files", "previous_files",
                "providers", "topics", "dates", "undated")


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write(path: Path, text: str | bytes | Iterable[str]) -> None:
    """Write ``text`` (or its pieces, streamed; or bytes) to ``path`` so that a crash leaves
    either the old or the new file."""
    tmp = path.with_name(f".tmp-{os.getpid()}-{path.name}")
    try:
        if isinstance(text, bytes):
            with open(tmp, "wb") as raw:
                raw.write(text)
                raw.flush()
                os.fsync(raw.fileno())
        else:
            with open(tmp, "w", encoding="utf-8") as handle:
                if isinstance(text, str):
                    handle.write(text)
                else:
                    handle.writelines(text)
                handle.flush()
                os.fsync(handle.fileno())
        os.replace(tmp, path)
        _fsync_dir(path.parent)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise CatalogueError(
            f"cannot write {path}: {exc.strerror or exc}; the catalogue was left as it was"
        ) from exc


def state_file_name(generation: int, *, full: bool) -> str:
    """``files/state.G.jsonl`` holds every path's state; ``files/delta.G.jsonl`` only the
    paths changed at generation G (a removed path as ``{"path", "deleted": true}``)."""
    return f"{FILES_DIR}/{'state' if full else 'delta'}.{generation}.jsonl"


_STATE_NAME = re.compile(r"^(state|delta)\.(\d+)\.jsonl$")


def salvage_states(folder: Path) -> tuple[FileStates, str] | None:
    """The newest file state readable from ``folder`` without a manifest: the newest
    full ``state.G.jsonl`` with every later delta folded in; None when there is none."""
    found: list[tuple[int, bool, Path]] = []
    with contextlib.suppress(OSError):
        for path in folder.iterdir():
            match = _STATE_NAME.match(path.name)
            if match:
                found.append((int(match[2]), match[1] == "state", path))
    for generation, _, base in sorted((f for f in found if f[1]), reverse=True):
        deltas = sorted((g, p) for g, full, p in found if not full and g > generation)
        try:
            states = _fold_states([base, *(p for _, p in deltas)])
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            continue
        return states, str(base)
    return None


def _fold_states(paths: Iterable[Path]) -> FileStates:
    states = FileStates()
    for path in paths:
        with open(path, encoding="utf-8") as handle:
            _fold_state_lines(states, handle)
    return states


def _fold_state_lines(states: MutableMapping[str, FileState], lines: Iterable[str]) -> None:
    put = states.put if isinstance(states, FileStates) else None
    for line in lines:
        data = json.loads(line)
        if data.get("deleted"):
            states.pop(str(data["path"]), None)
        elif put is not None:  # as FileState.from_json, without making the state
            put(str(data["path"]), int(data["size"]), int(data["mtime_ns"]),
                str(data["sha256"]), data["ids"])
        else:
            path, state = FileState.from_json(data)
            states[path] = state


class Catalogue:
    """Read access to a catalogue directory; :meth:`writer` gives write access.

    Reading a missing or empty directory gives an empty catalogue and creates nothing.
    """

    def __init__(self, root: Path | str | None = None) -> None:
        self.root = Path(root) if root is not None else default_root()
        self._manifest: dict[str, Any] | None = None
        self._head: dict[str, Any] | None = None
        self._ids: IdTable | None = None

    # -- manifest -----------------------------------------------------------------

    @property
    def manifest_path(self) -> Path:
        return self.root / MANIFEST

    def reload(self) -> None:
        """Forget the cached manifest so the next access reads the latest commit."""
        self._manifest = None
        self._head = None
        self._ids = None

    def head(self) -> Mapping[str, Any]:
        """The manifest's first keys (``generation``, ``totals``, ``shards``, ``files``...),
        parsed from its first lines only, without the facets (thousands of providers,
        topics and days); anything unexpected falls back to the full read."""
        if self._manifest is not None:
            return self._manifest
        if self._head is None:
            self._head = self._read_head()
        return self._head

    def _read_head(self) -> dict[str, Any]:
        try:
            with open(self.manifest_path, "rb") as handle:
                lines = [handle.readline() for _ in range(6)]
            head = json.loads(b"".join(lines).decode("utf-8").rstrip().rstrip(",") + "}")
        except (OSError, ValueError):
            return dict(self.manifest())
        keys = ("generation", "totals", "shards", "files", "previous_files", "id_table")
        if (not isinstance(head, dict) or head.get("schema_version") != SCHEMA_VERSION
                or any(k not in head for k in keys)):
            return dict(self.manifest())
        return head

    def manifest(self) -> Mapping[str, Any]:
        """The manifest as committed: providers, topics, dates, totals, shards."""
        if self._manifest is None:
            self._manifest = self._read_manifest()
        return self._manifest

    def _read_manifest(self) -> dict[str, Any]:
        if self.root.exists() and not self.root.is_dir():
            raise CatalogueError(f"catalogue {self.root} is not a folder")
        try:
            raw = self.manifest_path.read_bytes()
        except FileNotFoundError:
            return _empty_manifest()
        except OSError as exc:
            raise CatalogueError(f"cannot read {self.manifest_path}: {exc.strerror}") from exc
        try:
            data = json.loads(raw)
        except (ValueError, UnicodeDecodeError) as exc:
            raise CatalogueError(
                f"{self.manifest_path} is corrupt (not valid JSON: {exc}); "
                "restore it or re-ingest into a new catalogue"
            ) from exc
        if not isinstance(data, dict):
            raise CatalogueError(f"{self.manifest_path} is corrupt (not a JSON object)")
        version = data.get("schema_version")
        if not isinstance(version, int):
            raise CatalogueError(f"{self.manifest_path} has no schema_version; not a catalogue")
        if version > SCHEMA_VERSION:
            raise CatalogueError(
                f"catalogue {self.root} has schema version {version}, newer than this newsidx "
                f"reads ({SCHEMA_VERSION}); upgrade newsidx"
            )
        if version < LEGACY_SCHEMA:
            raise CatalogueError(
                f"catalogue {self.root} has schema version {version}, which this newsidx "
                f"cannot read (it reads {SCHEMA_VERSION}); re-ingest into a new catalogue"
            )
        wanted = _empty_manifest() if version == SCHEMA_VERSION else _LEGACY_KEYS
        missing = [k for k in wanted if k not in data]
        if missing:
            raise CatalogueError(f"{self.manifest_path} is corrupt (missing {', '.join(missing)})")
        return data

    @property
    def generation(self) -> int:
        return int(self.head()["generation"])

    def peek_generation(self) -> int:
        """The committed generation, read from the manifest's first bytes only.

        The manifest starts with ``schema_version`` and ``generation``, so a search that only
        needs to know whether the index is current does not parse a manifest of many MB.
        Anything unexpected falls back to the full read, which gives the clear errors.
        """
        if self._manifest is not None:
            return self.generation
        try:
            with open(self.manifest_path, "rb") as handle:
                head = handle.read(128)
        except FileNotFoundError:
            return 0 if not self.root.exists() or self.root.is_dir() else self.generation
        except OSError:
            return self.generation
        found = _HEAD.match(head)
        if found is None or int(found[1]) != SCHEMA_VERSION:
            return self.generation
        return int(found[2])

    def __len__(self) -> int:
        return int(self.head()["totals"]["records"])

    def ids(self) -> Iterator[str]:
        """Every record id, in no particular order."""
        return iter(self.id_table())

    def id_table(self) -> IdTable:
        """Record id -> shard, as committed (read once; :meth:`reload` forgets it)."""
        if self._ids is None:
            self._ids = self._read_ids()
        return self._ids

    def _read_ids(self) -> IdTable:
        for _ in range(_READ_RETRIES):
            m = self.head()
            if m.get("schema_version", SCHEMA_VERSION) != SCHEMA_VERSION:
                return _legacy_ids(self.manifest())
            name = m.get("id_table")
            if not name:
                return IdTable()
            try:
                return IdTable.read(self.root / name)
            except FileNotFoundError:
                self.reload()  # two commits happened since the manifest was read
            except OSError as exc:
                raise CatalogueError(f"cannot read {self.root / name}: {exc.strerror}") from exc
            except IdTableError as exc:
                raise CatalogueError(
                    f"{self.root / name} is corrupt ({exc}); run newsidx check --repair"
                ) from exc
        raise CatalogueError(f"catalogue {self.root} kept changing while being read; retry")

    # -- records ------------------------------------------------------------------

    def _shard_lines(self, shard: str) -> Iterator[str]:
        """Live lines of one shard of the cached manifest: every segment's lines but those
        a later segment replaces. Retries once the manifest moves on under it."""
        for _ in range(_READ_RETRIES):
            entry = self.head()["shards"].get(shard)
            if entry is None:
                return
            handles = self._open_all([self.root / name for name in entry["files"]])
            if handles is None:
                self.reload()
                continue
            try:
                yield from _fold_segments(handles)
            finally:
                for handle in handles:
                    handle.close()
            return
        raise CatalogueError(f"catalogue {self.root} kept changing while being read; retry")

    @staticmethod
    def _open_all(paths: list[Path]) -> list[TextIO] | None:
        """Open every segment at once (a snapshot), or None when one is already gone."""
        handles: list[TextIO] = []
        try:
            for path in paths:
                handles.append(open(path, encoding="utf-8"))  # noqa: SIM115 (caller closes)
        except OSError as exc:
            for handle in handles:
                handle.close()
            if isinstance(exc, FileNotFoundError):
                return None
            raise CatalogueError(f"cannot read {exc.filename}: {exc.strerror}") from exc
        return handles

    def _parse_line(self, shard: str, line: str) -> Article:
        try:
            return from_json(json.loads(line))
        except (ValueError, KeyError, TypeError) as exc:
            raise CatalogueError(
                f"corrupt record in shard {shard} of {self.root}: {exc}"
            ) from exc

    def iter_records(self) -> Iterator[Article]:
        """Stream every record, one shard in memory at a time (the manifest's id lists
        are never loaded, so memory does not grow with the catalogue)."""
        for shard in sorted(self.head()["shards"]):
            for line in self._shard_lines(shard):
                yield self._parse_line(shard, line)

    def _shard_for_ids(self, ids: Iterable[str]) -> dict[str, set[str]]:
        return self.id_table().shards_for(ids)

    def get_many(self, ids: Iterable[str]) -> dict[str, Article]:
        """The records with these ids; ids that are absent are left out."""
        out: dict[str, Article] = {}
        for shard, wanted in self._shard_for_ids(ids).items():
            for line in self._shard_lines(shard):
                if _line_id(line) in wanted:
                    record = self._parse_line(shard, line)
                    out[record.id] = record
        return out

    def get(self, ref: str) -> Article:
        """A record by full id, unique id prefix (at least 4 characters) or URL."""
        ref = ref.strip()
        if "://" in ref:
            return self._get_url(ref)
        lowered = ref.lower()
        if not _HEX.fullmatch(lowered):
            raise NotFoundError(f"{ref!r} is neither a record id, an id prefix nor a URL")
        if len(lowered) < MIN_PREFIX:
            raise NotFoundError(f"id prefix {ref!r} is too short: give at least {MIN_PREFIX}")
        table = self.id_table()
        matches = [lowered] if table.get(lowered) else table.with_prefix(lowered)
        if not matches:
            raise NotFoundError(f"no record with id or id prefix {ref!r}")
        if len(matches) > 1:
            shown = ", ".join(matches[:10]) + (" ..." if len(matches) > 10 else "")
            raise NotFoundError(
                f"id prefix {ref!r} is ambiguous: {len(matches)} records match ({shown})"
            )
        return self.get_many(matches)[matches[0]]

    def _get_url(self, url: str) -> Article:
        key = make_id(url=url)
        found = self.get_many([key])
        if key in found:
            return found[key]
        target = canonical_url(url)
        for record in self.iter_records():
            for candidate in (record.url, record.web_url, record.original_url, record.amp_url):
                if candidate and canonical_url(candidate) == target:
                    return record
        raise NotFoundError(f"no record with URL {url}")

    # -- file state ---------------------------------------------------------------

    def files(self) -> FileStates:
        """Source path -> the state ingest recorded for it (file-state segments folded in
        order; a ``deleted`` line removes a path)."""
        for _ in range(_READ_RETRIES):
            names = self.manifest()["files"] or []
            handles = self._open_all([self.root / name for name in names])
            if handles is None:
                self.reload()
                continue
            states = FileStates()
            try:
                for handle, name in zip(handles, names, strict=True):
                    try:
                        _fold_state_lines(states, handle)
                    except (ValueError, KeyError, TypeError, AttributeError) as exc:
                        raise CatalogueError(f"{self.root / name} is corrupt: {exc}") from exc
            finally:
                for handle in handles:
                    handle.close()
            return states
        raise CatalogueError(f"catalogue {self.root} kept changing while being read; retry")

    # -- consistency --------------------------------------------------------------

    def check(self) -> list[str]:
        """Problems found by reading everything back; an empty list means consistent."""
        problems: list[str] = []
        m = self.manifest()
        seen: dict[str, set[str]] = {}
        counts = _Counts.empty()
        for shard, entry in sorted(m["shards"].items()):
            paths = [self.root / name for name in entry["files"]]
            gone = [p for p in paths if not p.is_file()]
            if gone:
                problems.append(f"shard {shard}: {gone[0]} is missing")
                continue
            handles = self._open_all(paths)
            if handles is None:
                problems.append(f"shard {shard}: a segment vanished while being checked")
                continue
            ids: set[str] = set()
            try:
                for number, line in enumerate(_fold_segments(handles), 1):
                    try:
                        record = from_json(json.loads(line))
                    except (ValueError, KeyError, TypeError) as exc:
                        problems.append(f"shard {shard}, record {number}: {exc}")
                        continue
                    if shard_of(record) != shard:
                        problems.append(f"shard {shard}: record {record.id} in wrong shard")
                    ids.add(record.id)
                    counts.add(Row.of(record))
            finally:
                for handle in handles:
                    handle.close()
            if len(ids) != entry["count"]:
                problems.append(
                    f"shard {shard}: {len(ids)} records, manifest says {entry['count']}"
                )
            seen[shard] = ids
        total = sum(len(ids) for ids in seen.values())
        try:
            table = self.id_table()
        except CatalogueError as exc:
            problems.append(str(exc))
        else:
            listed = table.shards_for(set().union(*seen.values()) if seen else set())
            for shard, ids in seen.items():
                if listed.get(shard, set()) != ids:
                    problems.append(f"shard {shard}: ids differ from the id table")
            if len(table) != total:
                problems.append(f"the id table lists {len(table)} ids, shards hold {total}")
        totals = m["totals"]
        found = {"records": total, "undated": counts.undated,
                 "articles": counts.kinds["article"], "related": counts.kinds["related"]}
        if any(totals.get(k) != v for k, v in found.items()):
            problems.append(f"totals {totals} do not match the shards")
        for facet, entries in counts.entries():
            stated = {k: (v.get("count"), v.get("articles")) for k, v in m[facet].items()
                      if v.get("count")}
            actual = {k: (v["count"], v.get("articles")) for k, v in entries}
            if stated != actual:
                wrong = sorted(set(stated.items()) ^ set(actual.items()))[0][0]
                problems.append(f"{facet}[{wrong!r}]: counts differ from the shards")
        try:
            states = self.files()
        except CatalogueError as exc:
            problems.append(str(exc))
        else:
            if len(states) != totals["files"]:
                problems.append(f"{len(states)} file states, totals say {totals['files']}")
        return problems

    # -- writing ------------------------------------------------------------------

    @contextlib.contextmanager
    def writer(self, *, wait: bool = False) -> Iterator[CatalogueWriter]:
        """Take the writer lock (or fail with LockedError unless ``wait``) for a block."""
        self._prepare_root()
        try:
            fd = os.open(self.root / LOCK, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except OSError as exc:
            raise CatalogueError(
                f"cannot open {self.root / LOCK} for writing: {exc.strerror or exc}"
            ) from exc
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
            except OSError as exc:
                if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                    raise
                holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "unknown"
                raise LockedError(
                    f"catalogue {self.root} is being written by another newsidx process "
                    f"(pid {holder}); use --wait to wait"
                ) from None
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
            self.reload()
            yield CatalogueWriter(self, fd)
        finally:
            os.close(fd)
            self.reload()

    def _prepare_root(self) -> None:
        try:
            if self.root.exists():
                if not self.root.is_dir():
                    raise CatalogueError(f"catalogue {self.root} is not a folder")
                if not (self.root / MANIFEST).exists():
                    foreign = sorted(
                        n for n in os.listdir(self.root)
                        if n not in _OWN_NAMES and not n.startswith(".tmp-")
                    )
                    if foreign:
                        raise CatalogueError(
                            f"{self.root} is not empty and holds no {MANIFEST} "
                            f"(found {foreign[0]!r}); choose an empty or new folder"
                        )
            for sub in (self.root / RECORDS_DIR, self.root / FILES_DIR):
                sub.mkdir(parents=True, exist_ok=True)
        except PermissionError as exc:
            raise CatalogueError(f"cannot write catalogue {self.root}: permission denied") from exc


def _fold_segments(handles: list[TextIO], *, tombstones: bool = False) -> Iterator[str]:
    """The lines of segments read in order, each id's last line only; a record whose last
    line is a tombstone is left out (or its tombstone yielded, with ``tombstones``)."""
    if len(handles) == 1:
        for line in handles[0]:
            if tombstones or not is_tombstone(line):
                yield line
        return
    last: dict[str | None, int] = {}
    for number, handle in enumerate(handles):
        for line in handle:
            last[_line_id(line)] = number
    last.pop(None, None)
    for number, handle in enumerate(handles):
        handle.seek(0)
        for line in handle:
            if last.get(_line_id(line), number) == number and (
                tombstones or not is_tombstone(line)
            ):
                yield line


_TOMBSTONE_END = ',"deleted":true}\n'


def tombstone(rid: str) -> str:
    """The shard line that says record ``rid`` left the shard after earlier segments."""
    return dump_line({"id": rid, "deleted": True})


def is_tombstone(line: str) -> bool:
    return line.endswith(_TOMBSTONE_END) and line == tombstone(_line_id(line) or "")


def _line_id(line: str) -> str | None:
    if line.startswith('{"id":"'):
        return line[7 : line.index('"', 7)]
    try:
        value = json.loads(line).get("id")
    except ValueError:
        return None
    return value if isinstance(value, str) else None


_FACET_KEYS = ("providers", "topics", "dates", "undated")


class CatalogueWriter:
    """Commits changes under the writer lock; each commit is atomic.

    The writer reads the manifest and the id table once and keeps them in memory across
    commits: being the only writer, it knows what it committed.
    """

    def __init__(self, catalogue: Catalogue, lock_fd: int) -> None:
        self.catalogue = catalogue
        self.lock_fd = lock_fd
        self._states: FileStates | None = None  # as last committed by this writer
        self._head: dict[str, Any] | None = None  # the manifest but its facet keys
        self._facets: _Counts | None = None
        self._ids: IdTable | None = None
        self._ids_changed = False  # the id table needs writing (an upgraded schema 2)
        self._tables: dict[str, tuple[array[int], array[int]] | None] = {}
        self._counts: dict[str, int] = {}  # lines per segment written or counted this run

    @property
    def root(self) -> Path:
        return self.catalogue.root

    def files(self) -> FileStates:
        """The committed file states, as the writer's own map: each commit applies its
        ``files`` to it. A caller may change it ahead of a commit only in the same way
        that commit will (ingest does, so the run holds one map, not two)."""
        if self._states is None:
            self._states = self.catalogue.files()
        return self._states

    def _load(self) -> tuple[dict[str, Any], _Counts]:
        if self._head is None or self._facets is None:
            m = self.catalogue.manifest()
            self._facets = _Counts(m)
            self._ids = self.catalogue.id_table()
            self._ids_changed = m["schema_version"] != SCHEMA_VERSION
            self._head = {k: v for k, v in m.items() if k not in _FACET_KEYS}
            self._head.setdefault("id_table", None)
            self._head["shards"] = dict(m["shards"])
            self._head["totals"] = dict(m["totals"])
            self.catalogue.reload()
        return self._head, self._facets

    def _table(self) -> IdTable:
        self._load()
        assert self._ids is not None
        return self._ids

    @property
    def generation(self) -> int:
        return int(self._load()[0]["generation"])

    def record_count(self) -> int:
        return int(self._load()[0]["totals"]["records"])

    def _fold(self, shard: str, names: list[str], *, tombstones: bool) -> Iterator[str]:
        """The folded lines of some of ``shard``'s segments, as this writer committed them
        (no one else removes them)."""
        handles = Catalogue._open_all([self.root / name for name in names])
        if handles is None:
            raise CatalogueError(f"a segment of shard {shard} of {self.root} is missing; "
                                 "run newsidx check --repair")
        try:
            yield from _fold_segments(handles, tombstones=tombstones)
        finally:
            for handle in handles:
                handle.close()

    def get_many(self, ids: Iterable[str]) -> dict[str, Article]:
        """Like :meth:`Catalogue.get_many`, from what this writer committed."""
        return {
            rid: self.catalogue._parse_line(shard_of_line, line)
            for rid, (shard_of_line, line) in self._located(ids).items()
        }

    def get_lines(self, ids: Iterable[str]) -> dict[str, str]:
        """The stored shard line of each of ``ids`` that is present."""
        return {rid: line for rid, (_, line) in self._located(ids).items()}

    def _located(self, ids: Iterable[str]) -> dict[str, tuple[str, str]]:
        out: dict[str, tuple[str, str]] = {}
        for shard, wanted in self._table().shards_for(ids).items():
            for rid, line in self._find(shard, wanted).items():
                out[rid] = (shard, line)
        return out

    def _find(self, shard: str, ids: set[str]) -> dict[str, str]:
        """The current line of each of ``ids`` held in ``shard``: newest segment first,
        through each segment's id -> offset table, so a lookup reads only those lines."""
        entry = self._load()[0]["shards"].get(shard)
        found: dict[str, str] = {}
        if entry is None:
            return found
        remaining = set(ids)
        for name in reversed(entry["files"]):
            if not remaining:
                break
            table = self._offsets(name)
            if table is None:  # ids that are not 64-bit hex: read the segment through
                with open(self.root / name, encoding="utf-8") as handle:
                    for line in handle:
                        rid = _line_id(line)
                        if rid in remaining:
                            found[rid] = line
                    remaining.difference_update(found)
                continue
            keys, offsets = table
            with open(self.root / name, "rb") as handle:
                for rid in sorted(remaining):
                    if not _ID16.fullmatch(rid):
                        continue
                    key = int(rid, 16)
                    at = bisect.bisect_left(keys, key)
                    if at < len(keys) and keys[at] == key:
                        handle.seek(offsets[at])
                        found[rid] = handle.readline().decode("utf-8")
            remaining.difference_update(found)
        return {rid: line for rid, line in found.items() if not is_tombstone(line)}

    def _offsets(self, name: str) -> tuple[array[int], array[int]] | None:
        """A segment's ids (as 64-bit integers, sorted) and their line offsets, read once
        per run; None when some id is not 16 hex digits."""
        if name in self._tables:
            return self._tables[name]
        pairs: list[tuple[int, int]] = []
        table: tuple[array[int], array[int]] | None = None
        try:
            with open(self.root / name, "rb") as handle:
                offset = 0
                for raw in handle:
                    head = raw[:24]
                    if not (head.startswith(b'{"id":"') and _ID16B.fullmatch(head[7:23])
                            and head[23:24] == b'"'):
                        raise ValueError(name)
                    pairs.append((int(head[7:23], 16), offset))
                    offset += len(raw)
        except ValueError:
            pass
        else:
            pairs.sort()
            table = (array("Q", (k for k, _ in pairs)), array("Q", (o for _, o in pairs)))
        self._tables[name] = table
        return table

    def commit(
        self,
        *,
        upserts: Iterable[Article | Row],
        deletes: Iterable[str],
        files: Mapping[str, FileState | None],
        compact: bool = False,
    ) -> int:
        """Store ``upserts`` (records or ready rows), drop ``deletes``, set (or drop, for
        None) file states; ``compact`` rewrites every shard and the file state as one
        file each.

        Returns the new generation. A shard gains one segment with its upserted lines; it
        is compacted into one file when a record leaves it, when it has more than
        ``MAX_SEGMENTS`` segments or when most of its lines are replaced ones.
        """
        try:
            return self._commit(upserts, deletes, files, compact)
        except BaseException:
            self._head = self._facets = self._states = self._ids = None  # re-read all
            self._tables, self._counts = {}, {}
            self.catalogue.reload()
            raise

    def _commit(self, upserts: Iterable[Article | Row], deletes: Iterable[str],
                files: Mapping[str, FileState | None], compact: bool) -> int:
        old, facets = self._load()
        m: dict[str, Any] = dict(old)
        m["shards"] = dict(old["shards"])
        m["totals"] = dict(old["totals"])
        generation = int(m["generation"]) + 1
        new = {r.id: r for r in (u if isinstance(u, Row) else Row.of(u) for u in upserts)}
        gone = set(deletes) - new.keys()
        table = self._table()
        old_shards = table.shards_for(new.keys() | gone)
        by_shard: dict[str, dict[str, Row]] = {}
        for row in new.values():
            by_shard.setdefault(row.shard, {})[row.id] = row
            table.set(row.id, row.shard)
        for rid in gone:
            table.discard(rid)
        ids_changed = bool(new or old_shards) or self._ids_changed
        del new
        referenced_before = _referenced(old)
        touched = old_shards.keys() | by_shard.keys()
        if compact:
            touched |= {k for k, v in old["shards"].items() if len(v["files"]) > 1}
        for shard in sorted(touched):
            self._write_shard(shard, generation, m, old_shards.get(shard, set()),
                              by_shard.pop(shard, {}), facets, compact)

        if files or (compact and len(m["files"] or ()) > 1):
            self._write_states(generation, m, files, compact)

        if ids_changed:
            name = f"{RECORDS_DIR}/ids.{generation}.bin"
            atomic_write(self.root / name, table.to_bytes())
            m["id_table"] = name
            self._ids_changed = False
        facets.totals(m["totals"])
        m["generation"] = generation
        m["previous_files"] = sorted(referenced_before)
        atomic_write(self.catalogue.manifest_path, _manifest_chunks(m, facets))
        self._head = m
        self.catalogue.reload()
        self._collect_garbage(_referenced(m) | referenced_before)
        live = _referenced(m)
        self._tables = {k: v for k, v in self._tables.items() if k in live}
        self._counts = {k: v for k, v in self._counts.items() if k in live}
        return generation

    def _write_shard(self, shard: str, generation: int, m: dict[str, Any], present: set[str],
                     adds: Mapping[str, Row], facets: _Counts, force: bool) -> None:
        """Write one segment for ``shard``: ``present`` are its stored ids that change,
        ``adds`` its new lines. The segment also takes in the trailing segments that are
        no larger than it (see :func:`_merge_count`), so a shard keeps a few segments of
        geometrically growing size and a run of n commits writes O(n log n) bytes."""
        entry = m["shards"].get(shard)
        segments: list[str] = list(entry["files"]) if entry else []
        count = int(entry["count"]) if entry else 0
        lines = int(entry["lines"]) if entry else 0
        leaving = present - adds.keys()
        live = count - len(present) + len(adds)
        cat = self.catalogue
        for line in self._find(shard, present).values():
            facets.remove(Row.of(cat._parse_line(shard, line)))
        for row in adds.values():  # after the old copies' facets went
            facets.add(row)
        if live == 0:
            m["shards"].pop(shard, None)
            return
        added = [adds[k].line for k in sorted(adds)]
        dead = lines + len(adds) - live
        k = _merge_count(
            [self._size(name) for name in segments], sum(map(len, added)),
            force or dead > live,
        )
        merged, kept = segments[len(segments) - k:], segments[:len(segments) - k]
        replaced = present | adds.keys()
        counted = [0]

        def old_lines() -> Iterator[str]:
            """The merged segments' lines but the replaced ones (tombstones kept while older
            segments remain for them to hide lines in)."""
            for line in self._fold(shard, merged, tombstones=bool(kept)):
                rid = _line_id(line)
                if rid is None:
                    raise CatalogueError(f"corrupt record in shard {shard} of {self.root}")
                if rid not in replaced:
                    counted[0] += 1
                    yield line

        gone = [tombstone(rid) for rid in sorted(leaving)] if kept else []
        name = f"{RECORDS_DIR}/{shard}.{generation}.jsonl"
        atomic_write(self.root / name, itertools.chain(old_lines(), added, gone))
        written = counted[0] + len(added) + len(gone)
        m["shards"][shard] = {
            "files": [*kept, name], "count": live,
            "lines": (written if not kept else
                      lines - sum(self._line_count(n) for n in merged) + written),
        }
        self._counts[name] = written

    def _size(self, name: str) -> int:
        try:
            return os.stat(self.root / name).st_size
        except OSError:
            return 0

    def _line_count(self, name: str) -> int:
        """Lines in a segment (counted once per run)."""
        if name not in self._counts:
            with open(self.root / name, "rb") as handle:
                self._counts[name] = sum(1 for _ in handle)
        return self._counts[name]

    def _write_states(self, generation: int, m: dict[str, Any],
                      files: Mapping[str, FileState | None], force: bool) -> None:
        """Write the changed file states as one delta segment that takes in the trailing
        deltas no larger than it, or everything as one full state file when the merge
        reaches the base (or there is none yet)."""
        states = self.files()
        for path, state in files.items():
            if state is None:
                states.pop(path, None)
            else:
                states[path] = state
        segments: list[str] = list(m["files"] or [])
        changes = {
            p: dump_line(state.to_json(p) if state is not None else {"path": p, "deleted": True})
            for p, state in files.items()
        }
        k = _merge_count([self._size(name) for name in segments],
                         sum(map(len, changes.values())), force or not segments)
        if k >= len(segments):
            name = state_file_name(generation, full=True)
            atomic_write(self.root / name,
                         (dump_line(states[p].to_json(p)) for p in states))
            m["files"] = [name]
        else:
            folded: dict[str, str] = {}
            for old in segments[len(segments) - k:]:
                with open(self.root / old, encoding="utf-8") as handle:
                    for line in handle:
                        folded[json.loads(line)["path"]] = line
            folded.update(changes)
            name = state_file_name(generation, full=False)
            atomic_write(self.root / name, [folded[p] for p in sorted(folded)])
            m["files"] = [*segments[:len(segments) - k], name]
        m["totals"]["files"] = len(states)

    def _collect_garbage(self, keep: set[str]) -> None:
        """Remove shard and state files named by neither of the last two manifests."""
        for sub in (RECORDS_DIR, FILES_DIR):
            folder = self.root / sub
            for name in os.listdir(folder):
                if f"{sub}/{name}" not in keep:
                    with contextlib.suppress(FileNotFoundError):
                        os.unlink(folder / name)
        for name in os.listdir(self.root):
            if name.startswith(".tmp-"):
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(self.root / name)


def _merge_count(sizes: list[int], new: int, full: bool) -> int:
    """How many trailing segments (of ``sizes`` bytes, oldest first) a new segment of
    ``new`` bytes takes in: each one no larger than what is written so far, and enough
    to keep at most ``MAX_SEGMENTS``; all of them when ``full``. Like a binary counter,
    equal commits merge pairwise: about log2(commits) segments remain and each byte is
    rewritten about log2(commits) times, instead of every shard being rewritten every
    few commits."""
    if full:
        return len(sizes)
    k, acc = 0, new
    while k < len(sizes) and (sizes[-1 - k] <= acc or len(sizes) - k >= MAX_SEGMENTS):
        acc += sizes[-1 - k]
        k += 1
    return k


def _referenced(m: Mapping[str, Any]) -> set[str]:
    names = {name for entry in m["shards"].values() for name in entry["files"]}
    names.update(m["files"] or ())
    if m.get("id_table"):
        names.add(m["id_table"])
    return names


class _Counts:
    """The manifest's providers/topics/dates counts and record kinds, kept by the writer
    across commits and updated from the rows it adds and removes."""

    def __init__(self, m: Mapping[str, Any]) -> None:
        self.providers: dict[str, list[Any]] = {
            k: [v.get("name"), int(v["count"]), int(v.get("articles", 0))]
            for k, v in m["providers"].items()
        }
        self.topics = {k: int(v["count"]) for k, v in m["topics"].items()}
        self.dates = {k: int(v["count"]) for k, v in m["dates"].items()}
        totals = m["totals"]
        self.undated = int(totals.get("undated", 0))
        self.kinds = {"article": int(totals["articles"]), "related": int(totals["related"])}

    @classmethod
    def empty(cls) -> _Counts:
        return cls(_empty_manifest())

    def _apply(self, record: Row, add: bool) -> None:
        delta = 1 if add else -1
        key = record.provider_key
        if key is not None:
            entry = self.providers.setdefault(key, [record.provider_name, 0, 0])
            if entry[0] is None:
                entry[0] = record.provider_name
            entry[1] += delta
            entry[2] += delta if record.kind == "article" else 0
        for topic in set(record.topics):
            self.topics[topic] = self.topics.get(topic, 0) + delta
        day = record.day
        if day:
            self.dates[day] = self.dates.get(day, 0) + delta
        else:
            self.undated += delta
        self.kinds[record.kind] += delta

    def add(self, record: Row) -> None:
        self._apply(record, True)

    def remove(self, record: Row) -> None:
        self._apply(record, False)

    def totals(self, totals: dict[str, Any]) -> None:
        totals["records"] = sum(self.dates.values()) + self.undated
        totals["undated"] = self.undated
        totals["articles"] = self.kinds["article"]
        totals["related"] = self.kinds["related"]

    def entries(self) -> Iterator[tuple[str, Iterator[tuple[str, dict[str, Any]]]]]:
        """Each facet key with its entries (sorted, empty ones left out)."""
        yield "providers", (
            (k, {"name": name, "count": count, "articles": articles})
            for k, (name, count, articles) in sorted(self.providers.items()) if count
        )
        yield "topics", _keyed(self.topics)
        yield "dates", _keyed(self.dates)


def _keyed(facet: Mapping[str, int]) -> Iterator[tuple[str, dict[str, Any]]]:
    return ((k, {"count": n}) for k, n in sorted(facet.items()) if n)


def _legacy_ids(m: Mapping[str, Any]) -> IdTable:
    """The id table of a schema 2 manifest, from its dates/undated id lists."""
    table = IdTable()
    for day, entry in m["dates"].items():
        shard = _shard_of_day(day)
        for rid in entry["ids"]:
            table.set(rid, shard)
    for rid in m["undated"]:
        table.set(rid, UNDATED)
    return table


def _manifest_chunks(head: Mapping[str, Any], facets: _Counts) -> Iterator[str]:
    """The manifest as JSON text, piece by piece: ``schema_version`` and ``generation``
    first (for :meth:`Catalogue.peek_generation`), one line per facet entry."""
    def dump(value: Any) -> str:
        return json.dumps(value, ensure_ascii=False)

    yield f'{{"schema_version": {SCHEMA_VERSION}, "generation": {int(head["generation"])},\n'
    for key in ("totals", "shards", "files", "previous_files", "id_table"):
        yield f" {dump(key)}: {dump(head[key])},\n"
    end = ""
    for key, entries in facets.entries():
        yield f"{end} {dump(key)}: {{"
        sep = "\n"
        for name, entry in entries:
            yield f"{sep}  {dump(name)}: {dump(entry)}"
            sep = ",\n"
        yield "\n }"
        end = ",\n"
    yield "\n}\n"
