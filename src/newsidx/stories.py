"""Stories: records grouped into copies of one article and coverage of one event, at ingest.

Two levels, decided once per record when it first enters the catalogue (docs/stories.md):

- **copies**: a record sharing a canonical URL spelling with a stored one, or whose title
  and text shingles have a MinHash Jaccard estimate of at least :data:`COPY_JACCARD`
  with one (LSH bands find the candidates), joins that record's story;
- **stories**: otherwise the record is compared with the *centre* (first record) of every
  story dated within :data:`WINDOW_DAYS` that shares one of its rarest terms; it joins the
  most similar above :data:`STORY_SIMILARITY` (idf-weighted cosine over the distinctive
  terms of title and excerpt), or starts a story of its own, named by its id. Comparing
  with centres only (star clustering) keeps a story from growing by chaining.

Sentences a provider repeats across records (a stock description, a footer) are left out
of both. The state lives in ``state.db`` beside the bookkeeping and is written inside the
writer's bookkeeping transaction (:func:`newsidx.storyrun.group` is the writer's ``stage``
hook; a first ingest matches records as they arrive and writes them there), so it is
committed after the manifest and never leads the JSON; it carries the generation it
reflects, and a state not in step with the manifest is rebuilt from the shards, where
every record's ``story`` is written. A record keeps its story for as long as it is
stored, so re-ingesting unchanged or updated files changes no story id, and new records
join existing stories without recomputing the archive.
"""

from __future__ import annotations

import array
import json
import math
import operator
import sqlite3
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from newsidx import storytext as st
from newsidx.storyprep import NUM_PERM, StoryPrep, prepare, text_of
from newsidx.storystate import DISTINCTIVE, MIN_SHARED, Story, StoryState, forget_sigs, key64

if TYPE_CHECKING:
    from newsidx.prepared import Prepared

BANDS = 16  # 16 bands of 4 rows: pairs above a Jaccard of about 0.5 become candidates
COPY_JACCARD = 0.7
COPY_DAYS = 7  # a copy by text is looked for among the records this many days around
STORY_SIMILARITY = 0.16
WINDOW_DAYS = 2
DAY_DECAY = 0.3  # a story's similarity loses this share for each day from its first
BOILERPLATE = 3  # a sentence in this many of a provider's records is boilerplate
LOOKUP_TERMS = 12  # a record's heaviest terms that find candidate stories
CANDIDATES = 24  # the stories sharing most of them compared, at most
PRIOR_DOCS = 200
COUNTS_HELD = 500_000  # document frequencies and sentence counts held, likewise
_CHUNK = 500
_SCHEMA = 8  # 8: key and band rows; 7: 100 shingled words; 6: cheaper keys, words

TABLES = """
CREATE TABLE IF NOT EXISTS story_members (id TEXT PRIMARY KEY, story TEXT NOT NULL)
    WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS story_members_story ON story_members (story);
CREATE TABLE IF NOT EXISTS stories (
    story TEXT PRIMARY KEY, day INTEGER NOT NULL, provider TEXT NOT NULL,
    terms TEXT NOT NULL, size INTEGER NOT NULL, centre TEXT NOT NULL, keys TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS stories_day ON stories (day);
CREATE TABLE IF NOT EXISTS story_df (term TEXT PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS story_boiler (key INTEGER PRIMARY KEY, n INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS story_urls (key INTEGER PRIMARY KEY, id TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS story_urls_id ON story_urls (id);
CREATE TABLE IF NOT EXISTS story_sigs (id TEXT PRIMARY KEY, day INTEGER NOT NULL,
    story TEXT NOT NULL, sig BLOB NOT NULL) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS story_sigs_day ON story_sigs (day);
CREATE TABLE IF NOT EXISTS story_keys (term INTEGER NOT NULL, day INTEGER NOT NULL,
    story TEXT NOT NULL, PRIMARY KEY (term, day, story)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS story_bands (band INTEGER NOT NULL, id TEXT NOT NULL,
    PRIMARY KEY (band, id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS story_meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
"""
_STATE_TABLES = ("story_members", "stories", "story_df", "story_boiler", "story_urls",
                 "story_sigs", "story_keys", "story_bands", "story_meta")
_OLD_TABLES = ("story_terms",)  # schema 3's


def _chunks(values: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start:start + _CHUNK]


