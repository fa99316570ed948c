"""The tantivy full-text index derived from the catalogue: build, update, search, list.

Layout under ``<catalogue>/index``: ``state.json`` names the live data directory, the
schema version and the catalogue generation the index reflects; ``data-<hex>/`` holds
the tantivy files. A rebuild writes a fresh data directory and swaps ``state.json``
atomically, so readers always see a complete index; a data folder a crashed rebuild
left behind is removed by the next index write or ``newsidx check``
(:mod:`newsidx.indexdirs`). The index stores only each record's id and a digest of its
catalogue line: the records of a page of hits are read from the catalogue by id
(:mod:`newsidx.hitrecords`), so the archive is not held twice. Ranking and fields are
described in docs/search.md.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import re
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import tantivy

from newsidx import analysis, fieldterms, indexdirs, plaintext
from newsidx import query as q
from newsidx.errors import CatalogueError, QueryError
from newsidx.hits import Hit, ResultStream, SearchResults
from newsidx.model import Article, to_json

if TYPE_CHECKING:
    from newsidx.hitrecords import RecordSource

SCHEMA_VERSION = 7  # 3: provider_pair replaced provider_name; 4: no body_x; 5: plain text;
# 6: author, lang, folder (newsidx.fieldterms); 7: no stored JSON or text, id and digest only
STATE_FILE = "state.json"
DEFAULT_RECENCY_WEIGHT = 0.1
RECENCY_HALF_LIFE_DAYS = 30.0
RERANK_DEPTH = 200
SORTS = ("relevance", "newest", "oldest")
SELECT_SORTS = ("newest", "oldest", "provider", "title")
BUCKETS = ("day", "week", "month", "year")
_I64_MIN, _I64_MAX = -(2**63), 2**63 - 1
DATE_MIN = q.DATE_MIN
DATE_MAX = q.DATE_MAX
"""The span tantivy's date field holds (nanoseconds in an i64); dates beyond it are
filtered as if at its nearest end, while sorts and timelines use the real date."""
_DATA_NAME = re.compile(r"data-[0-9a-f]+")
_TEXT = tuple(q.FIELD_BOOSTS)
_FETCH_BATCH = 200  # hits whose records a stream reads from the catalogue at a time


class SearchRequest(NamedTuple):
    """What to find: query text, filters (AND-ed; values within one filter OR-ed), page, order."""

    text: str = ""
    providers: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    kind: str | None = None
    authors: tuple[str, ...] = ()
    langs: tuple[str, ...] = ()
    folders: tuple[str, ...] = ()
    since: datetime | None = None
    until: datetime | None = None
    limit: int = 20
    offset: int = 0
    sort: str = "relevance"
    recency_weight: float = DEFAULT_RECENCY_WEIGHT


def _schema() -> tantivy.Schema:
    sb = tantivy.SchemaBuilder()
    sb.add_text_field("id", tokenizer_name="raw", index_option="basic", stored=True)
    sb.add_bytes_field("digest", stored=True, indexed=False)
    for name in _TEXT:
        sb.add_text_field(name, tokenizer_name=analysis.STEMMED)
    for name in q.EXACT_FIELDS:
        sb.add_text_field(name + q.EXACT_SUFFIX, tokenizer_name=analysis.EXACT)
    for name in _TEXT:
        sb.add_text_field(name + q.CJK_SUFFIX, tokenizer_name=analysis.CJK)
    for name in ("provider", "provider_key", "provider_pair", "topic", "topic_display", "kind",
                 "title_sort", *fieldterms.FIELDS):
        sb.add_text_field(name, tokenizer_name="raw", fast=True, index_option="basic")
    sb.add_date_field("published", indexed=True, fast=True)
    sb.add_integer_field("t_new", fast=True)
    sb.add_integer_field("t_old", fast=True)
    for name in BUCKETS:
        sb.add_text_field("bucket_" + name, tokenizer_name="raw", fast=True, index_option="basic")
    return sb.build()


def _field_names() -> list[str]:
    names = ["id", "digest"]
    names += list(_TEXT) + [n + q.EXACT_SUFFIX for n in q.EXACT_FIELDS]
    names += [n + q.CJK_SUFFIX for n in _TEXT]
    names += ["provider", "provider_key", "provider_pair", "topic", "topic_display", "kind",
              "title_sort", *fieldterms.FIELDS]
    return names + ["published", "t_new", "t_old"] + ["bucket_" + b for b in BUCKETS]


DocField = tuple[str, str, Any]
"""One value of an index document: (``t`` text | ``d`` date | ``i`` integer | ``b`` bytes,
field, value)."""


def document_fields(record: Article) -> list[DocField]:
    """Every indexed value of ``record`` but its id and JSON; picklable, so ingest's parse
    workers compute them and the writing process only adds them to a document. Text is
    indexed as a reader sees it (``plaintext``)."""
    out: list[DocField] = []
    plain = plaintext.body_text(record.body) if record.body else ""
    titles = [("title", plaintext.inline_text(t)) for t in (record.title, *record.alt_titles)]
    for name, text in (*titles, ("excerpt", plaintext.inline_text(record.excerpt)),
                       ("body", plain)):
        if not text:
            continue
        latin, cjk = analysis.index_texts(analysis.nfc(text))
        out.append(("t", name, latin))
        if name in q.EXACT_FIELDS:
            out.append(("t", name + q.EXACT_SUFFIX, latin))
        if cjk is not None:
            out.append(("t", name + q.CJK_SUFFIX, cjk))
    if record.provider:
        for value in {record.provider.name, record.provider.domain}:
            if value and value.strip():
                out.append(("t", "provider", analysis.keyword(value)))
    if record.provider_key:
        out.append(("t", "provider_key", record.provider_key))
        name = (record.provider.name if record.provider else None) or record.provider_key
        out.append(("t", "provider_pair", f"{record.provider_key}\t{name.strip()}"))
    for topic in dict.fromkeys(t.strip() for t in record.topics if t.strip()):
        out.append(("t", "topic", analysis.keyword(topic)))
        out.append(("t", "topic_display", topic))
    out.extend(fieldterms.document_fields(record))
    out.append(("t", "kind", record.kind))
    out.append(("t", "title_sort", analysis.keyword(record.title)[:200]))
    if record.published is not None:
        published = record.published.astimezone(timezone.utc)
        out.append(("d", "published", clamp_date(published)))
        seconds = math.floor(published.timestamp())
        out.append(("i", "t_new", seconds))
        out.append(("i", "t_old", seconds))
        iso = published.isocalendar()
        year = f"{published.year:04d}"  # strftime("%Y") gives "1" for year 1
        month = f"{year}-{published.month:02d}"
        out.append(("t", "bucket_day", f"{month}-{published.day:02d}"))
        out.append(("t", "bucket_week", f"{iso[0]:04d}-W{iso[1]:02d}"))
        out.append(("t", "bucket_month", month))
        out.append(("t", "bucket_year", year))
    else:
        out.append(("i", "t_new", _I64_MIN))
        out.append(("i", "t_old", _I64_MAX))
    return out


class ProviderRow(NamedTuple):
    """One line of ``newsidx providers``."""

    key: str
    records: int
    name: str | None
    first: str | None
    last: str | None


def _day_of(seconds: float | None) -> str | None:
    """``YYYY-MM-DD`` of a ``t_old``/``t_new`` value; None for the undated sentinels."""
    if seconds is None or not -62135596800 <= seconds <= 253402300799:
        return None
    day = datetime(1970, 1, 1, tzinfo=timezone.utc) + timedelta(seconds=int(seconds))
    return f"{day.year:04d}-{day.month:02d}-{day.day:02d}"


def clamp_date(value: datetime) -> datetime:
    """``value`` moved into [:data:`DATE_MIN`, :data:`DATE_MAX`], the date field's span."""
    return min(max(value, DATE_MIN), DATE_MAX)


