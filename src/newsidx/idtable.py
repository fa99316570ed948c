"""Record id -> shard: the catalogue's lookup table, an open-addressing hash table on disk.

A record's shard follows from its date, but finding a stored record by id (``show``, and
every commit that updates a record) needs the reverse. Schema 2 of the catalogue listed
every id in the manifest's facets: ~240 bytes per record in the writer's memory and a
manifest of ~70 MB rewritten on every commit at a million records. This table takes
~20 bytes per record, is read with one read and written with one write.

File layout (little-endian): one JSON header line padded with spaces to a multiple of 8
bytes (``capacity``, ``count``, ``shards`` and ``other``), then ``capacity`` uint64 keys
(a 16-hex id as a number; 0 marks an empty slot), then ``capacity`` uint32 values (an
index into ``shards``; ``REMOVED`` marks a deleted entry that later probes step over).
Ids that are not 16 hex digits, and the id ``0000000000000000``, are kept in the
header's ``other`` object instead.
"""

from __future__ import annotations

import json
import re
import sys
from array import array
from collections.abc import Iterable, Iterator
from pathlib import Path

FORMAT = "newsidx-ids"
VERSION = 1
REMOVED = 0xFFFFFFFF
_MUL = 0x9E3779B97F4A7C15
_MASK64 = (1 << 64) - 1
_MIN_BITS = 10
_ID16 = re.compile(r"[0-9a-f]{16}")

if sys.byteorder != "little":  # pragma: no cover - every platform newsidx runs on
    raise ImportError("newsidx's id table is written little-endian")


class IdTableError(ValueError):
    """The file is not a readable id table."""


def _key(rid: str) -> int:
    """The table key of ``rid``, or 0 when it belongs in ``other``."""
    return int(rid, 16) if len(rid) == 16 and _ID16.fullmatch(rid) else 0


