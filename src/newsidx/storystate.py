"""The story tables as a run's grouping reads and writes them, held in memory by day.

Grouping (:mod:`newsidx.stories`) matches a commit's new records one by one against the
stories and signatures of the days they can reach. Those are read from ``state.db`` a
*day* at a time, the first time a record of the run needs the day, and kept for the rest
of the run (across commits): the stories that started on it (profile, centre and lookup
terms, from which the term index is built in memory) and the MinHash signatures of its
records (whose LSH bands are computed in memory: no band or term rows are stored). Only
URL keys, which join copies whatever their dates, are looked up per commit, in one join.
:meth:`StoryState.flush` writes a commit's changes with one ``executemany`` a table,
inside the writer's bookkeeping transaction; what is held stays equal to what is stored,
so the next commit of the run reads nothing again. :attr:`StoryState.held` counts the
records and stories held, so that the caller can drop the state when it grows too big.
"""

from __future__ import annotations

import array
import json
import sqlite3
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

UNDATED = -1  # the day of an undated story or signature: found from any date
KEYS_KEPT = 120  # a story's lookup terms stored, its first members' first


class Story:
    """One story's row: its first day, provider, profile, size, centre, lookup terms."""

    __slots__ = ("centre", "day", "keys", "provider", "size", "terms", "weighted")

    def __init__(self, day: int | None, provider: str, terms: dict[str, float], size: int,
                 centre: dict[str, float], keys: list[str]) -> None:
        self.day, self.provider, self.terms, self.size, self.centre, self.keys = (
            day, provider, terms, size, centre, keys)
        # (docs, profile, centre) idf-weighted for an archive of docs records, each with its
        # squared norm (newsidx.stories)
        self.weighted: tuple[int, tuple[dict[str, float], float],
                             tuple[dict[str, float], float]] | None = None


def _day(day: int | None) -> int:
    return UNDATED if day is None else day


