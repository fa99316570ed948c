"""The story tables as one commit's grouping reads and writes them.

Grouping (:mod:`newsidx.stories`) matches a commit's new records one by one against the
stories and signatures they can reach. Which those are is asked of ``state.db`` once a
commit (or once a chunk matched ahead), each lookup passed as one JSON array to
``json_each``: ``story_keys`` (each story's lookup terms, hashed, under its first day)
gives the stories sharing at least :data:`MIN_SHARED` of a record's rarest terms within
the window of its day (and, by its :data:`DISTINCTIVE` terms only, undated stories, or
any for an undated record); ``story_bands`` (each signature's LSH band keys) the records
that may be its copies; ``story_urls`` the stories of its URL keys, at any date. Only
those stories and signatures are read and held, with the commit's own; the matching then
runs in memory over what is held, and decides as if the whole state were held.
:meth:`StoryState.flush` writes the commit's changes with one ``executemany`` a table,
inside the writer's bookkeeping transaction, and the state is dropped: what a run holds
is bounded by one commit, whatever the archive's size or the order of its dates.
"""

from __future__ import annotations

import array
import json
import sqlite3
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Sequence
from hashlib import blake2b
from typing import Any

UNDATED = -1  # the day of an undated story or signature: found from any date
ANY = (UNDATED, 1 << 62)  # the days an undated record finds: all
KEYS_KEPT = 120  # a story's lookup terms stored, its first members' first
MIN_SHARED = 2  # stored lookup terms a story shares with a record to be read for it
# a term found in at most this many records finds stories whatever their dates (an
# undated record's, or undated stories from a dated one); a commoner one only within the
# window, so an undated record never reads every story of a common word
DISTINCTIVE = 50


TERMS_HELD = 200_000  # terms whose keys are remembered (a process's vocabulary)
_KEYS: dict[str, int] = {}


def key64(data: bytes, salt: bytes = b"") -> int:
    """``data`` as a signed 64-bit key, the same in every process and Python version (the
    story tables store them)."""
    return int.from_bytes(blake2b(data, digest_size=8, salt=salt).digest(), "big",
                          signed=True)


def term_key(term: str) -> int:
    """A lookup term as the key ``story_keys`` stores."""
    key = _KEYS.get(term)
    if key is None:
        if len(_KEYS) > TERMS_HELD:
            _KEYS.clear()
        key = _KEYS[term] = key64(term.encode("utf-8", "surrogatepass"))
    return key


class Story:
    """One story's row: its first day, provider, profile, size, centre, lookup terms.

    Profile and centre may be given as their stored JSON, read when first used: most
    stories read for a commit only count shared terms and are never compared."""

    __slots__ = ("_centre", "_terms", "day", "keys", "provider", "size", "weighted")

    def __init__(self, day: int | None, provider: str, terms: dict[str, float] | str,
                 size: int, centre: dict[str, float] | str | None, keys: list[str]) -> None:
        self.day, self.provider, self.size, self.keys = day, provider, size, keys
        self._terms = terms
        # None while the centre is the profile (a story of one record)
        self._centre = None if centre is terms else centre
        # (docs, profile, centre) idf-weighted for an archive of docs records, each with its
        # squared norm (newsidx.stories)
        self.weighted: tuple[int, tuple[dict[str, float], float],
                             tuple[dict[str, float], float]] | None = None

    @property
    def terms(self) -> dict[str, float]:
        terms = self._terms
        if isinstance(terms, str):
            terms = self._terms = json.loads(terms)
        return terms

    @terms.setter
    def terms(self, value: dict[str, float]) -> None:
        if self._centre is None:  # the centre stays the first record's terms
            self._centre = self.terms
        self._terms = value

    @property
    def centre(self) -> dict[str, float]:
        centre = self._centre
        if centre is None:
            return self.terms
        if isinstance(centre, str):
            centre = self._centre = json.loads(centre)
        return centre


def _day(day: int | None) -> int:
    return UNDATED if day is None else day