def digest(line: bytes) -> bytes:
    """What the index keeps of a record's catalogue line (without its newline), so
    ``newsidx check`` can tell an indexed copy from the stored one."""
    return hashlib.blake2b(line, digest_size=8).digest()


def line_bytes(record: Article) -> bytes:
    """The catalogue line of ``record`` without its newline, as :func:`digest` takes it."""
    from newsidx.store.layout import dump_line

    return dump_line(to_json(record)).rstrip("\n").encode("utf-8", "surrogatepass")


def build_document(record_id: str, doc_json: bytes, fields: Iterable[DocField]) -> tantivy.Document:
    """The tantivy document of one record from its catalogue line (``doc_json``, which
    only its :func:`digest` is kept of) and :func:`document_fields`."""
    doc = tantivy.Document()
    doc.add_text("id", record_id)
    doc.add_bytes("digest", digest(doc_json))
    for kind, name, value in fields:
        if kind == "t":
            doc.add_text(name, value)
        elif kind == "i":
            doc.add_integer(name, value)
        elif kind == "b":
            doc.add_bytes(name, value)
        else:
            doc.add_date(name, value)
    return doc


def _document(record: Article | tantivy.Document) -> tantivy.Document:
    if isinstance(record, tantivy.Document):
        return record
    return build_document(record.id, line_bytes(record), document_fields(record))