class _Item:
    """One record as grouping reads it: its features (computed in a parse worker when it
    came from one) and its JSON object or line, read only to leave boilerplate out."""

    __slots__ = ("bands", "day", "distinctive", "edges", "id", "provider", "rare", "sig",
                 "source", "terms", "urls", "weighted")

    def __init__(self, rid: str, prep: StoryPrep, source: str | dict[str, Any]) -> None:
        self.id = rid
        self.day, self.provider, self.urls, self.edges, self.terms, sig = prep
        self.sig = _unpack(sig)
        self.source = source
        self.rare: list[str] | None = None  # its terms that find stories, once known
        self.distinctive: list[str] | None = None  # those that find them at any date
        self.bands: list[int] = []
        self.weighted: tuple[dict[str, float], float] | None = None  # its terms, weighed

    @staticmethod
    def of(rid: str, data: dict[str, Any]) -> _Item:
        return _Item(rid, prepare(data), data)

    @staticmethod
    def of_prepared(p: Prepared) -> _Item:
        """With the features a parse worker computed; computed here when it did not."""
        if p.story is None:
            return _Item.of(p.id, json.loads(p.row.line))
        return _Item(p.id, p.story, p.row.line)

    def drop(self, boiler: set[int]) -> None:
        """Recompute terms and signature without the edge sentences in ``boiler``."""
        if not any(k in boiler for k in self.edges):
            return
        data = self.source if isinstance(self.source, dict) else json.loads(self.source)
        _, self.terms, sig = text_of(data).features(boiler)
        self.sig = _unpack(sig)