class StoryState:
    """What one commit's grouping has read of the story tables, and what it adds."""

    def __init__(self, db: sqlite3.Connection, window: int, copy_window: int,
                 bands: Any) -> None:
        self.db = db
        self.window, self.copy_window = window, copy_window
        self._bands_of = bands  # signature -> its LSH band keys (newsidx.stories)
        self.stories: dict[str, Story] = {}
        self.dirty: set[str] = set()
        self.urls: dict[int, str] = {}  # URL key -> story, for the keys looked up or added
        # band -> the id of the held record in it, or the ids when several (most bands
        # hold one record: no list each); id -> (signature, story, day)
        self.bands: dict[int, str | list[str]] = {}
        self.sigs: dict[str, tuple[array.array[int], str, int]] = {}
        # term -> day -> stories: a window is a handful of look-ups
        self.terms: dict[str, dict[int, set[str]]] = {}
        self.members: list[tuple[str, str]] = []
        self.new_urls: list[tuple[int, str]] = []
        self.new_sigs: list[tuple[str, int, str, bytes]] = []
        self.new_keys: list[tuple[int, int, str]] = []
        self.new_bands: list[tuple[int, str]] = []

    # -- reading ----------------------------------------------------------------------

    def load(self, urls: Iterable[int], lookups: Iterable[
            tuple[int | None, Sequence[str], Sequence[str], Sequence[int]]]) -> None:
        """Read what a commit's records (day, rarest terms, the distinctive ones among
        them, band keys) can reach: the stories of their URL keys, the stories sharing
        :data:`MIN_SHARED` of them (as :meth:`count_near` counts), and the signatures
        sharing one of their bands, at any date (:meth:`copies` keeps those within the
        copy window)."""
        keys = [k for k in set(urls) if k not in self.urls]
        if keys:
            found = {int(k): str(s) for k, s in self.db.execute(
                "SELECT u.key, m.story FROM json_each(?) q JOIN story_urls u ON u.key = q.value "
                "JOIN story_members m ON m.id = u.id", (json.dumps(keys),))}
            self.urls.update(found)
            self.fetch(found.values())
        terms: list[tuple[int, int, int, int]] = []
        bands: set[int] = set()
        for i, (day, rare, distinctive, band_keys) in enumerate(lookups):
            if day is None:
                terms.extend((i, term_key(t), *ANY) for t in distinctive)
            else:
                lo, hi = day - self.window, day + self.window
                terms.extend((i, term_key(t), lo, hi) for t in rare)
                terms.extend((i, term_key(t), UNDATED, UNDATED) for t in distinctive)
            bands.update(band_keys)
        self._load_stories(terms)
        self._load_sigs(bands)

    def _load_stories(self, terms: list[tuple[int, int, int, int]]) -> None:
        if not terms:
            return
        # the lookups as one JSON array of [record, term, lo, hi] (json_each: no temporary
        # table to write); a story has one first day, and a record's ranges for one term
        # do not overlap, so each shared term is counted once
        found = self.db.execute(
            "WITH q AS (SELECT value ->> 0 AS i, value ->> 1 AS t, value ->> 2 AS lo,"
            " value ->> 3 AS hi FROM json_each(?))"
            " SELECT DISTINCT story FROM ("
            " SELECT q.i AS i, k.story AS story FROM q JOIN story_keys k"
            "  ON k.term = q.t AND k.day BETWEEN q.lo AND q.hi"
            ") GROUP BY i, story HAVING count(*) >= ?", (json.dumps(terms), MIN_SHARED))
        self.fetch(str(s) for (s,) in found)

    def fetch(self, stories: Iterable[str]) -> None:
        """Read the rows of ``stories`` not held."""
        need = [s for s in set(stories) if s not in self.stories]
        if need:
            self._rows(self.db.execute(
                "SELECT s.story, s.day, s.provider, s.terms, s.size, s.centre, s.keys "
                "FROM json_each(?) q JOIN stories s ON s.story = q.value",
                (json.dumps(need, ensure_ascii=False),)))

    def _rows(self, rows: Iterable[tuple[Any, ...]]) -> None:
        for name, day, provider, terms, size, centre, keys in rows:
            name = str(name)
            if name in self.stories:  # one held is as new as the stored one, or newer
                continue
            story = Story(None if day == UNDATED else day, str(provider), str(terms),
                          int(size), str(centre) if centre else None, json.loads(keys))
            self.stories[name] = story
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

    def _load_sigs(self, bands: set[int]) -> None:
        if not bands:
            return
        # a band is shared by copies, rarely by others: its records are read whatever
        # their dates, and copies() keeps those within the window
        for rid, story, day, blob in self.db.execute(
                "SELECT s.id, s.story, s.day, s.sig FROM story_sigs s WHERE s.id IN ("
                " SELECT b.id FROM json_each(?) q JOIN story_bands b ON b.band = q.value)",
                (json.dumps(list(bands)),)):
            rid = str(rid)
            if rid in self.sigs:
                continue
            sig = array.array("I")
            sig.frombytes(blob)
            self._hold_sig(rid, sig, str(story), int(day), self._bands_of(sig))

    def _hold_sig(self, rid: str, sig: array.array[int], story: str, day: int,
                  bands: Sequence[int]) -> None:
        if rid in self.sigs:
            return
        self.sigs[rid] = (sig, story, day)
        held = self.bands
        for band in bands:
            ids = held.setdefault(band, rid)
            if ids is not rid:
                if isinstance(ids, str):
                    held[band] = [ids, rid]
                else:
                    ids.append(rid)

    def count_near(self, terms: Sequence[str], distinctive: Collection[str],
                   day: int | None) -> Counter[str]:
        """How many of ``terms`` find each held story from ``day``: the stories whose first
        day is within the window of it; and by the ``distinctive`` ones only, undated
        stories (any story, for an undated record). A story is indexed under its first
        day only, so each term counts it once."""
        met: list[str] = []
        index = self.terms
        lo, hi = (0, -1) if day is None else (day - self.window, day + self.window)
        for term in terms:
            days = index.get(term)
            if not days:
                continue
            anytime = term in distinctive
            for d, names in days.items():
                if lo <= d <= hi or (anytime and (day is None or d == UNDATED)):
                    met.extend(names)
        return Counter(met)  # counted in one call: Counter.update costs a type check each

    def copies(self, bands: Sequence[int], day: int | None
               ) -> Iterable[tuple[array.array[int], str]]:
        """The signatures and stories of the held records sharing a band with ``bands``
        and dated within the copy window of ``day`` (or undated, or any for an undated
        record), each once."""
        seen: set[str] = set()
        window = self.copy_window
        for band in bands:
            ids = self.bands.get(band)
            for rid in (() if ids is None else (ids,) if isinstance(ids, str) else ids):
                if rid not in seen:
                    seen.add(rid)
                    sig, story, other = self.sigs[rid]
                    if day is None or other == UNDATED or abs(other - day) <= window:
                        yield sig, story

    # -- adding -----------------------------------------------------------------------

    def add(self, rid: str, story: Story, name: str, rare: Sequence[str], urls: Sequence[int],
            day: int | None, sig: Sequence[int], bands: Sequence[int]) -> None:
        """Record ``rid`` (published on ``day``) as a member of story ``name``."""
        self.stories[name] = story
        self.dirty.add(name)
        story.size += 1
        fresh = [t for t in rare if t not in story.keys][:max(0, KEYS_KEPT - len(story.keys))]
        if fresh:
            story.keys = story.keys + fresh
            first = _day(story.day)
            self._index(name, fresh, first)
            self.new_keys.extend((term_key(t), first, name) for t in fresh)
        self.members.append((rid, name))
        for key in urls:
            if key not in self.urls:  # the first record with a URL keeps it
                self.urls[key] = name
                self.new_urls.append((key, rid))
        if sig:
            packed = sig if isinstance(sig, array.array) else array.array("I", sig)
            self.new_sigs.append((rid, _day(day), name, packed.tobytes()))
            self.new_bands.extend((band, rid) for band in bands)
            self._hold_sig(rid, packed, name, _day(day), bands)

    def flush(self, keep: set[str] | None = None) -> None:
        """Write the commit's changes (inside the writer's open transaction); with
        ``keep``, only the rows of those record ids (others were matched, not committed)."""
        db = self.db
        if keep is not None:
            self.members = [m for m in self.members if m[0] in keep]
            self.new_urls = [u for u in self.new_urls if u[1] in keep]
            self.new_sigs = [g for g in self.new_sigs if g[0] in keep]
            self.new_bands = [b for b in self.new_bands if b[1] in keep]
        # a story of one record has its centre for its profile: written once, centre ""
        db.executemany("INSERT OR REPLACE INTO stories VALUES (?, ?, ?, ?, ?, ?, ?)", (
            (name, _day(s.day), s.provider, json.dumps(s.terms, ensure_ascii=False), s.size,
             "" if s.centre is s.terms else json.dumps(s.centre, ensure_ascii=False),
             json.dumps(s.keys, ensure_ascii=False))
            for name in sorted(self.dirty) for s in (self.stories[name],)))
        db.executemany("INSERT OR REPLACE INTO story_members VALUES (?, ?)", self.members)
        db.executemany("INSERT OR IGNORE INTO story_urls VALUES (?, ?)", self.new_urls)
        db.executemany("INSERT OR REPLACE INTO story_sigs VALUES (?, ?, ?, ?)", self.new_sigs)
        # in key order: each B-tree page is reached once, not once a row
        db.executemany("INSERT OR IGNORE INTO story_keys VALUES (?, ?, ?)",
                       sorted(self.new_keys))
        db.executemany("INSERT OR IGNORE INTO story_bands VALUES (?, ?)",
                       sorted(self.new_bands))
        self.dirty.clear()
        for rows in (self.members, self.new_urls, self.new_sigs, self.new_keys,
                     self.new_bands):
            rows.clear()


def forget_sigs(db: sqlite3.Connection, ids: Iterable[str],
                bands_of: Callable[[array.array[int]], list[int]]) -> None:
    """Delete the signature and band rows of deleted records (their stories keep their
    lookup terms); ``bands_of`` gives a signature's band keys."""
    for rid in ids:
        row = db.execute("SELECT sig FROM story_sigs WHERE id = ?", (rid,)).fetchone()
        if row is None:
            continue
        sig = array.array("I")
        sig.frombytes(row[0])
        db.executemany("DELETE FROM story_bands WHERE band = ? AND id = ?",
                       ((b, rid) for b in bands_of(sig)))
        db.execute("DELETE FROM story_sigs WHERE id = ?", (rid,))