class StoryState:
    """What a run's grouping has read of the story tables, and what its commit adds."""

    def __init__(self, db: sqlite3.Connection, window: int, copy_window: int,
                 bands: Any) -> None:
        self.db = db
        self.window, self.copy_window = window, copy_window
        self._bands_of = bands  # signature -> its LSH band keys (newsidx.stories)
        self.stories: dict[str, Story] = {}
        self.dirty: set[str] = set()
        self.urls: dict[int, str] = {}  # URL key -> story, for this commit's keys
        # band -> the id of the held record in it, or the ids when several (most bands
        # hold one record: no list each); id -> (signature, story)
        self.bands: dict[int, str | list[str]] = {}
        self.sigs: dict[str, tuple[array.array[int], str]] = {}
        # term -> day -> stories: a window is a handful of look-ups
        self.terms: dict[str, dict[int, set[str]]] = {}
        self.story_days: set[int] = set()
        self.sig_days: set[int] = set()
        self.held = 0
        self.members: list[tuple[str, str]] = []
        self.new_urls: list[tuple[int, str]] = []
        self.new_sigs: list[tuple[str, int, str, bytes]] = []

    # -- reading ----------------------------------------------------------------------

    def load(self, urls: Iterable[int], days: Iterable[int | None]) -> None:
        """Read what a commit's records can reach: the stories of their URL keys, and
        every day within the windows of their days not read yet."""
        self.urls = {}
        keys = list(set(urls))
        if keys:
            self._temp("story_qk", ((k,) for k in keys))
            self.urls.update((int(k), str(s)) for k, s in self.db.execute(
                "SELECT u.key, m.story FROM temp.story_qk q JOIN story_urls u ON u.key = q.k "
                "JOIN story_members m ON m.id = u.id"))
        story_days: set[int] = {UNDATED}
        sig_days: set[int] = {UNDATED}
        for day in set(days):
            if day is not None:
                story_days.update(range(day - self.window, day + self.window + 1))
                sig_days.update(range(day - self.copy_window, day + self.copy_window + 1))
        self._load_stories(story_days - self.story_days)
        self._load_sigs(sig_days - self.sig_days)
        self.fetch(self.urls.values())

    def _temp(self, name: str, rows: Iterable[tuple[Any, ...]]) -> None:
        db = self.db
        db.execute(f"CREATE TEMP TABLE IF NOT EXISTS {name} (k)")  # constant names
        db.execute(f"DELETE FROM temp.{name}")
        db.executemany(f"INSERT INTO temp.{name} VALUES (?)", rows)

    def _load_stories(self, days: set[int]) -> None:
        if not days:
            return
        self.story_days |= days
        self._temp("story_qd", ((d,) for d in days))
        self._rows(self.db.execute(
            "SELECT s.story, s.day, s.provider, s.terms, s.size, s.centre, s.keys "
            "FROM temp.story_qd q JOIN stories s ON s.day = q.k"))

    def fetch(self, stories: Iterable[str]) -> None:
        """Read the rows of ``stories`` not held (a copy's story from another day)."""
        need = [s for s in set(stories) if s not in self.stories]
        if need:
            self._temp("story_qs", ((s,) for s in need))
            self._rows(self.db.execute(
                "SELECT s.story, s.day, s.provider, s.terms, s.size, s.centre, s.keys "
                "FROM temp.story_qs q JOIN stories s ON s.story = q.k"))

    def _rows(self, rows: Iterable[tuple[Any, ...]]) -> None:
        for name, day, provider, terms, size, centre, keys in rows:
            name = str(name)
            story = self.stories.get(name)  # one held is as new as the stored one, or newer
            if story is None:
                profile = json.loads(terms)
                story = Story(None if day == UNDATED else day, str(provider), profile,
                              int(size), json.loads(centre) if centre else profile,
                              json.loads(keys))
                self.stories[name] = story
                self.held += 1
            if _day(story.day) in self.story_days:  # found by its terms from its days
                self._index(name, story.keys, _day(story.day))

    def _index(self, name: str, keys: Iterable[str], day: int) -> None:
        index = self.terms
        for term in keys:
            days = index.get(term)
            if days is None:
                index[term] = {day: {name}}
                continue
            names = days.get(day)
            if names is None:
                days[day] = {name}
            else:
                names.add(name)

    def _load_sigs(self, days: set[int]) -> None:
        if not days:
            return
        self.sig_days |= days
        self._temp("story_qd", ((d,) for d in days))
        for rid, story, blob in self.db.execute(
                "SELECT s.id, s.story, s.sig FROM temp.story_qd q "
                "JOIN story_sigs s ON s.day = q.k"):
            sig = array.array("I")
            sig.frombytes(blob)
            self._hold_sig(str(rid), sig, str(story), self._bands_of(sig))

    def _hold_sig(self, rid: str, sig: array.array[int], story: str,
                  bands: Sequence[int]) -> None:
        if rid in self.sigs:
            return
        self.sigs[rid] = (sig, story)
        self.held += 1
        held = self.bands
        for band in bands:
            ids = held.setdefault(band, rid)
            if ids is not rid:
                if isinstance(ids, str):
                    held[band] = [ids, rid]
                else:
                    ids.append(rid)

    def count_near(self, terms: Iterable[str], day: int | None) -> Counter[str]:
        """How many of ``terms`` find each story from ``day``: the stories whose first day
        is within the window of it, and undated ones (any held, for an undated record).
        A story is indexed under its first day only, so each term counts it once."""
        met: list[str] = []
        index = self.terms
        lo, hi = (0, -1) if day is None else (day - self.window, day + self.window)
        for term in terms:
            days = index.get(term)
            if not days:
                continue
            # a term's stories mostly start on one or two days: those are read, not the
            # window's days looked up one by one
            for d, names in days.items():
                if day is None or lo <= d <= hi or d == UNDATED:
                    met.extend(names)
        return Counter(met)  # counted in one call: Counter.update costs a type check each

    def copies(self, bands: Sequence[int]) -> Iterable[tuple[array.array[int], str]]:
        """The signatures and stories of the held records sharing a band with ``bands``,
        each once."""
        seen: set[str] = set()
        for band in bands:
            ids = self.bands.get(band)
            for rid in (() if ids is None else (ids,) if isinstance(ids, str) else ids):
                if rid not in seen:
                    seen.add(rid)
                    yield self.sigs[rid]

    # -- adding -----------------------------------------------------------------------

    def add(self, rid: str, story: Story, name: str, rare: Sequence[str], urls: Sequence[int],
            day: int | None, sig: Sequence[int], bands: Sequence[int]) -> None:
        """Record ``rid`` (published on ``day``) as a member of story ``name``."""
        if name not in self.stories:
            self.held += 1
        self.stories[name] = story
        self.dirty.add(name)
        story.size += 1
        fresh = [t for t in rare if t not in story.keys][:max(0, KEYS_KEPT - len(story.keys))]
        if fresh:
            story.keys = story.keys + fresh
            self._index(name, fresh, _day(story.day))
        self.members.append((rid, name))
        for key in urls:
            if key not in self.urls:  # the first record with a URL keeps it
                self.urls[key] = name
                self.new_urls.append((key, rid))
        if sig:
            packed = sig if isinstance(sig, array.array) else array.array("I", sig)
            self.new_sigs.append((rid, _day(day), name, packed.tobytes()))
            self._hold_sig(rid, packed, name, bands)

    def flush(self, keep: set[str] | None = None) -> None:
        """Write the commit's changes (inside the writer's open transaction); with
        ``keep``, only the rows of those record ids (others were matched, not committed)."""
        db = self.db
        if keep is not None:
            self.members = [m for m in self.members if m[0] in keep]
            self.new_urls = [u for u in self.new_urls if u[1] in keep]
            self.new_sigs = [g for g in self.new_sigs if g[0] in keep]
        # a story of one record has its centre for its profile: written once, centre ""
        db.executemany("INSERT OR REPLACE INTO stories VALUES (?, ?, ?, ?, ?, ?, ?)", (
            (name, _day(s.day), s.provider, json.dumps(s.terms, ensure_ascii=False), s.size,
             "" if s.centre is s.terms else json.dumps(s.centre, ensure_ascii=False),
             json.dumps(s.keys, ensure_ascii=False))
            for name in sorted(self.dirty) for s in (self.stories[name],)))
        db.executemany("INSERT OR REPLACE INTO story_members VALUES (?, ?)", self.members)
        db.executemany("INSERT OR IGNORE INTO story_urls VALUES (?, ?)", self.new_urls)
        db.executemany("INSERT OR REPLACE INTO story_sigs VALUES (?, ?, ?, ?)", self.new_sigs)
        self.dirty.clear()
        for rows in (self.members, self.new_urls, self.new_sigs):
            rows.clear()
