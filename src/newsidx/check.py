"""``newsidx check``: prove the catalogue and its index agree, and repair what can be.

The catalogue is checked by reading every shard back (:meth:`Catalogue.check`); the
index by comparing its generation, its ids and every stored record with the catalogue.
``repair=True`` takes the writer lock, then rebuilds the index from the catalogue, and,
when the catalogue itself is damaged (manifest truncated or gone, a shard missing),
rebuilds the catalogue by re-parsing the source files its file state records into a
scratch catalogue that is swapped in with one atomic manifest write. Records whose
source is gone or no longer parses are salvaged from any readable shard file; what
cannot be found anywhere is listed, never silently dropped.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from newsidx.errors import CatalogueError
from newsidx.model import Article, from_json
from newsidx.progress import OnStep, counted, step
from newsidx.store import MANIFEST, RECORDS_DIR, Catalogue, CatalogueWriter, FileState
from newsidx.store.layout import LEGACY_FILES_DIR
from newsidx.store.tails import cut_tails

REPAIR_PREFIX = ".newsidx-repair-"
_GENERATION = re.compile(r"\.(\d+)\.jsonl$")


@dataclass
class CheckReport:
    """What ``check`` found and did; ``exit_code`` is 0 when nothing remains wrong."""

    catalogue: str
    generation: int = 0
    records: int = 0
    index_generation: int | None = None
    problems: list[str] = field(default_factory=list)
    repaired: list[str] = field(default_factory=list)
    unrecoverable: list[str] = field(default_factory=list)
    remaining: list[str] = field(default_factory=list)
    repair: bool = False

    @property
    def ok(self) -> bool:
        return not self.remaining and not self.unrecoverable

    @property
    def exit_code(self) -> int:
        return 0 if self.ok else 1

    def to_json(self) -> dict[str, Any]:
        return {
            "newsidx_format": 1,
            "catalogue": self.catalogue,
            "ok": self.ok,
            "generation": self.generation,
            "records": self.records,
            "index_generation": self.index_generation,
            "problems": self.problems,
            "repaired": self.repaired,
            "unrecoverable": self.unrecoverable,
            "remaining": self.remaining,
        }


def check(catalogue: Catalogue, *, repair: bool = False, wait: bool = False,
          progress: OnStep | None = None) -> CheckReport:
    """Check ``catalogue`` and its index; with ``repair``, fix what can be fixed.
    ``progress`` hears each phase (:mod:`newsidx.progress`).

    Raises LockedError when ``repair`` and another process writes (unless ``wait``).
    """
    from newsidx.freshness import index_for

    report = CheckReport(str(catalogue.root), repair=repair)
    for name in index_for(catalogue).remove_orphans():
        report.repaired.append(f"removed index/{name}, left by a crashed index rebuild")
    with contextlib.suppress(CatalogueError):
        report.repaired.extend(cut_tails(catalogue))
    catalogue.reload()
    step(progress, "reading the catalogue back")
    damage = catalogue_problems(catalogue)
    report.problems.extend(damage)
    if not damage:
        report.problems.extend(index_problems(catalogue, progress))
        report.problems.extend(_place_problems(catalogue))
    if not repair or not report.problems:
        report.remaining = list(report.problems)
        _fill_totals(report, catalogue, damaged=bool(damage))
        return report
    with catalogue.writer(wait=wait) as writer:
        catalogue.reload()
        damage = catalogue_problems(catalogue)
        if damage:
            step(progress, "rebuilding the catalogue from its sources")
            _rebuild_catalogue(catalogue, writer, report)
            catalogue.reload()
            step(progress, "reading the catalogue back")
            damage = catalogue_problems(catalogue)
        if not damage:
            if _place_problems(catalogue):
                writer.refill_places()
                catalogue.reload()
                report.repaired.append("recorded where each record's line is again")
            _rebuild_index(catalogue, progress)
            report.repaired.append(
                f"rebuilt the search index from the catalogue ({len(catalogue)} records)"
            )
        report.remaining = damage + (index_problems(catalogue, progress)
                                     + _place_problems(catalogue) if not damage else [])
    _fill_totals(report, catalogue, damaged=bool(damage))
    return report


def _fill_totals(report: CheckReport, catalogue: Catalogue, *, damaged: bool) -> None:
    from newsidx.freshness import index_for

    report.index_generation = index_for(catalogue).generation()
    if not damaged:
        report.generation = catalogue.generation
        report.records = len(catalogue)


# -- finding problems ---------------------------------------------------------------


def catalogue_problems(catalogue: Catalogue) -> list[str]:
    """Problems of the catalogue itself: an unreadable manifest, missing or bad shards."""
    root = catalogue.root
    if root.is_dir() and not (root / MANIFEST).exists() and _leftover_data(root):
        return [f"{root / MANIFEST} is missing but {RECORDS_DIR}/ holds data"]
    try:
        return catalogue.check()
    except (CatalogueError, OSError, ValueError, KeyError, TypeError) as exc:
        return [_one_line(exc)]


def _leftover_data(root: Path) -> bool:
    return any(
        (root / sub).is_dir() and any((root / sub).iterdir())
        for sub in (RECORDS_DIR, LEGACY_FILES_DIR)
    )


def _one_line(exc: BaseException) -> str:
    text = str(exc) if isinstance(exc, CatalogueError) else f"{type(exc).__name__}: {exc}"
    return " ".join(text.split())


def index_problems(catalogue: Catalogue, progress: OnStep | None = None) -> list[str]:
    """Differences between a consistent catalogue and its index: generation, ids, content."""
    from newsidx.freshness import index_for

    index = index_for(catalogue)
    generation = catalogue.generation
    have = index.generation()
    if have is None:
        return [] if generation == 0 else ["the search index is missing or unreadable"]
    if have != generation:
        return [f"the search index reflects generation {have}, the catalogue is at {generation}"]
    total = len(catalogue)
    try:
        stored = _index_digests(index, progress, total)
    except Exception as exc:  # any failure to read the index is a finding, not a crash
        return [f"the search index cannot be read: {_one_line(exc)}"]
    problems: list[str] = []
    from newsidx.indexdoc import record_digest

    records = counted(catalogue.iter_records(), progress, "comparing with the catalogue",
                      total=total)
    wanted = {r.id: record_digest(r) for r in records}
    duplicates = sorted(i for i, digests in stored.items() if len(digests) > 1)
    missing = sorted(wanted.keys() - stored.keys())
    extra = sorted(stored.keys() - wanted.keys())
    differ = sorted(
        i for i in wanted.keys() & stored.keys() if stored[i] != [wanted[i]]
        and i not in duplicates
    )
    for what, ids in (("missing from the index", missing), ("in the index only", extra),
                      ("indexed more than once", duplicates),
                      ("different in the index", differ)):
        if ids:
            problems.append(f"{len(ids)} record(s) {what}: {_sample(ids)}")
    return problems


def _place_problems(catalogue: Catalogue) -> list[str]:
    """Record places in the bookkeeping that do not match the shards (reads then scan)."""
    from newsidx.store.places import stale_count

    stale = stale_count(catalogue)
    return [f"{stale} record place(s) in {catalogue.root / 'state.db'} do not match the "
            "shards"] if stale else []


def _sample(ids: list[str]) -> str:
    return ", ".join(ids[:5]) + (f" and {len(ids) - 5} more" if len(ids) > 5 else "")


def _index_digests(index: Any, progress: OnStep | None = None,
                   total: int | None = None) -> dict[str, list[bytes]]:
    """Record id -> the digest of every indexed copy of its line."""
    found: dict[str, list[bytes]] = {}
    for record_id, value in counted(index.iter_digests(), progress, "reading the index",
                                    total=total):
        found.setdefault(record_id, []).append(value)
    return found


# -- repairing ----------------------------------------------------------------------


def _rebuild_index(catalogue: Catalogue, progress: OnStep | None = None) -> None:
    from newsidx.freshness import index_for

    records = counted(catalogue.iter_records(), progress, "rebuilding the index",
                      total=len(catalogue), then="writing the index")
    index_for(catalogue).rebuild(records, catalogue.generation)


def _generation_of(name: str) -> int:
    found = _GENERATION.search(name)
    return int(found[1]) if found else -1


def _newest_first(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    names = [p for p in folder.iterdir() if p.is_file() and _GENERATION.search(p.name)]
    return sorted(names, key=lambda p: (-_generation_of(p.name), p.name))


def recorded_files(catalogue: Catalogue) -> tuple[Mapping[str, FileState] | None, str]:
    """The recorded source files (path -> state) and where they came from, or None: the
    bookkeeping database, else the ``sources`` of every readable shard line."""
    with contextlib.suppress(CatalogueError, OSError, ValueError, KeyError, TypeError):
        states = catalogue.files()
        if states:
            return states, "the bookkeeping database"
    produced: dict[str, list[str]] = {}
    for path in _newest_first(catalogue.root / RECORDS_DIR):
        with contextlib.suppress(OSError, UnicodeDecodeError):
            for line in _lines(path):
                try:
                    data = json.loads(line)
                    rid, sources = data["id"], data["sources"]
                except (ValueError, KeyError, TypeError):
                    continue
                for source in sources if isinstance(sources, list) else ():
                    ids = produced.setdefault(str(source), [])
                    if rid not in ids:
                        ids.append(rid)
    if not produced:
        return None, ""
    states = {p: FileState(-1, -1, "", tuple(ids)) for p, ids in produced.items()}
    return states, "the records' sources"


def _by_anchor(root: Path, paths: list[str]) -> dict[str | None, list[str]]:
    """``paths`` grouped by the ingest root each was read under, as its newest record
    tells (its first source and ``folder``); None for a file no record places."""
    anchors: dict[str, str] = {}
    wanted = set(paths)
    for shard in _newest_first(root / RECORDS_DIR):
        with contextlib.suppress(OSError, UnicodeDecodeError):
            for line in _lines(shard):
                try:
                    data = json.loads(line)
                    source, folder = str(data["sources"][0]), data["folder"]
                except (ValueError, KeyError, TypeError, IndexError):
                    continue
                if source not in wanted or source in anchors or not isinstance(folder, str):
                    continue
                where = os.path.dirname(source)
                tail = os.sep + folder.replace("/", os.sep)
                if not folder:
                    anchors[source] = where
                elif where.endswith(tail):
                    anchors[source] = where[:-len(tail)]
    groups: dict[str | None, list[str]] = {}
    for path in paths:
        groups.setdefault(anchors.get(path), []).append(path)
    return groups


def salvage(root: Path, ids: set[str]) -> dict[str, Article]:
    """Records with these ids from any readable shard line, the newest generation first."""
    found: dict[str, Article] = {}
    for path in _newest_first(root / RECORDS_DIR):
        if len(found) == len(ids):
            break
        with contextlib.suppress(OSError, UnicodeDecodeError):
            for line in _lines(path):
                try:
                    data = json.loads(line)
                    rid = data.get("id") if isinstance(data, dict) else None
                    if rid in ids and rid not in found:
                        found[rid] = from_json(data)
                except (ValueError, KeyError, TypeError, AttributeError):
                    continue
    return found


def _lines(path: Path) -> Iterator[str]:
    with open(path, encoding="utf-8", errors="surrogateescape") as handle:
        yield from handle


def _rebuild_catalogue(catalogue: Catalogue, writer: CatalogueWriter,
                       report: CheckReport) -> None:
    """Re-ingest the recorded sources into a scratch catalogue, salvage the rest, swap."""
    from newsidx.ingest import ingest

    root = catalogue.root
    states, origin = recorded_files(catalogue)
    if states is None:
        report.unrecoverable.append(
            "the sources are unknown (no bookkeeping database and no readable record "
            "names them): re-ingest your folders "
            f"(newsidx ingest DIR) into a new catalogue; {root} was left as it is"
        )
        return
    for leftover in root.glob(REPAIR_PREFIX + "*"):
        shutil.rmtree(leftover, ignore_errors=True)
    scratch = Path(tempfile.mkdtemp(prefix=REPAIR_PREFIX, dir=root))
    try:
        rebuilt = Catalogue(scratch)
        present = [p for p in sorted(states) if os.path.lexists(p)]
        failed: set[str] = set()
        for anchor, paths in _by_anchor(root, present).items():
            # each file read against the root it was ingested under: same folder, same id
            result = ingest(paths, rebuilt, batch_size=len(paths) + 1,
                            anchors=None if anchor is None else [anchor])
            failed |= {p for p, _ in result.failed}
        lost_paths = sorted(set(states) - set(present) | failed)
        _restore_lost(rebuilt, states, lost_paths, root, report)
        with rebuilt.writer() as scratch_writer:
            scratch_writer.commit(upserts=(), deletes=(), files={}, compact=True)
        generation = writer.adopt(rebuilt)
        read = len(present) - len(failed)
        report.repaired.append(
            f"rebuilt the catalogue at generation {generation} from {read} source file(s) "
            f"listed in {origin} ({len(rebuilt)} records)"
        )
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _restore_lost(rebuilt: Catalogue, states: Mapping[str, FileState], lost_paths: list[str],
                  root: Path, report: CheckReport) -> None:
    """Keep records of sources that are gone or unreadable, from any surviving shard."""
    if not lost_paths:
        return
    have = set(rebuilt.ids())
    wanted = {i for p in lost_paths for i in states[p].ids} - have
    found = salvage(root, wanted)
    with rebuilt.writer() as writer:
        writer.commit(upserts=found.values(), deletes=(),
                      files={p: states[p] for p in lost_paths})
    if found:
        report.repaired.append(
            f"kept {len(found)} record(s) of {len(lost_paths)} source file(s) that are gone "
            "or unreadable, from the old shards"
        )
    for path in lost_paths:
        missing = [i for i in states[path].ids if i in wanted and i not in found]
        if missing:
            report.unrecoverable.append(
                f"{path}: source is gone or unreadable and {len(missing)} of its record(s) "
                f"are in no readable shard: {_sample(missing)}"
            )


def text_lines(report: CheckReport) -> Iterable[str]:
    """The report as lines for a person: findings, repairs, losses, then a verdict."""
    for problem in report.problems:
        yield f"problem: {problem}"
    for done in report.repaired:
        yield f"repaired: {done}"
    for lost in report.unrecoverable:
        yield f"not recovered: {lost}"
    if report.repair:
        for left in report.remaining:
            yield f"still wrong: {left}"
    if report.ok:
        yield (f"ok: {report.records} records at generation {report.generation}; "
               "catalogue consistent, index current")
    else:
        count = len(report.remaining) + len(report.unrecoverable)
        hint = "" if report.repair else "; run `newsidx check --repair`"
        yield f"{count} problem(s) remain{hint}"
