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
writer's bookkeeping transaction (:func:`group` is the writer's ``stage`` hook), so it is
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
import sqlite3
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

from newsidx import storytext as st

if TYPE_CHECKING:
    from newsidx.ingest import Prepared
    from newsidx.store.writer import CatalogueWriter

NUM_PERM = 64
BANDS = 16  # 16 bands of 4 rows: pairs above a Jaccard of about 0.5 become candidates
COPY_JACCARD = 0.7
STORY_SIMILARITY = 0.2
WINDOW_DAYS = 2
DAY_DECAY = 0.3  # a story's similarity loses this share for each day from its first
BOILERPLATE = 3  # a sentence in this many of a provider's records is boilerplate
MIN_SHARED = 2  # one shared word is never an event, however rare it looks
LOOKUP_TERMS = 12  # a record's heaviest terms that find candidate stories
PRIOR_DOCS = 200
_SEED = 15
_CHUNK = 500
_SCHEMA = 3

TABLES = """
CREATE TABLE IF NOT EXISTS story_members (id TEXT PRIMARY KEY, story TEXT NOT NULL)
    WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS story_members_story ON story_members (story);
CREATE TABLE IF NOT EXISTS stories (
    story TEXT PRIMARY KEY, day INTEGER, provider TEXT NOT NULL, terms TEXT NOT NULL,
    size INTEGER NOT NULL, centre TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS story_terms (
    term TEXT NOT NULL, day INTEGER NOT NULL, story TEXT NOT NULL,
    PRIMARY KEY (term, day, story)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS story_df (term TEXT PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS story_boiler (key INTEGER PRIMARY KEY, n INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS story_urls (key INTEGER PRIMARY KEY, id TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS story_urls_id ON story_urls (id);
CREATE TABLE IF NOT EXISTS story_bands (band INTEGER NOT NULL, id TEXT NOT NULL,
    PRIMARY KEY (band, id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS story_sigs (id TEXT PRIMARY KEY, sig BLOB NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS story_meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
"""
_STATE_TABLES = ("story_members", "stories", "story_terms", "story_df", "story_boiler",
                 "story_urls", "story_bands", "story_sigs", "story_meta")
_UNDATED = -1  # story_terms.day of an undated centre: found from any date


def _chunks(values: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start:start + _CHUNK]


def _day(data: dict[str, Any]) -> int | None:
    published = data.get("published")
    if not isinstance(published, str) or len(published) < 10:
        return None
    try:
        return date.fromisoformat(published[:10]).toordinal()
    except ValueError:
        return None


class _Item:
    """One new record as grouping reads it."""

    __slots__ = ("body", "day", "excerpt", "id", "own", "provider", "sig", "terms", "title",
                 "urls")

    def __init__(self, rid: str, data: dict[str, Any]) -> None:
        provider = data.get("provider") or {}
        self.id = rid
        self.day = _day(data)
        self.provider = str(provider.get("domain") or provider.get("name") or "").lower()
        self.own = st.own_name(provider.get("name"), provider.get("domain"))
        self.title, self.excerpt, self.body = st.parts(
            st.strip_outlet(str(data.get("title") or ""), self.own),
            str(data.get("excerpt") or ""), str(data.get("body") or ""))
        self.urls = st.url_keys(data.get(k) for k in st.URL_KEYS)
        self.terms: dict[str, float] = {}
        self.sig: list[int] = []

    def boiler_keys(self) -> dict[int, str]:
        return {st.sentence_key(self.provider, s): s
                for s in st.edge_sentences(self.excerpt, self.body)}