def _record_id(record: Article | tantivy.Document) -> str:
    return str(record.get_first("id")) if isinstance(record, tantivy.Document) else record.id


def _damaged(path: Path | None, exc: BaseException) -> CatalogueError:
    """One line for a search index tantivy cannot read: what, and the repair."""
    where = f"{path}: " if path is not None else ""
    detail = " ".join(str(exc).split())[:200]
    return CatalogueError(f"{where}the search index cannot be read ({detail}); "
                          "run newsidx check --repair")


_TERM = re.compile(r'Term\(field=(\d+), type=\w+, "(.*?)"\)')


def _condense(explanation: dict[str, Any], names: list[str]) -> str:
    """``1.88 = title:run 1.41 + body:dog 0.47``: the scoring leaves of an explanation."""
    leaves: list[str] = []

    def walk(node: dict[str, Any], shown: float | None) -> None:
        value = float(node.get("value", 0.0)) if shown is None else shown
        terms = [m for c in node.get("context", ()) for m in _TERM.findall(str(c))]
        if terms:
            label = " ".join(f"{names[int(f)] if int(f) < len(names) else f}:{t}" for f, t in terms)
            leaves.append(f"{label} {value:.2f}")
            return
        boosted = str(node.get("description", "")).startswith("Boost")
        for child in node.get("details", ()):
            if isinstance(child, dict):
                walk(child, value if boosted else shown)

    walk(explanation, None)
    total = float(explanation.get("value", 0.0))
    return f"{total:.2f} = " + (
        " + ".join(leaves) if leaves else explanation.get("description", "")
    )