class IdTable:
    """Id -> shard name, held in two flat arrays (see the module doc)."""

    def __init__(self, bits: int = _MIN_BITS) -> None:
        self._bits = bits
        self._keys = array("Q", bytes(8 << bits))
        self._values = array("I", bytes(4 << bits))
        self._used = 0  # slots holding a key, live or removed
        self._live = 0
        self._shards: list[str] = []
        self._shard_no: dict[str, int] = {}
        self._other: dict[str, str] = {}

    # -- lookups --------------------------------------------------------------------

    def _probe(self, key: int) -> int:
        """The slot holding ``key``, else the empty slot that ends its probe sequence."""
        keys, mask = self._keys, (1 << self._bits) - 1
        i = ((key * _MUL) & _MASK64) >> (64 - self._bits)
        while True:
            k = keys[i]
            if k == key or k == 0:
                return i
            i = (i + 1) & mask

    def get(self, rid: str) -> str | None:
        """The shard holding ``rid``; None when no record has that id."""
        key = _key(rid)
        if key == 0:
            return self._other.get(rid)
        i = self._probe(key)
        if self._keys[i] == 0:
            return None
        return self._shard(self._values[i])

    def _shard(self, value: int) -> str | None:
        if value == REMOVED:
            return None
        if value >= len(self._shards):
            raise IdTableError(f"an entry names shard {value} of {len(self._shards)}")
        return self._shards[value]

    def __contains__(self, rid: object) -> bool:
        return isinstance(rid, str) and self.get(rid) is not None

    def __len__(self) -> int:
        return self._live + len(self._other)

    def __iter__(self) -> Iterator[str]:
        """Every id, in no particular order."""
        values = self._values
        for i, key in enumerate(self._keys):
            if key and values[i] != REMOVED:
                yield f"{key:016x}"
        yield from self._other

    def items(self) -> Iterator[tuple[str, str]]:
        """Every (id, shard) pair, in no particular order."""
        values = self._values
        for i, key in enumerate(self._keys):
            if key:
                shard = self._shard(values[i])
                if shard is not None:
                    yield f"{key:016x}", shard
        yield from self._other.items()

    def shards_for(self, ids: Iterable[str]) -> dict[str, set[str]]:
        """Shard -> those of ``ids`` it holds; absent ids are left out."""
        found: dict[str, set[str]] = {}
        for rid in ids:
            shard = self.get(rid)
            if shard is not None:
                found.setdefault(shard, set()).add(rid)
        return found

    def with_prefix(self, prefix: str) -> list[str]:
        """The ids that start with ``prefix`` (lower-case hex), sorted."""
        out = [rid for rid in self._other if rid.startswith(prefix)]
        if len(prefix) <= 16 and _ID16.fullmatch(prefix.ljust(16, "0")):
            shift = 4 * (16 - len(prefix))
            want = int(prefix or "0", 16)
            values = self._values
            out += [f"{key:016x}" for i, key in enumerate(self._keys)
                    if key and key >> shift == want and values[i] != REMOVED]
        return sorted(set(out))

    # -- changes --------------------------------------------------------------------

    def set(self, rid: str, shard: str) -> None:
        """Record that ``rid`` is held in ``shard``."""
        number = self._shard_no.get(shard)
        if number is None:
            number = self._shard_no[shard] = len(self._shards)
            self._shards.append(shard)
        key = _key(rid)
        if key == 0:
            self._other[rid] = shard
            return
        i = self._probe(key)
        if self._keys[i] == 0:
            self._keys[i] = key
            self._used += 1
            self._live += 1
        elif self._values[i] == REMOVED:
            self._live += 1
        self._values[i] = number
        if 10 * self._used > 7 << self._bits:
            self._resize()

    def discard(self, rid: str) -> None:
        """Forget ``rid``; nothing happens when it is absent."""
        key = _key(rid)
        if key == 0:
            self._other.pop(rid, None)
            return
        i = self._probe(key)
        if self._keys[i] != 0 and self._values[i] != REMOVED:
            self._values[i] = REMOVED
            self._live -= 1

    def _resize(self) -> None:
        """Rehash into a table about twice the live entries, dropping removed ones."""
        bits = _MIN_BITS
        while (1 << bits) < 2 * self._live + 2:
            bits += 1
        keys, values = self._keys, self._values
        self._bits = bits
        self._keys = array("Q", bytes(8 << bits))
        self._values = array("I", bytes(4 << bits))
        new_keys, new_values = self._keys, self._values
        for i, key in enumerate(keys):
            value = values[i]
            if key and value != REMOVED:
                j = self._probe(key)
                new_keys[j] = key
                new_values[j] = value
        self._used = self._live

    # -- the file -------------------------------------------------------------------

    def to_bytes(self) -> bytes:
        """The table as its file (see the module doc); removed entries are dropped
        first when they are a quarter of the slots in use."""
        if 4 * (self._used - self._live) > self._used:
            self._resize()
        header = json.dumps({
            "format": FORMAT, "version": VERSION, "capacity": 1 << self._bits,
            "count": len(self), "shards": self._shards, "other": self._other,
        }, ensure_ascii=True, separators=(",", ":"))
        pad = -(len(header) + 1) % 8
        return (header + " " * pad + "\n").encode("ascii") + self._keys.tobytes() \
            + self._values.tobytes()

    @classmethod
    def from_bytes(cls, data: bytes) -> IdTable:
        """The table a :meth:`to_bytes` wrote; IdTableError when ``data`` is not one."""
        end = data.find(b"\n")
        try:
            header = json.loads(data[:end])
            if header.get("format") != FORMAT:
                raise IdTableError("not a newsidx id table")
            if header.get("version") != VERSION:
                raise IdTableError(f"id table version {header.get('version')} is not {VERSION}")
            capacity = int(header["capacity"])
            shards = [str(s) for s in header["shards"]]
            other = {str(k): str(v) for k, v in header["other"].items()}
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            if isinstance(exc, IdTableError):
                raise
            raise IdTableError(f"unreadable header: {exc}") from exc
        bits = capacity.bit_length() - 1
        start = end + 1
        if end < 0 or capacity != 1 << bits or bits < _MIN_BITS or start % 8 \
                or len(data) != start + 12 * capacity:
            raise IdTableError("size does not match its header")
        table = cls(bits)
        table._keys = array("Q")
        table._keys.frombytes(data[start:start + 8 * capacity])
        table._values = array("I")
        table._values.frombytes(data[start + 8 * capacity:])
        table._shards = shards
        table._shard_no = {s: n for n, s in enumerate(shards)}
        table._other = other
        table._used = capacity - table._keys.count(0)
        table._live = table._used - table._values.count(REMOVED)
        if len(table) != header.get("count"):
            raise IdTableError("count does not match its header")
        return table

    @classmethod
    def read(cls, path: Path) -> IdTable:
        """The table in ``path``; OSError or IdTableError when it cannot be read."""
        return cls.from_bytes(path.read_bytes())

    @classmethod
    def of(cls, pairs: Iterable[tuple[str, str]]) -> IdTable:
        """A table of (id, shard) pairs."""
        table = cls()
        for rid, shard in pairs:
            table.set(rid, shard)
        return table