class Grouper:
    """Assigns stories inside the writer's open bookkeeping transaction."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db
        self._df: dict[str, int] = {}
        self._idfs: dict[str, float] = {}
        self._idf_docs = -1

    # -- the state's generation -----------------------------------------------------------

    def meta(self, key: str) -> int | None:
        row = self.db.execute("SELECT value FROM story_meta WHERE key = ?", (key,)).fetchone()
        return int(row[0]) if row else None

    def set_meta(self, key: str, value: int) -> None:
        self.db.execute("INSERT OR REPLACE INTO story_meta VALUES (?, ?)", (key, value))

    def clear(self) -> None:
        for table in _STATE_TABLES:
            self.db.execute(f"DELETE FROM {table}")  # the names are constants

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

    def _restore(self, records: list[tuple[str, dict[str, Any]]]) -> None:
        items = [_Item(rid, data) for rid, data in records]
        self._prepare(items)
        for item, (_, data) in zip(items, records, strict=True):
            story = str(data.get("story") or item.id)
            known = self.db.execute("SELECT 1 FROM stories WHERE story = ?",
                                    (story,)).fetchone()
            # a story's centre is the member its id names, else the first member met
            self._record(item, story, centre=not known or item.id == story)

    # -- reading ----------------------------------------------------------------------

    def stories_of(self, ids: Iterable[str]) -> dict[str, str]:
        out: dict[str, str] = {}
        for part in _chunks(list(set(ids))):
            marks = ",".join("?" * len(part))
            out.update(self.db.execute(
                f"SELECT id, story FROM story_members WHERE id IN ({marks})", part))
        return out

    def _load_df(self, terms: Iterable[str]) -> None:
        need = [t for t in set(terms) if t not in self._df]
        for part in _chunks(need):
            marks = ",".join("?" * len(part))
            for term, n in self.db.execute(
                    f"SELECT term, n FROM story_df WHERE term IN ({marks})", part):
                self._df[term] = int(n)

    def _idf(self, term: str, docs: int) -> float:
        cached = self._idfs.get(term)
        if cached is not None and self._idf_docs == docs:
            return cached
        if self._idf_docs != docs:
            self._idfs.clear()
            self._idf_docs = docs
        value = self._idf_of(term, docs)
        self._idfs[term] = value
        return value

    def _idf_of(self, term: str, docs: int) -> float:
        # a small archive is read as if PRIOR_DOCS more records lacked the term: rarity
        # measured on a dozen records of one topic would weigh its incidental words most
        return math.log((docs + PRIOR_DOCS) / max(1, self._df.get(term, 1)))

    # -- assigning ----------------------------------------------------------------------

    def assign(self, records: Sequence[tuple[str, dict[str, Any]]]) -> dict[str, str]:
        """Story ids for ``records`` (id, JSON object): a stored id keeps its story; new
        ones are grouped, earliest first, and written to the tables."""
        known = self.stories_of(rid for rid, _ in records)
        items = [_Item(rid, data) for rid, data in records if rid not in known]
        if not items:
            return known
        items.sort(key=lambda i: (i.day if i.day is not None else 10**9, i.id))
        self._prepare(items)
        docs = self.meta("docs") or 0
        for item in items:
            story = self._copy_of(item) or self._nearest(item, docs)
            known[item.id] = self._record(item, story or item.id, centre=story is None)
        return known

    def _prepare(self, items: list[_Item]) -> None:
        """Count the items' edge sentences and terms first, so that boilerplate and
        rarity are judged with the batch itself counted; then their terms and
        signatures."""
        keys = [item.boiler_keys() for item in items]
        counts = Counter(k for ks in keys for k in ks)
        self.db.executemany(
            "INSERT INTO story_boiler VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET n = n + ?",
            ((k, c, c) for k, c in counts.items()))
        boiler: set[int] = set()
        for part in _chunks(list(counts)):
            marks = ",".join("?" * len(part))
            boiler.update(k for k, n in self.db.execute(
                f"SELECT key, n FROM story_boiler WHERE key IN ({marks})", part)
                if n >= BOILERPLATE)
        from rensa import RMinHash  # only a write that groups new records needs it

        terms: Counter[str] = Counter()
        for item, ks in zip(items, keys, strict=True):
            drop = {s for k, s in ks.items() if k in boiler}
            excerpt = [s for s in item.excerpt if s not in drop]
            item.terms = st.terms(item.title, excerpt, item.own)
            terms.update(item.terms.keys())
            text = [s for s in (item.body or item.excerpt) if s not in drop]
            shingles = st.shingles(item.title, text)
            if len(shingles) >= st.MIN_SHINGLES:
                m = RMinHash(NUM_PERM, _SEED)
                m.update(shingles)
                item.sig = list(m.digest())
        self.db.executemany(
            "INSERT INTO story_df VALUES (?, ?) ON CONFLICT (term) DO UPDATE SET n = n + ?",
            ((t, c, c) for t, c in terms.items()))
        self.set_meta("docs", (self.meta("docs") or 0) + len(items))
        self._df.clear()
        self._idfs.clear()
        self._load_df(terms)

    def _rare(self, item: _Item) -> list[str]:
        """The terms that find a record's story and its story from it: its heaviest by
        weight and rarity (a title's rare names first)."""
        docs = self._idf_docs if self._idf_docs >= 0 else (self.meta("docs") or 0)
        return sorted(item.terms, key=lambda t: (-item.terms[t] * self._idf(t, docs), t)
                      )[:LOOKUP_TERMS]

    def _record(self, item: _Item, story: str, *, centre: bool) -> str:
        """Write ``item`` into the tables as a member of ``story`` (its first if new):
        its terms join the story's profile and its rarest find the story from then on."""
        db = self.db
        row = db.execute("SELECT terms, day FROM stories WHERE story = ?",
                         (story,)).fetchone()
        first = item.day if row is None else row[1]
        if row is None:
            profile = dict(item.terms)
            text = json.dumps(profile, ensure_ascii=False)
            db.execute("INSERT INTO stories VALUES (?, ?, ?, ?, 0, ?)",
                       (story, item.day, item.provider, text, text))
        else:
            profile = st.merge_profile(json.loads(row[0]), item.terms)
            db.execute("UPDATE stories SET terms = ? WHERE story = ?",
                       (json.dumps(profile, ensure_ascii=False), story))
        # a story is found within the window of its first day: it does not roll on
        day = first if first is not None else _UNDATED
        db.executemany("INSERT OR IGNORE INTO story_terms VALUES (?, ?, ?)",
                       ((t, day, story) for t in self._rare(item)))
        db.execute("INSERT OR REPLACE INTO story_members VALUES (?, ?)", (item.id, story))
        db.execute("UPDATE stories SET size = size + 1 WHERE story = ?", (story,))
        db.executemany("INSERT OR IGNORE INTO story_urls VALUES (?, ?)",
                       ((k, item.id) for k in item.urls))
        if item.sig:
            db.execute("INSERT OR REPLACE INTO story_sigs VALUES (?, ?)",
                       (item.id, array.array("I", item.sig).tobytes()))
            db.executemany("INSERT OR IGNORE INTO story_bands VALUES (?, ?)",
                           ((b, item.id) for b in _bands(item.sig)))
        return story

    def _copy_of(self, item: _Item) -> str | None:
        """The story of a stored copy of ``item``: a shared URL, else MinHash."""
        db = self.db
        for key in item.urls:
            row = db.execute("SELECT m.story FROM story_urls u JOIN story_members m "
                             "USING (id) WHERE u.key = ?", (key,)).fetchone()
            if row:
                return str(row[0])
        if not item.sig:
            return None
        bands = _bands(item.sig)
        marks = ",".join("?" * len(bands))
        rows = db.execute(
            f"SELECT DISTINCT s.id, s.sig, m.story FROM story_bands b JOIN story_sigs s "
            f"USING (id) JOIN story_members m USING (id) WHERE b.band IN ({marks})", bands)
        best: tuple[float, str] | None = None
        for _rid, sig, story in rows:
            other = array.array("I")
            other.frombytes(sig)
            same = sum(1 for a, b in zip(item.sig, other, strict=False) if a == b)
            j = same / NUM_PERM
            if j >= COPY_JACCARD and (best is None or (j, str(story)) > best):
                best = (j, str(story))
        return best[1] if best else None

    def _nearest(self, item: _Item, docs: int) -> str | None:
        """The story whose profile is most like ``item`` above the threshold, if any."""
        if not item.terms:
            return None
        rare = self._rare(item)
        marks = ",".join("?" * len(rare))
        # a story is a candidate when it shares MIN_SHARED of these terms
        if item.day is None:
            rows = self.db.execute(
                f"SELECT story FROM story_terms WHERE term IN ({marks}) GROUP BY story "
                f"HAVING count(DISTINCT term) >= {MIN_SHARED}", rare)
        else:
            rows = self.db.execute(
                f"SELECT story FROM story_terms WHERE term IN ({marks}) AND "
                f"(day BETWEEN ? AND ? OR day = {_UNDATED}) GROUP BY story "
                f"HAVING count(DISTINCT term) >= {MIN_SHARED}",
                (*rare, item.day - WINDOW_DAYS, item.day + WINDOW_DAYS))
        candidates = [r[0] for r in rows]
        if not candidates:
            return None
        profiles: list[tuple[str, int | None, dict[str, float], dict[str, float]]] = []
        for part in _chunks(candidates):
            marks = ",".join("?" * len(part))
            profiles += [(s, d, json.loads(t), json.loads(c)) for s, d, t, c in self.db.execute(
                f"SELECT story, day, terms, centre FROM stories WHERE story IN ({marks})",
                part)]
        self._load_df(t for _, _, ts, cs in profiles for t in (*ts, *cs))
        mine = {t: w * self._idf(t, docs) for t, w in item.terms.items()}
        best: tuple[float, str] | None = None
        for story, day, ts, cs in profiles:
            # like the story as a whole and like its first record: a profile alone drifts
            # towards the names every follow-up shares (a company, a person); and the more
            # so the further from the story's first day
            sim = min(self._cosine(mine, ts, docs), self._cosine(mine, cs, docs))
            if day is not None and item.day is not None:
                sim *= 1.0 - DAY_DECAY * abs(item.day - day)
            if sim >= STORY_SIMILARITY and (best is None or (sim, story) > best):
                best = (sim, story)
        return best[1] if best else None

    def _cosine(self, mine: dict[str, float], terms: dict[str, float], docs: int) -> float:
        shared = [t for t in mine if t in terms]
        if len(shared) < MIN_SHARED:
            return 0.0
        theirs = {t: w * self._idf(t, docs) for t, w in terms.items()}
        norm = math.sqrt(sum(w * w for w in mine.values()) * sum(w * w for w in theirs.values()))
        return sum(mine[t] * theirs[t] for t in shared) / norm if norm else 0.0

    # -- removing -----------------------------------------------------------------------

    def forget(self, ids: Iterable[str]) -> None:
        """Drop deleted records from their stories (the story keeps its id and centre)."""
        db = self.db
        for rid, story in self.stories_of(ids).items():
            db.execute("DELETE FROM story_members WHERE id = ?", (rid,))
            db.execute("UPDATE stories SET size = size - 1 WHERE story = ?", (story,))
            db.execute("DELETE FROM story_urls WHERE id = ?", (rid,))
            row = db.execute("SELECT sig FROM story_sigs WHERE id = ?", (rid,)).fetchone()
            if row:
                sig = array.array("I")
                sig.frombytes(row[0])
                db.executemany("DELETE FROM story_bands WHERE band = ? AND id = ?",
                               ((b, rid) for b in _bands(list(sig))))
                db.execute("DELETE FROM story_sigs WHERE id = ?", (rid,))


_NULL_TAIL = ',"story":null}\n'


def with_story(prepared: Prepared, story: str) -> Prepared:
    """``prepared`` carrying ``story`` in its shard line and its index values."""
    line = prepared.row.line
    if line.endswith(_NULL_TAIL):  # a line to_json wrote: "story" is its last key
        line = f"{line[:-len(_NULL_TAIL)]},{json.dumps({'story': story})[1:-1]}}}\n"
    else:
        data = json.loads(line)
        if data.get("story") != story:
            from newsidx.store.layout import dump_line

            data["story"] = story
            line = dump_line(data)
    fields = [f for f in prepared.fields if f[1] != "story"] + [("t", "story", story)]
    return prepared._replace(row=prepared.row._replace(line=line), fields=fields)


def _stored(writer: CatalogueWriter) -> Iterator[tuple[str, dict[str, Any]]]:
    for record in writer.catalogue.iter_records():
        from newsidx.model import to_json

        yield record.id, dict(to_json(record))


def group(db: sqlite3.Connection, writer: CatalogueWriter, upserts: list[Prepared],
          deletes: Sequence[str]) -> list[Prepared]:
    """A commit's records with their stories (see :meth:`Grouper.assign`); ``deletes``
    leave theirs. The writer calls this inside its bookkeeping transaction, before it
    writes the shards; a state that does not reflect the generation being built on is
    rebuilt from the shards first."""
    _create(db)
    grouper = Grouper(db)
    generation = writer.generation
    if grouper.meta("generation") != generation or grouper.meta("schema") != _SCHEMA:
        grouper.rebuild(_stored(writer) if generation else iter(()), generation)
    if deletes:
        grouper.forget(deletes)
    stories = grouper.assign([(p.id, json.loads(p.row.line)) for p in upserts])
    grouper.set_meta("generation", generation + 1)
    return [with_story(p, stories[p.id]) for p in upserts]


def _create(db: sqlite3.Connection) -> None:
    for statement in TABLES.split(";"):
        if statement.strip():
            db.execute(statement)


def _bands(sig: Sequence[int]) -> list[int]:
    """The LSH band keys of a signature: each band's rows hashed, with its number, into
    one signed 64-bit integer."""
    rows = NUM_PERM // BANDS
    return [hash((b, *sig[b * rows:(b + 1) * rows])) for b in range(BANDS)]
