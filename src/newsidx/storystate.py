"""The story tables as one commit's grouping reads and writes them, held in memory.

Grouping (:mod:`newsidx.stories`) matches a commit's new records one by one, each against
the stored stories and the ones the commit has grouped so far. Asking SQLite for every
record cost about a dozen statements a record; instead :meth:`StoryState.load` reads what
the commit's records can reach -- the stories their URL keys, LSH bands and rarest terms
(within their day windows) lead to -- in a few joins with temporary tables, the matching
runs in memory, and :meth:`StoryState.flush` writes the commit's changes with
``executemany``, still inside the writer's bookkeeping transaction.
"""

from __future__ import annotations

import array
import json
import sqlite3
from collections.abc import Iterable, Sequence
from typing import Any

UNDATED = -1  # story_terms.day of an undated centre: found from any date


class Story:
    """One story's row: its first day, provider, profile, size and centre."""

    __slots__ = ("centre", "day", "provider", "size", "terms", "weighted")

    def __init__(self, day: int | None, provider: str, terms: dict[str, float], size: int,
                 centre: dict[str, float]) -> None:
        self.day, self.provider, self.terms, self.size, self.centre = (
            day, provider, terms, size, centre)
        # profile and centre idf-weighted, with their squared norms (newsidx.stories)
        self.weighted: tuple[tuple[dict[str, float], float],
                             tuple[dict[str, float], float]] | None = None


class StoryState:
    """What one commit's grouping can reach of the story tables, and what it adds."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db
        self.stories: dict[str, Story] = {}
        self.dirty: set[str] = set()
        self.urls: dict[int, str] = {}  # URL key -> the story of the record it names
        self.bands: dict[int, list[tuple[str, bytes, str]]] = {}  # band -> (id, sig, story)
        # term -> day -> stories: a window is a handful of look-ups, however many stories
        # a common term names
        self.terms: dict[str, dict[int, set[str]]] = {}
        self.new_terms: list[tuple[str, int, str]] = []
        self.members: list[tuple[str, str]] = []
        self.new_urls: list[tuple[int, str]] = []
        self.sigs: list[tuple[str, bytes]] = []
        self.new_bands: list[tuple[int, str]] = []

    def _temp(self, name: str, columns: str, rows: Iterable[tuple[Any, ...]]) -> None:
        db = self.db
        db.execute(f"CREATE TEMP TABLE IF NOT EXISTS {name} ({columns})")  # constant names
        db.execute(f"DELETE FROM temp.{name}")
        marks = ",".join("?" * len(columns.split(",")))
        db.executemany(f"INSERT INTO temp.{name} VALUES ({marks})", rows)

    def load(self, urls: Iterable[int], bands: Iterable[int],
             terms: Iterable[tuple[str, int | None]], stories: Iterable[str],
             window: int) -> None:
        """Read the rows the commit's records can reach: stories by URL key, signatures
        by band, stories by (term, day) within ``window`` days, and the rows of those
        stories and of ``stories`` (the records' own ids, a deleted record's story)."""
        db = self.db
        self._temp("story_qk", "k", ((k,) for k in set(urls)))
        for key, story in db.execute(
                "SELECT u.key, m.story FROM temp.story_qk q JOIN story_urls u ON u.key = q.k "
                "JOIN story_members m ON m.id = u.id"):
            self.urls[int(key)] = str(story)
        self._temp("story_qk", "k", ((b,) for b in set(bands)))
        for band, rid, sig, story in db.execute(
                "SELECT b.band, b.id, s.sig, m.story FROM temp.story_qk q "
                "JOIN story_bands b ON b.band = q.k JOIN story_sigs s ON s.id = b.id "
                "JOIN story_members m ON m.id = b.id"):
            self.bands.setdefault(int(band), []).append((str(rid), bytes(sig), str(story)))
        self._temp("story_qt", "t, d", set(terms))
        for term, day, story in db.execute(
                "SELECT DISTINCT s.term, s.day, s.story FROM temp.story_qt q "
                "JOIN story_terms s ON s.term = q.t WHERE q.d IS NULL OR s.day = ? "
                "OR s.day BETWEEN q.d - ? AND q.d + ?", (UNDATED, window, window)):
            self.terms.setdefault(str(term), {}).setdefault(int(day), set()).add(str(story))
        want = set(stories) | set(self.urls.values())
        want.update(story for rows in self.bands.values() for _, _, story in rows)
        want.update(story for days in self.terms.values() for rows in days.values()
                    for story in rows)
        self.fetch(want)

    def fetch(self, stories: Iterable[str]) -> None:
        """Read the rows of ``stories`` not yet held (those that exist)."""
        need = [s for s in set(stories) if s not in self.stories]
        if not need:
            return
        self._temp("story_qs", "s", ((s,) for s in need))
        for story, day, provider, terms, size, centre in self.db.execute(
                "SELECT s.story, s.day, s.provider, s.terms, s.size, s.centre "
                "FROM temp.story_qs q JOIN stories s ON s.story = q.s"):
            self.stories[str(story)] = Story(
                day, str(provider), json.loads(terms), int(size), json.loads(centre))

    def near(self, term: str, day: int | None, window: int) -> set[str]:
        """The stories ``term`` finds from ``day``: those whose first day is within
        ``window`` days of it, and undated ones (any, for an undated record)."""
        days = self.terms.get(term)
        if not days:
            return set()
        if day is None:
            return set().union(*days.values())
        found = set(days.get(UNDATED, ()))
        for d in range(day - window, day + window + 1):
            found.update(days.get(d, ()))
        return found

    def add(self, rid: str, story: Story, name: str, rare: Sequence[str], urls: Sequence[int],
            sig: Sequence[int], bands: Sequence[int]) -> None:
        """Record ``rid`` as a member of story ``name`` (held in :attr:`stories`)."""
        self.stories[name] = story
        self.dirty.add(name)
        story.size += 1
        day = story.day if story.day is not None else UNDATED
        for term in rare:
            rows = self.terms.setdefault(term, {}).setdefault(day, set())
            if name not in rows:
                rows.add(name)
                self.new_terms.append((term, day, name))
        self.members.append((rid, name))
        for key in urls:
            if key not in self.urls:  # the first record with a URL keeps it
                self.urls[key] = name
                self.new_urls.append((key, rid))
        if sig:
            blob = array.array("I", sig).tobytes()
            self.sigs.append((rid, blob))
            for band in bands:
                self.bands.setdefault(band, []).append((rid, blob, name))
                self.new_bands.append((band, rid))

    def flush(self) -> None:
        """Write the commit's changes (inside the writer's open transaction)."""
        db = self.db
        db.executemany("INSERT OR REPLACE INTO stories VALUES (?, ?, ?, ?, ?, ?)", (
            (name, s.day, s.provider, json.dumps(s.terms, ensure_ascii=False), s.size,
             json.dumps(s.centre, ensure_ascii=False))
            for name in sorted(self.dirty) for s in (self.stories[name],)))
        db.executemany("INSERT OR IGNORE INTO story_terms VALUES (?, ?, ?)", self.new_terms)
        db.executemany("INSERT OR REPLACE INTO story_members VALUES (?, ?)", self.members)
        db.executemany("INSERT OR IGNORE INTO story_urls VALUES (?, ?)", self.new_urls)
        db.executemany("INSERT OR REPLACE INTO story_sigs VALUES (?, ?)", self.sigs)
        db.executemany("INSERT OR IGNORE INTO story_bands VALUES (?, ?)", self.new_bands)
        self.dirty.clear()
        for rows in (self.new_terms, self.members, self.new_urls, self.sigs, self.new_bands):
            rows.clear()