class SearchIndex:
    """The search index of one catalogue, at ``<catalogue root>/index``.

    Opening is lazy: constructing a ``SearchIndex`` touches nothing on disk.
    """

    def __init__(self, path: Path, *, records: RecordSource | None = None) -> None:
        """``records`` reads the records of hits by id; by default from the catalogue
        the index folder belongs to (``<catalogue>/index``)."""
        self.path = Path(path)
        self._index: tantivy.Index | None = None
        self._state: dict[str, Any] | None = None
        if records is None:
            from newsidx.hitrecords import default_source

            records = default_source(self.path)
        self._records = records

    # ------------------------------------------------------------------ state

    def _read_state(self) -> dict[str, Any] | None:
        try:
            state = json.loads((self.path / STATE_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(state, dict) or state.get("schema") != SCHEMA_VERSION:
            return None
        data = state.get("data")
        if not isinstance(data, str) or not (self.path / data / "meta.json").is_file():
            return None
        if not isinstance(state.get("generation"), int):
            return None
        return state

    def _write_state(self, data: str, generation: int) -> None:
        state = {"schema": SCHEMA_VERSION, "generation": generation, "data": data}
        tmp = self.path / f".{STATE_FILE}.{os.urandom(16).hex()}"
        tmp.write_text(json.dumps(state), encoding="utf-8")
        os.replace(tmp, self.path / STATE_FILE)
        self._index, self._state = None, None

    def exists(self) -> bool:
        """Whether a complete index of the current schema is present."""
        return self._read_state() is not None

    def generation(self) -> int | None:
        """The catalogue generation the index reflects; ``None`` if absent or outdated."""
        state = self._read_state()
        return int(state["generation"]) if state else None

    def _open(self) -> tantivy.Index:
        if self._index is None:
            state = self._read_state()
            if state is None:
                raise CatalogueError(f"{self.path}: no search index; run 'newsidx ingest' first")
            try:
                index = indexdirs.open_data(self.path / state["data"])
            except (ValueError, OSError) as exc:  # tantivy reports damaged files so
                raise _damaged(self.path, exc) from None
            analysis.register(index)
            self._index, self._state = index, state
        return self._index

    # ------------------------------------------------------------------ writing

    @staticmethod
    def _writer(index: tantivy.Index) -> tantivy.IndexWriter:
        """A writer with 32 MB of indexing memory per thread: at 100k articles ingest took as
        long as with 64 MB (85 s vs 87 s) and peaked ~60 MB lower."""
        threads = max(1, min(4, os.cpu_count() or 1))
        return index.writer(heap_size=32_000_000 * threads, num_threads=threads)

    def rebuild(self, records: Iterable[Article | tantivy.Document], generation: int) -> None:
        """Index ``records`` (or documents from :func:`build_document`) from scratch in a new
        directory, then swap it in atomically."""
        session = self.session()
        try:
            session.rebuild(records, generation)
        finally:
            session.close()

    def _live_data(self) -> str | None:
        """The data folder ``state.json`` names now, of any schema version: the one a
        rebuild replaces, and the one a sweep of leftovers keeps."""
        try:
            state = json.loads((self.path / STATE_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        data = state.get("data") if isinstance(state, dict) else None
        return data if isinstance(data, str) and _DATA_NAME.fullmatch(data) else None

    def update(
        self, *, upserts: Iterable[Article | tantivy.Document], deletes: Iterable[str],
        generation: int,
    ) -> None:
        """Apply a catalogue commit: replace ``upserts`` (records or built documents) by id,
        remove ``deletes``.

        Raises :class:`CatalogueError` when there is no current index (call ``rebuild``).
        """
        session = self.session()
        try:
            session.update(upserts=upserts, deletes=deletes, generation=generation)
        finally:
            session.close()

    def remove_orphans(self) -> list[str]:
        """Remove data folders ``state.json`` does not name (a crashed rebuild's), unless
        a rebuild is running; returns their names. See :mod:`newsidx.indexdirs`."""
        return indexdirs.sweep(self.path, self._live_data)

    def session(self) -> IndexSession:
        """A writer kept open across several commits (one ingest run); see
        :class:`IndexSession`."""
        return IndexSession(self)

    # ------------------------------------------------------------------ reading

    def _searcher(self) -> tuple[tantivy.Index, tantivy.Searcher]:
        index = self._open()
        return index, index.searcher()

    def _compile(
        self, index: tantivy.Index, request: SearchRequest
    ) -> tuple[tantivy.Query, str, q.Highlights]:
        schema = index.schema
        compiled = q.build(request.text, schema)
        clauses = [(tantivy.Occur.Must, compiled.query)]
        shown = (
            []
            if compiled.understood == "everything" and _has_filters(request)
            else [compiled.understood]
        )
        filters: list[tuple[tantivy.Query, str]] = []
        if request.providers:
            filters.append(
                (
                    q.keyword_filter(schema, "provider", request.providers),
                    "provider:" + "|".join(analysis.keyword(p) for p in request.providers),
                )
            )
        if request.topics:
            filters.append(
                (
                    q.keyword_filter(schema, "topic", request.topics),
                    "topic:" + "|".join(analysis.keyword(t) for t in request.topics),
                )
            )
        filters.extend(fieldterms.filters(schema, request))
        if request.kind is not None:
            if request.kind not in ("article", "related"):
                raise QueryError(f"unknown kind {request.kind!r}: use article or related")
            filters.append(
                (q.keyword_filter(schema, "kind", [request.kind]), f"kind:{request.kind}")
            )
        if request.since is not None or request.until is not None:
            since, until = _utc(request.since), _utc(request.until)
            filters.append((q.date_range(schema, since, until), _date_text(since, until)))
        for fq, text in filters:
            clauses.append((tantivy.Occur.Must, tantivy.Query.const_score_query(fq, 0.0)))
            shown.append(text)
        query = compiled.query if len(clauses) == 1 else tantivy.Query.boolean_query(clauses)
        return query, q.describe_filters(shown), compiled.highlights

    def count(self, request: SearchRequest) -> int:
        """How many records match the request's text and filters."""
        index, searcher = self._searcher()
        query, _, _ = self._compile(index, request)
        return _count(searcher.search(query, 1, count=True))

    def search(
        self, request: SearchRequest, *, explain: bool = False, snippets: bool = True
    ) -> SearchResults:
        """Ranked results for a page, with snippets (and per-hit explanations if asked).

        ``snippets=False`` leaves every hit's snippet empty: finding the best passage
        costs more than the query itself, and ``--format ids`` shows none.

        ``sort="relevance"`` ranks by BM25 (title 3, excerpt 1.5, body 1) times a mild
        recency boost ``1 + w * 2^(-age_days / 30)`` over the top hits; ``newest`` and
        ``oldest`` order by date, undated records last (their ``score`` is 0).
        """
        if request.sort not in SORTS:
            raise QueryError(f"unknown sort {request.sort!r}: use {', '.join(SORTS)}")
        searcher, query, understood, highlights, page, total = self._page(
            request, request.sort, ranked=request.sort == "relevance")
        hits = tuple(
            self._hit(searcher, query, highlights, score, address, record, explain, snippets)
            for score, address, record in self._with_records(searcher, page)
        )
        return SearchResults(hits, total, understood)

    def stream(
        self, request: SearchRequest, *, listing: bool = False, snippets: bool = True
    ) -> ResultStream:
        """The hits of ``request``'s page (as :meth:`search` ranks them, or as
        :meth:`select` orders them with ``listing``), each record read and its snippet
        made only as the caller iterates; only the page's addresses are held up front."""
        if request.sort not in (SELECT_SORTS if listing else SORTS):
            raise QueryError(f"unknown sort {request.sort!r}")
        searcher, query, understood, highlights, page, total = self._page(
            request, request.sort, ranked=request.sort == "relevance" and not listing)
        show = snippets and not listing
        hits = (
            self._hit(searcher, query, highlights, score, address, record, False, show)
            for start in range(0, len(page), _FETCH_BATCH)
            for score, address, record in self._with_records(
                searcher, page[start:start + _FETCH_BATCH])
        )
        return ResultStream(hits, total, understood)

    def _with_records(self, searcher: tantivy.Searcher, page: list[tuple[float, Any]],
                      ) -> list[tuple[float, Any, Article]]:
        """The page's hits with their records, read from the catalogue in one batch; a
        hit whose record cannot be read is left out (the record source says so)."""
        ids = [_stored_id(searcher, address) for _, address in page]
        found = self._records(ids)
        return [(score, address, found[rid])
                for (score, address), rid in zip(page, ids, strict=True) if rid in found]

    def _page(
        self, request: SearchRequest, sort: str, *, ranked: bool,
    ) -> tuple[tantivy.Searcher, tantivy.Query, str, q.Highlights, list[tuple[float, Any]], int]:
        """What search, stream and select share: the request checked and fitted to the
        index, compiled, and the addresses of its page (none for ``limit=0``) with the
        number of matches."""
        _check_page(request)
        index, searcher = self._searcher()
        request = _fit_page(request, int(searcher.num_docs))
        query, understood, highlights = self._compile(index, request)
        if request.limit == 0:
            return searcher, query, understood, highlights, [], _count(searcher.search(query, 1))
        if ranked:
            page, total = self._ranked(searcher, query, request)
        else:
            page, total = self._ordered(searcher, query, request, sort)
        return searcher, query, understood, highlights, page, total

    def _hit(
        self,
        searcher: tantivy.Searcher,
        query: tantivy.Query,
        highlights: q.Highlights,
        score: float,
        address: Any,
        record: Article,
        explain: bool,
        snippets: bool,
    ) -> Hit:
        text = self._explain(searcher, query, address, score) if explain else None
        segments = (
            analysis.snippet(
                [plaintext.body_text(record.body) if record.body else "",
                 plaintext.inline_text(record.excerpt)],
                fallback=[plaintext.inline_text(record.title)],
                stems=highlights.stems,
                exact=highlights.exact,
                prefixes=highlights.prefixes,
                cjk=highlights.cjk,
            )
            if snippets
            else ()
        )
        title = (
            analysis.match_spans(record.title, stems=highlights.stems, exact=highlights.exact,
                                 prefixes=highlights.prefixes, cjk=highlights.cjk)
            if snippets
            else ()
        )
        return Hit(record, score, segments, text, title)

    @staticmethod
    def _explain(
        searcher: tantivy.Searcher, query: tantivy.Query, address: Any, score: float
    ) -> str:
        tree = json.loads(query.explain(searcher, address).to_json())
        text = _condense(tree, _field_names())
        bm25 = float(tree.get("value", 0.0))
        if score and bm25:
            text += f"; x{score / bm25:.3f} recency = {score:.2f}"
        return text

    def _ranked(
        self, searcher: tantivy.Searcher, query: tantivy.Query, request: SearchRequest
    ) -> tuple[list[tuple[float, Any]], int]:
        want = request.offset + request.limit
        weight = max(0.0, request.recency_weight)
        depth = max(RERANK_DEPTH, want) if weight > 0 else want
        result = searcher.search(query, depth, count=True)
        hits: list[tuple[float, Any]] = [(float(s), a) for s, a in result.hits]
        if weight > 0 and hits:
            stamps = searcher.fast_field_values("t_new", [a for _, a in hits])
            now = datetime.now(timezone.utc).timestamp()
            boosted = []
            for (score, address), stamp in zip(hits, stamps, strict=True):
                factor = 1.0
                if stamp is not None and stamp != _I64_MIN:
                    age_days = max(0.0, (now - stamp) / 86400.0)
                    factor += weight * 2.0 ** (-age_days / RECENCY_HALF_LIFE_DAYS)
                boosted.append((score * factor, address))
            hits = sorted(boosted, key=lambda h: h[0], reverse=True)
        return hits[request.offset : want], _count(result)

    @staticmethod
    def _ordered(
        searcher: tantivy.Searcher, query: tantivy.Query, request: SearchRequest, sort: str
    ) -> tuple[list[tuple[float, Any]], int]:
        field, order = {
            "newest": ("t_new", tantivy.Order.Desc),
            "oldest": ("t_old", tantivy.Order.Asc),
            "provider": ("provider_key", tantivy.Order.Asc),
            "title": ("title_sort", tantivy.Order.Asc),
        }[sort]
        result = searcher.search(
            query,
            request.limit,
            count=True,
            order_by_field=field,
            offset=request.offset,
            order=order,
        )
        return [(0.0, a) for _, a in result.hits], _count(result)

    def iter_digests(self) -> Iterator[tuple[str, bytes]]:
        """``(id, digest of the indexed line)`` of every document, duplicates included, in
        index order: what ``newsidx check`` compares with the catalogue."""
        _, searcher = self._searcher()
        total = int(searcher.num_docs)
        if total == 0:
            return
        for _, address in searcher.search(tantivy.Query.all_query(), total).hits:
            doc = searcher.doc(address)
            raw = doc.get_first("digest")
            yield _stored_id(searcher, address, doc), bytes(raw) if raw is not None else b""

    def select(self, request: SearchRequest) -> SearchResults:
        """A page of matching records in a fixed order, no ranking and no snippets.

        ``sort`` is ``newest`` (also for ``relevance``), ``oldest``, ``provider`` or ``title``.
        """
        sort = "newest" if request.sort == "relevance" else request.sort
        if sort not in SELECT_SORTS:
            raise QueryError(f"unknown sort {request.sort!r}: use {', '.join(SELECT_SORTS)}")
        searcher, _, understood, _, page, total = self._page(request, sort, ranked=False)
        hits = tuple(Hit(record, 0.0, (), None)
                     for _, _, record in self._with_records(searcher, page))
        return SearchResults(hits, total, understood)

    def _terms(self, field: str, request: SearchRequest) -> list[tuple[str, int]]:
        index, searcher = self._searcher()
        query, _, _ = self._compile(index, request)
        agg = {"t": {"terms": {"field": field, "size": 65000}}}
        buckets = searcher.aggregate(query, agg)["t"]["buckets"]
        return [(str(b["key"]), int(b["doc_count"])) for b in buckets]

    def facet(self, field: str, request: SearchRequest) -> list[tuple[str, int]]:
        """Counts of matching records per provider key or per topic, largest first.

        Topics differing only in case are merged under their most frequent spelling.
        """
        if field == "provider":
            pairs = self._terms("provider_key", request)
        elif field in fieldterms.FACETS:
            pairs = fieldterms.facet(field, self._terms(fieldterms.FACETS[field], request))
        elif field == "topic":
            merged: dict[str, list[tuple[int, str]]] = {}
            for name, n in self._terms("topic_display", request):
                merged.setdefault(name.lower(), []).append((n, name))
            pairs = [(max(v)[1], sum(n for n, _ in v)) for v in merged.values()]
        else:
            raise QueryError(f"cannot facet on {field!r}: use provider, topic, "
                             "author, lang or folder")
        return sorted(pairs, key=lambda p: (-p[1], p[0]))

    def unknown_providers(self, providers: Iterable[str]) -> list[str]:
        """Those of ``providers`` (domains or names, any case) that no record has."""
        index, searcher = self._searcher()
        unknown = []
        for provider in providers:
            query = q.keyword_filter(index.schema, "provider", [provider])
            if not _count(searcher.search(query, 1, count=True)):
                unknown.append(provider)
        return unknown

    def provider_summary(self, request: SearchRequest) -> list[ProviderRow]:
        """Per provider key: matching records, its most common display name, and the first
        and last publication day (None when all its matching records are undated)."""
        index, searcher = self._searcher()
        query, _, _ = self._compile(index, request)
        agg = {
            "p": {"terms": {"field": "provider_key", "size": 65000}, "aggs": {
                "first": {"min": {"field": "t_old"}},
                "last": {"max": {"field": "t_new"}},
            }},
            # "key<TAB>name" pairs: one flat aggregation instead of a names aggregation
            # nested in every provider's bucket, which took 190 of 210 ms at 100k
            "n": {"terms": {"field": "provider_pair", "size": 1_000_000}},
        }
        found = searcher.aggregate(query, agg)
        names: dict[str, tuple[int, str]] = {}
        for b in found["n"]["buckets"]:
            key, _, name = str(b["key"]).partition("\t")
            best = names.get(key)
            count = int(b["doc_count"])
            if best is None or (-count, name) < (-best[0], best[1]):
                names[key] = (count, name)
        rows = []
        for b in found["p"]["buckets"]:
            key = str(b["key"])
            named = names.get(key)
            rows.append(ProviderRow(
                key, int(b["doc_count"]), named[1] if named else None,
                _day_of(b["first"]["value"]), _day_of(b["last"]["value"]),
            ))
        return sorted(rows, key=lambda r: (-r.records, r.key))

    def provider_keywords(self) -> list[str]:
        """Every provider domain and name as the index keeps them (lower case)."""
        return [key for key, _ in self._terms("provider", SearchRequest())]

    def date_span(self, request: SearchRequest) -> tuple[datetime | None, datetime | None]:
        """The first and last publication instants among matching dated records."""
        index, searcher = self._searcher()
        query, _, _ = self._compile(index, request)
        ends: list[datetime | None] = []
        for field, order, missing in (
            ("t_old", tantivy.Order.Asc, _I64_MAX),
            ("t_new", tantivy.Order.Desc, _I64_MIN),
        ):
            result = searcher.search(query, 1, order_by_field=field, order=order)
            stamps = searcher.fast_field_values(field, [a for _, a in result.hits])
            stamp = stamps[0] if stamps else None
            ends.append(
                None
                if stamp is None or stamp == missing
                else datetime.fromtimestamp(stamp, timezone.utc)
            )
        return ends[0], ends[1]

    def histogram(self, request: SearchRequest, by: str) -> list[tuple[str, int]]:
        """Counts of matching dated records per UTC day (``2024-03-05``), ISO week
        (``2024-W10``), month (``2024-03``) or year, oldest first; undated ones are left out."""
        if by not in BUCKETS:
            raise QueryError(f"unknown period {by!r}: use {', '.join(BUCKETS)}")
        return sorted(self._terms("bucket_" + by, request))


def _stored_id(searcher: tantivy.Searcher, address: Any, doc: Any = None) -> str:
    """The record id a document stores."""
    try:
        value = (doc if doc is not None else searcher.doc(address)).get_first("id")
    except (ValueError, OSError) as exc:
        raise _damaged(None, exc) from None
    if not isinstance(value, str):
        raise CatalogueError("search index holds a document without its id; "
                             "run newsidx check --repair")
    return value


def _count(result: tantivy.SearchResult) -> int:
    return int(result.count)  # type: ignore[attr-defined]


def _has_filters(request: SearchRequest) -> bool:
    return bool(
        request.providers
        or request.topics
        or request.authors or request.langs or request.folders
        or request.kind
        or request.since is not None
        or request.until is not None
    )


def _check_page(request: SearchRequest) -> None:
    if request.limit < 0:
        raise QueryError(f"limit must be 0 or more, not {request.limit}")
    if request.offset < 0:
        raise QueryError(f"offset must be 0 or more, not {request.offset}")


def _fit_page(request: SearchRequest, docs: int) -> SearchRequest:
    """The request's page cut to the ``docs`` records the index holds. tantivy makes room
    for offset + limit hits up front, so an absurd ``--limit`` or ``--offset`` would abort
    the process or overflow; no page can hold more than every record anyway."""
    offset = min(request.offset, docs)
    return request._replace(offset=offset, limit=min(request.limit, docs - offset))


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


def _date_text(since: datetime | None, until: datetime | None) -> str:
    parts = []
    if since is not None:
        parts.append(f"published >= {since.isoformat().replace('+00:00', 'Z')}")
    if until is not None:
        parts.append(f"published < {until.isoformat().replace('+00:00', 'Z')}")
    return " AND ".join(parts)


class IndexSession:
    """One tantivy writer kept open across the commits of one run.

    Each :meth:`update` commits without waiting for tantivy's background merges, so they
    overlap with the next batch's parsing instead of stalling the run; :meth:`close`
    waits for them once. State is written after each commit, so readers and a crash see
    a complete index of some committed generation.
    """

    def __init__(self, index: SearchIndex) -> None:
        self.index = index
        self._writer: tantivy.IndexWriter | None = None
        self._data: str | None = None

    def rebuild(self, records: Iterable[Article | tantivy.Document], generation: int) -> None:
        """Index ``records`` from scratch in a new data folder, then swap it in."""
        self.close()
        idx = self.index
        with self._guarded(), indexdirs.building(idx.path, idx._live_data):
            data = f"data-{os.urandom(6).hex()}"
            (idx.path / data).mkdir()
            index = tantivy.Index(_schema(), path=str(idx.path / data), reuse=False)
            analysis.register(index)
            writer = idx._writer(index)
            self._writer, self._data = writer, data
            for record in records:
                writer.add_document(_document(record))
            writer.commit()
            replaced = idx._live_data()
            idx._write_state(data, generation)
            if replaced is not None and replaced != data:
                import shutil  # only a rebuild needs it; searches start faster without

                shutil.rmtree(idx.path / replaced, ignore_errors=True)

    def update(
        self, *, upserts: Iterable[Article | tantivy.Document], deletes: Iterable[str],
        generation: int,
    ) -> None:
        """Apply one catalogue commit to the live index (see :meth:`SearchIndex.update`)."""
        idx = self.index
        if self._writer is None:
            indexdirs.sweep(idx.path, idx._live_data)  # a crashed rebuild's leftovers
            index = idx._open()
            state = idx._state
            assert state is not None
            self._writer, self._data = idx._writer(index), str(state["data"])
        writer, data = self._writer, self._data
        assert data is not None
        with self._guarded():
            for record_id in deletes:
                writer.delete_documents_by_term("id", record_id)
            for record in upserts:
                writer.delete_documents_by_term("id", _record_id(record))
                writer.add_document(_document(record))
            writer.commit()
            idx._write_state(data, generation)

    @contextlib.contextmanager
    def _guarded(self) -> Iterator[None]:
        """On any failure roll the writer back and drop it; an OSError becomes a
        :class:`CatalogueError` naming the index folder."""
        try:
            yield
        except OSError as exc:
            self._abandon()
            raise CatalogueError(
                f"{self.index.path}: cannot write the search index: {exc}"
            ) from exc
        except BaseException:
            self._abandon()
            raise

    def _abandon(self) -> None:
        writer, self._writer, self._data = self._writer, None, None
        if writer is not None:
            try:
                writer.rollback()
            finally:
                writer.wait_merging_threads()

    def close(self) -> None:
        """Wait for background merges and release the writer (its lock on the folder)."""
        writer, self._writer, self._data = self._writer, None, None
        if writer is not None:
            writer.wait_merging_threads()