class Grouper:
    """Assigns stories inside the writer's open bookkeeping transaction. One grouper may
    serve every commit of a run (:func:`group` keeps it): the document frequencies and
    sentence counts it holds are what it wrote or read, so it reads none twice; the
    stories and signatures a commit reaches (:class:`StoryState`) are read for that
    commit and dropped when it is written."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db
        self._df: dict[str, int] = {}  # every term looked up; 0 when stored nowhere
        self._boiler: dict[int, int] = {}  # likewise, the edge sentences' counts
        self._docs: int | None = None
        self._idfs: dict[str, float] = {}
        self._idf_docs = -1
        self._state: StoryState | None = None
        # True when the tables held nothing when this grouper began (a cold ingest): then
        # every count is held, and one absent is 0 without asking
        self._complete: bool | None = None
        self.ahead = False  # whether records may be matched before their commit
        self.assigned: dict[str, str] = {}  # matched ahead: id -> story, until written
        # counts and the record total changed since the last write (newsidx.storyrun)
        self._new_boiler: Counter[int] = Counter()
        self._new_df: Counter[str] = Counter()

    def fresh(self) -> None:
        """Start on tables known to be empty (a first ingest): nothing is read from them,
        and records may be matched as they arrive (:func:`newsidx.storyrun.pregroup`)."""
        self._docs, self._complete, self.ahead = 0, True, True

    # -- the state's generation -----------------------------------------------------------

    def meta(self, key: str) -> int | None:
        row = self.db.execute("SELECT value FROM story_meta WHERE key = ?", (key,)).fetchone()
        return int(row[0]) if row else None

    def set_meta(self, key: str, value: int) -> None:
        self.db.execute("INSERT OR REPLACE INTO story_meta VALUES (?, ?)", (key, value))

    def clear(self) -> None:
        for table in _STATE_TABLES:
            self.db.execute(f"DELETE FROM {table}")  # the names are constants
        self.forget_held()

    def forget_held(self) -> None:
        """Drop what is held in memory: it is read again from the tables when needed."""
        self._df, self._boiler, self._docs, self._state = {}, {}, None, None
        self._complete = None
        self._idfs.clear()
        self._idf_docs = -1

    def state(self) -> StoryState:
        if self._state is None:
            self._state = StoryState(self.db, WINDOW_DAYS, COPY_DAYS, _bands)
        return self._state

    def rebuild(self, records: Iterable[tuple[str, dict[str, Any]]], generation: int) -> None:
        """Refill the state from every stored record (id, JSON object), each keeping the
        story its line names (its own id when it has none): the shards are the truth."""
        self.clear()
        pending: list[tuple[str, dict[str, Any]]] = []
        for rid, data in records:
            pending.append((rid, data))
            if len(pending) >= 5000:
                self._restore(pending)
                pending = []
        self._restore(pending)
        self.set_meta("schema", _SCHEMA)
        self.set_meta("generation", generation)
        self.forget_held()  # a rebuild's state is the whole archive's: not kept

    def _restore(self, records: list[tuple[str, dict[str, Any]]]) -> None:
        items = [_Item.of(rid, data) for rid, data in records]
        self._prepare(items)
        state = self.state()
        names = [str(data.get("story") or item.id)
                 for item, (_, data) in zip(items, records, strict=True)]
        state.fetch(names)
        for item, story in zip(items, names, strict=True):
            # a story's centre is its first member met
            self._record(state, item, story)
        self.write()
        self._state = None  # bounded: each chunk reads the stories it names

    # -- reading ----------------------------------------------------------------------

    def stories_of(self, ids: Iterable[str]) -> dict[str, str]:
        out: dict[str, str] = {}
        for part in _chunks(list(set(ids))):
            marks = ",".join("?" * len(part))
            out.update(self.db.execute(
                f"SELECT id, story FROM story_members WHERE id IN ({marks})", part))
        return out

    def _counts(self, table: str, column: str, held: dict[Any, int],
                keys: Iterable[Any]) -> None:
        """Read the counts of ``keys`` not held from ``table`` into ``held`` (0 when
        absent)."""
        need = [k for k in set(keys) if k not in held]
        if self._complete:
            held.update(dict.fromkeys(need, 0))
            return
        for part in _chunks(need):
            marks = ",".join("?" * len(part))
            held.update(dict.fromkeys(part, 0))
            held.update(self.db.execute(  # the names are constants
                f"SELECT {column}, n FROM {table} WHERE {column} IN ({marks})", part))

    # -- assigning ----------------------------------------------------------------------

    def assign(self, records: Sequence[tuple[str, dict[str, Any]]]) -> dict[str, str]:
        """Story ids for ``records`` (id, JSON object): a stored id keeps its story; new
        ones are grouped, earliest first, and written to the tables."""
        known = self.stories_of(rid for rid, _ in records)
        out = self._assign(known, [_Item.of(rid, data) for rid, data in records
                                   if rid not in known])
        self.write()
        return out

    def assign_prepared(self, records: Sequence[Prepared]) -> dict[str, str]:
        """:meth:`assign` for a commit's records, with the features their parse workers
        computed (:mod:`newsidx.storyprep`): the writer reads no record's text unless it
        has boilerplate to leave out."""
        ahead = self.assigned
        known = self.stories_of(p.id for p in records if p.id not in ahead)
        known.update((p.id, ahead[p.id]) for p in records if p.id in ahead)
        return self._assign(known, [_Item.of_prepared(p) for p in records
                                    if p.id not in known])

    def preassign(self, records: Sequence[Prepared]) -> None:
        """Match records before their commit (which then writes them): read-only."""
        todo = [p for p in records if p.id not in self.assigned]
        known = self.stories_of(p.id for p in todo)
        self.assigned.update(self._assign(known, [_Item.of_prepared(p) for p in todo
                                                  if p.id not in known]))

    def write(self, keep: set[str] | None = None) -> None:
        """Write what was decided since the last write, inside the writer's transaction:
        the counts, the record total and the state's rows (of the ``keep`` ids only, when
        given: a record matched ahead but not committed is left out)."""
        db = self.db
        db.executemany(
            "INSERT INTO story_boiler VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET n = n + ?",
            ((k, c, c) for k, c in self._new_boiler.items()))
        db.executemany(
            "INSERT INTO story_df VALUES (?, ?) ON CONFLICT (term) DO UPDATE SET n = n + ?",
            ((t, c, c) for t, c in self._new_df.items()))
        self._new_boiler.clear()
        self._new_df.clear()
        self.set_meta("docs", self._docs or 0)
        state = self._state
        if state is not None:
            state.flush(keep)
            self._state = None  # bounded: the next commit reads what it reaches
        self.assigned.clear()

    def _assign(self, known: dict[str, str], items: list[_Item]) -> dict[str, str]:
        if not items:
            return known
        items.sort(key=lambda i: (i.day if i.day is not None else 10**9, i.id))
        self._prepare(items)
        docs = self._docs or 0
        state = self.state()
        state.load(urls=(k for item in items for k in item.urls),
                   lookups=[(item.day, self._rare(item), self._distinctive(item), item.bands)
                            for item in items])
        for item in items:
            story = self._copy_of(state, item) or self._nearest(state, item, docs)
            known[item.id] = self._record(state, item, story or item.id)
        return known

    def _prepare(self, items: list[_Item]) -> None:
        """Count the items' edge sentences and terms first, so that boilerplate and
        rarity are judged with the batch itself counted; then their terms, signatures
        and bands. The counts are held and only their increments written."""
        if len(self._df) > COUNTS_HELD or len(self._boiler) > COUNTS_HELD:
            self._df, self._boiler, self._complete = {}, {}, False
        if self._docs is None:
            self._docs = self.meta("docs") or 0
        if self._complete is None:
            self._complete = self._docs == 0
        counts = Counter(k for item in items for k in item.edges)
        self._counts("story_boiler", "key", self._boiler, counts)
        boiler = self._boiler
        for k, c in counts.items():
            boiler[k] += c
        self._new_boiler.update(counts)
        common = {k for k in counts if boiler[k] >= BOILERPLATE}
        terms: Counter[str] = Counter()
        for item in items:
            if common:
                item.drop(common)
            terms.update(item.terms.keys())
            item.bands = _bands(item.sig) if item.sig else []
        self._counts("story_df", "term", self._df, terms)
        df = self._df
        for t, c in terms.items():
            df[t] += c
        self._new_df.update(terms)
        self._docs += len(items)
        self._idfs.clear()
        self._idf_docs = self._docs

    def _rare(self, item: _Item) -> list[str]:
        """The terms that find a record's story and its story from it: its heaviest by
        weight and rarity (a title's rare names first)."""
        if item.rare is None:
            item.weighted = self._weigh(item.terms, self._docs or 0)
            item.rare = [t for _, t in sorted(
                (-w, t) for t, w in item.weighted[0].items())[:LOOKUP_TERMS]]
        return item.rare

    def _distinctive(self, item: _Item) -> list[str]:
        """The rarest terms that also find stories whatever their dates."""
        if item.distinctive is None:
            df = self._df
            item.distinctive = [t for t in self._rare(item) if df.get(t, 0) <= DISTINCTIVE]
        return item.distinctive

    def _record(self, state: StoryState, item: _Item, story: str) -> str:
        """Add ``item`` to ``state`` as a member of ``story`` (its first if new): its
        terms join the story's profile and its rarest find the story from then on."""
        row = state.stories.get(story)
        if row is None:
            terms = dict(item.terms)  # its profile is its centre until a second member
            row = Story(item.day, item.provider, terms, 0, terms, [])
        else:
            row.terms = st.merge_profile(row.terms, item.terms)
            row.weighted = None
        # a story is found within the window of its first day: it does not roll on
        state.add(item.id, row, story, self._rare(item), item.urls, item.day, item.sig,
                  item.bands)
        return story

    def _copy_of(self, state: StoryState, item: _Item) -> str | None:
        """The story of a stored copy of ``item``: a shared URL, else MinHash."""
        for key in item.urls:
            found = state.urls.get(key)
            if found is not None:
                return found
        if not item.sig:
            return None
        best: tuple[float, str] | None = None
        mine = item.sig
        for other, story in state.copies(item.bands, item.day):
            j = sum(map(operator.eq, mine, other)) / NUM_PERM
            if j >= COPY_JACCARD and (best is None or (j, story) > best):
                best = (j, story)
        return best[1] if best else None

    def _nearest(self, state: StoryState, item: _Item, docs: int) -> str | None:
        """The story whose profile is most like ``item`` above the threshold, if any."""
        if not item.terms:
            return None
        # a story is a candidate when it shares MIN_SHARED of the record's rarest terms
        shared = state.count_near(self._rare(item), self._distinctive(item), item.day)
        # a common name finds many stories: those sharing the most terms are compared
        candidates = [story for n, story in sorted(
            (-n, story) for story, n in shared.items() if n >= MIN_SHARED)[:CANDIDATES]]
        if not candidates:
            return None
        mine, mine_sq = item.weighted or self._weigh(item.terms, docs)
        best: tuple[float, str] | None = None
        for story in candidates:
            row = state.stories.get(story)
            if row is None:  # not held: never the case, as a story is held with its terms
                continue
            if row.weighted is None or row.weighted[0] != docs:
                if not self._complete:
                    self._counts("story_df", "term", self._df, (*row.terms, *row.centre))
                profile = self._weigh(row.terms, docs)  # a lone record's centre is it
                row.weighted = (docs, profile, profile if row.centre is row.terms
                                else self._weigh(row.centre, docs))
            # like the story as a whole and like its first record: a profile alone drifts
            # towards the names every follow-up shares (a company, a person); and the more
            # so the further from the story's first day
            sim = min(_cosine(mine, mine_sq, row.weighted[1]),
                      _cosine(mine, mine_sq, row.weighted[2]))
            if row.day is not None and item.day is not None:
                sim *= 1.0 - DAY_DECAY * abs(item.day - row.day)
            if sim >= STORY_SIMILARITY and (best is None or (sim, story) > best):
                best = (sim, story)
        return best[1] if best else None

    def _weigh(self, terms: dict[str, float], docs: int) -> tuple[dict[str, float], float]:
        """``terms`` idf-weighted, and the vector's squared norm."""
        if self._idf_docs != docs:
            self._idfs.clear()
            self._idf_docs = docs
        cache = self._idfs
        missing = [t for t in terms if t not in cache]
        if missing:
            # a small archive is read as if PRIOR_DOCS more records lacked the term: rarity
            # measured on a dozen records of one topic would weigh its incidental words most
            top, df, log = docs + PRIOR_DOCS, self._df, math.log
            for t in missing:
                cache[t] = log(top / max(1, df.get(t, 1)))
        weighted = {t: w * cache[t] for t, w in terms.items()}
        values = weighted.values()
        return weighted, sum(map(operator.mul, values, values))

    # -- removing -----------------------------------------------------------------------

    def forget(self, ids: Iterable[str]) -> None:
        """Drop deleted records from their stories (the story keeps its id and centre)."""
        db = self.db
        self._state = None  # what is held may name them: read again
        found = self.stories_of(ids)
        for rid, story in found.items():
            db.execute("DELETE FROM story_members WHERE id = ?", (rid,))
            db.execute("UPDATE stories SET size = size - 1 WHERE story = ?", (story,))
            db.execute("DELETE FROM story_urls WHERE id = ?", (rid,))
        forget_sigs(db, found, _bands)


def _create(db: sqlite3.Connection) -> None:
    """The tables, made afresh when they are another schema's (then rebuilt)."""
    db.execute("CREATE TABLE IF NOT EXISTS story_meta (key TEXT PRIMARY KEY, "
               "value INTEGER NOT NULL)")
    row = db.execute("SELECT value FROM story_meta WHERE key = 'schema'").fetchone()
    if row is None or int(row[0]) != _SCHEMA:
        for table in (*_STATE_TABLES, *_OLD_TABLES):
            db.execute(f"DROP TABLE IF EXISTS {table}")  # the names are constants
    for statement in TABLES.split(";"):
        if statement.strip():
            db.execute(statement)
    if row is None or int(row[0]) != _SCHEMA:
        db.execute("INSERT OR REPLACE INTO story_meta VALUES ('schema', ?)", (_SCHEMA,))


def _cosine(mine: dict[str, float], mine_sq: float,
            theirs: tuple[dict[str, float], float]) -> float:
    """The cosine of two idf-weighted term vectors (each with its squared norm); 0 when
    they share fewer than :data:`MIN_SHARED` terms."""
    vector, sq = theirs
    shared = [t for t in mine if t in vector]
    if len(shared) < MIN_SHARED:
        return 0.0
    norm = math.sqrt(mine_sq * sq)
    return sum(mine[t] * vector[t] for t in shared) / norm if norm else 0.0


def _unpack(sig: bytes) -> array.array[int]:
    """A packed signature (:class:`newsidx.storyprep.StoryPrep`) as its values."""
    out = array.array("I")
    out.frombytes(sig)
    return out


def _bands(sig: array.array[int]) -> list[int]:
    """The LSH band keys of a signature: each band's rows hashed, with its number, into
    one signed 64-bit integer (stable across runs and Python versions: they are stored)."""
    raw = sig.tobytes()
    step = len(raw) // BANDS
    return [key64(raw[start:start + step], band.to_bytes(16, "big"))
            for band, start in enumerate(range(0, step * BANDS, step))]
