"""The batch of one commit: what it changes, and how records from several files resolve.

A :class:`Batch` collects the file states and parsed records of the files read since
the last commit; :meth:`Batch.resolve` turns them, with the stored records they touch,
into the commit's upserts and deletes: one record per id, a full article winning over a
related entry, ``sources`` and ``parents`` collecting every contributor, and files that
share a URL merged into one record (:mod:`newsidx.merging`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from newsidx.indexdoc import NOT_INDEXED, content_digest
from newsidx.merging import combine
from newsidx.model import from_json, to_json
from newsidx.prepared import Prepared
from newsidx.store import CatalogueWriter, FileState, record_line
from newsidx.store.bookkeeping import Bookkeeping


def _rank(kind: str, source: str) -> tuple[int, str]:
    return (0 if kind == "article" else 1, source)


def _parents(
    rid: str, contributors: Iterable[str], produced: Mapping[str, tuple[str, ...]]
) -> tuple[str, ...]:
    found = {
        produced[p][0] for p in contributors
        if produced[p] and produced[p][0] != rid and rid in produced[p][1:]
    }
    return tuple(sorted(found))


def _citing(state: FileState) -> tuple[str, ...]:
    return () if state.many else state.ids


class Batch:
    """The changes one commit makes, derived from parsed files and stored records.

    The file states it sets overlay the committed ones in the bookkeeping database
    until the commit writes them there."""

    def __init__(self, writer: CatalogueWriter) -> None:
        self.writer = writer
        self.book: Bookkeeping = writer.book
        self.contributions: dict[str, dict[str, Prepared]] = {}
        self.replaced: set[str] = set()
        self.affected: set[str] = set()
        self.file_changes: dict[str, FileState | None] = {}
        self.produced: dict[str, tuple[str, ...]] = {}
        self.held = 0  # characters of shard lines and index text the batch holds
        self.merged = 0  # written records that more than one file gave
        # id -> line of the updates whose index document stays as it is (only their
        # sources or parents changed: indexdoc.NOT_INDEXED), set by resolve
        self.unindexed: dict[str, str] = {}
        self.added: set[str] = set()  # ids new to the catalogue, set by resolve
        # a streamed dataset's items given so far, before its state is (newsidx.streamed)
        self.pending: dict[str, set[str]] = {}
        self.joined: list[tuple[str, str]] = []  # files that joined another's record, why

    def set_file(
        self, path: str, state: FileState | None, records: Sequence[Prepared] | None
    ) -> None:
        """Set a file's new state; ``records`` replace its contributions (None: keep them,
        unless ``state`` is None too, which removes the file and its contributions)."""
        old = self.state(path)
        if (records is not None or state is None) and old is not None:
            self.affected.update(old.ids)
            self.replaced.add(path)
        if records is not None:
            self.replaced.add(path)
            self.contributions[path] = {p.id: p for p in records}
            self.held += sum(2 * len(p.row.line) for p in records)
            self.affected.update(self.contributions[path])
        self.file_changes[path] = state

    def add_items(self, path: str, records: Sequence[Prepared]) -> None:
        """Some items of a streamed dataset: contributed by ``path`` before its state is
        set (:meth:`finish_items`), so that they can be committed in this batch."""
        self.replaced.add(path)
        self.contributions.setdefault(path, {}).update((p.id, p) for p in records)
        self.pending.setdefault(path, set()).update(p.id for p in records)
        self.affected.update(p.id for p in records)
        self.held += sum(2 * len(p.row.line) for p in records)

    def finish_items(self, path: str, state: FileState, dropped: Iterable[str]) -> None:
        """Set a streamed dataset's state once all its items are given; ``dropped``: the
        ids it held before that it may no longer give (those given in earlier batches of
        this run are settled and left alone)."""
        self.replaced.add(path)
        self.affected.update(dropped)
        self.pending.pop(path, None)
        self.file_changes[path] = state

    def state(self, path: str) -> FileState | None:
        """The file's state as of this batch: its change here, else the committed one."""
        if path in self.file_changes:
            return self.file_changes[path]
        return self.book.file(path)

    def _paths_of(self, ids: Iterable[str]) -> dict[str, list[str]]:
        """Record id -> the files that produce it once this batch is committed."""
        ids = list(ids)
        changed: dict[str, set[str]] = {}
        for path, state in self.file_changes.items():
            for rid in state.ids if state is not None else ():
                changed.setdefault(rid, set()).add(path)
        for path, pending in self.pending.items():
            for rid in pending:
                changed.setdefault(rid, set()).add(path)
        committed = self.book.paths_of(ids)
        # a partial change (a streamed file's mid-file commit) adds ids, replaces none
        replacing = {p for p, s in self.file_changes.items() if s is None or not s.partial}
        return {
            rid: sorted({p for p in committed.get(rid, ()) if p not in replacing}
                        | changed.get(rid, set()))
            for rid in ids
        }

    def _produced(self, paths: set[str], states: Mapping[str, FileState | None]
                  ) -> dict[str, tuple[str, ...]]:
        """The ids each of ``paths`` produces once this batch is committed (``states``:
        theirs, from :meth:`_states`), article first and then the records it cites; none
        for a file of many articles, in which no record cites another (so none gets a
        parent there)."""
        out = {p: _citing(s) for p, s in states.items() if s is not None}
        out.update((p, ()) for p in self.pending if p in paths and p not in out)
        return out

    def resolve(self, reparse: Callable[[list[str]], Mapping[str, Sequence[Prepared] | None]]
                ) -> tuple[list[Prepared], list[str], int, int]:
        """Upserts, deletes, added count, updated count for this batch."""
        contributors = self._paths_of(self.affected)
        stored = {rid: _Stored(line) for rid, line in self.writer.get_lines(self.affected).items()}
        # A record several files share by URL keeps each article copy's headline and
        # topics (newsidx.merging), so each of those copies is read, none taken as stored.
        every = {p for paths in contributors.values() for p in paths}
        states = self._states(every)  # once, for the headlines and the parents below
        shared = {rid: _article_paths(rid, paths, states) for rid, paths in contributors.items()
                  if len(paths) > 1 or (rid in stored and stored[rid].shared)}
        tried: set[str] = set()
        while True:
            need: set[str] = set()
            for rid, paths in contributors.items():
                old = stored.get(rid)
                origin = old.origin if old else None
                if paths and (origin not in paths or origin in self.replaced):
                    need.update(p for p in paths if p not in self.contributions and p not in tried)
                need.update(p for p in shared.get(rid, ())
                            if p not in self.contributions and p not in tried)
            if not need:
                break
            tried |= need
            for path, records in reparse(sorted(need)).items():
                if records is not None:
                    self.contributions[path] = {p.id: p for p in records}

        self.produced = self._produced(every, states)
        upserts: list[Prepared] = []
        deletes: list[str] = []
        added = updated = 0
        for rid, paths in contributors.items():
            old = stored.get(rid)
            if not paths:
                if old is not None:
                    deletes.append(rid)
                continue
            if old is None and len(paths) == 1:
                ready = self.contributions.get(paths[0], {}).get(rid)
                if ready is not None:
                    # One new record from one file: the worker built it with that file as
                    # its only source and the file's article as its parent, as merging would.
                    added += 1
                    self.added.add(rid)
                    upserts.append(ready)
                    continue
            result = self._merge(rid, paths, old)
            if result is None:
                continue
            merged, data = result
            if old is None:
                added += 1
                self.added.add(rid)
                upserts.append(merged)
            elif old.line != merged.row.line:
                updated += 1
                upserts.append(merged)
                if old.data.get("story") == data.get("story") and \
                        content_digest(old.data) == merged.content:
                    self.unindexed[rid] = merged.row.line
            else:
                continue
            self.merged += len(paths) > 1
            if rid in shared and len(shared[rid]) > 1:
                self._note_joined(sorted(shared[rid]), json.loads(merged.row.line))
        return upserts, deletes, added, updated

    def _note_joined(self, copies: list[str], data: Mapping[str, Any]) -> None:
        """Name the files of this batch that joined a record another file gives (same
        URL); when all of them are new, the first is the record the others joined."""
        joined = [p for p in copies if p in self.replaced]
        if len(joined) == len(copies):
            joined = joined[1:]
        origin = str(data["sources"][0])
        for path in joined:
            other = origin if origin != path else next(p for p in copies if p != path)
            self.joined.append((path, f"same URL as {other} ({data.get('url')}): merged into "
                                      "one record, its headline kept as an alt title"))

    def _states(self, paths: set[str]) -> dict[str, FileState | None]:
        """:meth:`state` of each of ``paths``, the committed ones read in one query."""
        out: dict[str, FileState | None] = {
            p: self.file_changes[p] for p in paths if p in self.file_changes}
        out.update(self.book.files(paths - out.keys()))
        return out

    def _merge(self, rid: str, paths: list[str], old: _Stored | None
               ) -> tuple[Prepared, dict[str, Any]] | None:
        """The record ``rid`` from its contributors and stored copy, per the dedup rules,
        and its JSON object.

        Works on the JSON objects: a record's index values do not depend on its sources
        or parents, so a winner whose content equals a parsed copy reuses that copy's
        row and values instead of being converted and analysed again."""
        candidates: list[tuple[tuple[int, str], dict[str, Any], Prepared | None]] = []
        for path in paths:
            ready = self.contributions.get(path, {}).get(rid)
            if ready is not None:
                data = json.loads(ready.row.line)
                candidates.append((_rank(data["kind"], path), data, ready))
        if old is not None and old.origin is not None:
            origin = old.origin
            if origin in paths and origin not in self.replaced:
                candidates.append((_rank(old.data["kind"], origin), old.data, None))
            elif not candidates:  # no readable contributor left
                candidates.append(((2, origin), old.data, None))
        if not candidates:
            return None
        (_, origin), winner, ready = min(candidates, key=lambda c: c[0])
        data = dict(winner)
        if winner.get("kind") == "article" and (len(candidates) > 1 or "alt_titles" in winner):
            parsed = [c[1] for c in candidates if c[2] is not None and c[1] is not winner]
            data = combine(winner, parsed)
            if data != winner:
                ready = None
        kept = False  # the stored copy's content, so its index document stays as it is
        if ready is None:
            content = _content(data)
            ready = next((c[2] for c in candidates
                          if c[2] is not None and _content(c[1]) == content), None)
            kept = ready is None and old is not None and content == _content(old.data)
        data["sources"] = [origin, *sorted(p for p in paths if p != origin)]
        data["parents"] = list(_parents(rid, paths, self.produced))
        if old is not None and old.data.get("story"):  # kept for good (newsidx.stories), so
            data["story"] = old.data["story"]  # an unchanged record compares equal
        if ready is not None:  # its content is the record's but for NOT_INDEXED
            story = data.get("story")
            return ready._replace(row=ready.row._replace(line=record_line(data)),
                                  story_id=story if isinstance(story, str) else None), data
        record = from_json(data)
        if kept:  # written as a parse writes it: a line of an earlier version may lack keys
            normal = to_json(record)
            return Prepared.restored(record, normal), normal
        return Prepared.of(record), data


def _article_paths(rid: str, paths: Iterable[str], states: Mapping[str, FileState | None]
                   ) -> list[str]:
    """The files among ``paths`` that give ``rid`` as an article, not as a citation."""
    out = []
    for path in paths:
        state = states.get(path)
        if state is not None and (state.many or state.ids[:1] == (rid,)):
            out.append(path)
    return out


class _Stored:
    """A stored record's line, parsed on first use."""

    __slots__ = ("_data", "line")

    def __init__(self, line: str) -> None:
        self.line = line
        self._data: dict[str, Any] | None = None

    @property
    def data(self) -> dict[str, Any]:
        if self._data is None:
            self._data = json.loads(self.line)
        return self._data

    @property
    def origin(self) -> str | None:
        sources = self.data.get("sources")
        return str(sources[0]) if sources else None

    @property
    def shared(self) -> bool:
        """Stored as the merge of several article copies (they must all be read again)."""
        return "alt_titles" in self.data or (
            self.data.get("kind") == "article" and len(self.data.get("sources") or ()) > 1)


def _content(data: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k not in NOT_INDEXED}

