"""The tantivy full-text index derived from the catalogue: its state, and pages of hits.

Layout under ``<catalogue>/index``: ``state.json`` names the live data directory, the
schema version and the catalogue generation the index reflects; ``data-<hex>/`` holds
the tantivy files. A rebuild writes a fresh data directory and swaps ``state.json``
atomically, so readers always see a complete index; a data folder a crashed rebuild
left behind is removed by the next index write or ``newsidx check``
(:mod:`newsidx.indexdirs`). The index stores only each record's id and a digest of its
catalogue line: the records of a page of hits are read from the catalogue by id
(:mod:`newsidx.hitrecords`), so the archive is not held twice. Ranking and fields are
described in docs/search.md.

The schema (its version and fields) and the documents are in :mod:`newsidx.indexdoc`,
requests and their compiling in :mod:`newsidx.indexrequest`, counts in
:mod:`newsidx.indexcounts`, the writer in :mod:`newsidx.indexsession`; their public
names are importable from here too.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import tantivy

from newsidx import analysis, indexdirs, plaintext, titleorder
from newsidx import query as q
from newsidx.errors import CatalogueError, QueryError
from newsidx.hits import Hit, ResultStream, SearchResults
from newsidx.indexcounts import Counting, ProviderRow
from newsidx.indexdoc import (
    BUCKETS,
    DATE_MAX,
    DATE_MIN,
    I64_MIN,
    SCHEMA_VERSION,
    IndexDoc,
    IndexValues,
    clamp_date,
    field_names,
    index_values,
    record_digest,
)
from newsidx.indexrequest import (
    DEFAULT_RECENCY_WEIGHT,
    SELECT_SORTS,
    SORTS,
    SearchRequest,
    check_page,
    compile_request,
    count_of,
    fit_page,
)
from newsidx.indexsession import IndexSession
from newsidx.model import Article

if TYPE_CHECKING:
    from newsidx.hitrecords import RecordSource

__all__ = [
    "BUCKETS", "DATE_MAX", "DATE_MIN", "DEFAULT_RECENCY_WEIGHT", "RECENCY_HALF_LIFE_DAYS",
    "RERANK_DEPTH", "SCHEMA_VERSION", "SELECT_SORTS", "SORTS", "STATE_FILE", "IndexDoc",
    "IndexSession", "IndexValues", "ProviderRow", "SearchIndex", "SearchRequest",
    "clamp_date", "index_values", "record_digest",
]

STATE_FILE = "state.json"
RECENCY_HALF_LIFE_DAYS = 30.0
RERANK_DEPTH = 200
_DATA_NAME = re.compile(r"data-[0-9a-f]+")
_FETCH_BATCH = 200  # hits whose records a stream reads from the catalogue at a time


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


class SearchIndex(Counting):
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

    def rebuild(self, records: Iterable[Article | IndexDoc], generation: int) -> None:
        """Index ``records`` (or their documents, :class:`IndexDoc`) from scratch in a new
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
        self, *, upserts: Iterable[Article | IndexDoc], deletes: Iterable[str],
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

    def count(self, request: SearchRequest) -> int:
        """How many records match the request's text and filters."""
        index, searcher = self._searcher()
        query, _, _ = compile_request(index, request)
        return count_of(searcher.search(query, 1, count=True))

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

    def marked(self, request: SearchRequest, hits: Iterable[Hit]) -> list[Hit]:
        """``hits`` of ``request`` found without snippets, given their snippets and title
        highlights now (a grouped page marks only the rows it shows)."""
        index, searcher = self._searcher()
        query, _, highlights = compile_request(index, request)
        return [self._hit(searcher, query, highlights, h.score or 0.0, None, h.record,
                          False, True) for h in hits]

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
        check_page(request)
        index, searcher = self._searcher()
        request = fit_page(request, int(searcher.num_docs))
        query, understood, highlights = compile_request(index, request)
        if request.limit == 0:
            return searcher, query, understood, highlights, [], count_of(searcher.search(query, 1))
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
        text = _condense(tree, field_names())
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
                if stamp is not None and stamp != I64_MIN:
                    age_days = max(0.0, (now - stamp) / 86400.0)
                    factor += weight * 2.0 ** (-age_days / RECENCY_HALF_LIFE_DAYS)
                boosted.append((score * factor, address))
            hits = sorted(boosted, key=lambda h: h[0], reverse=True)
        return hits[request.offset : want], count_of(result)

    def _ordered(
        self, searcher: tantivy.Searcher, query: tantivy.Query, request: SearchRequest,
        sort: str,
    ) -> tuple[list[tuple[float, Any]], int]:
        if sort == "title":
            page, total = titleorder.title_page(
                searcher, self._open().schema, query, request.offset, request.limit,
                lambda addresses: self._sort_titles(searcher, addresses))
            return [(0.0, a) for a in page], total
        field, order = {
            "newest": ("t_new", tantivy.Order.Desc),
            "oldest": ("t_old", tantivy.Order.Asc),
            "provider": ("provider_key", tantivy.Order.Asc),
        }[sort]
        result = searcher.search(
            query,
            request.limit,
            count=True,
            order_by_field=field,
            offset=request.offset,
            order=order,
        )
        return [(0.0, a) for _, a in result.hits], count_of(result)

    def _sort_titles(self, searcher: tantivy.Searcher, addresses: Sequence[Any]
                     ) -> dict[tuple[int, int], str]:
        """What title order compares of the records at ``addresses``."""
        found = self._with_records(searcher, [(0.0, a) for a in addresses])
        return {(int(a.segment_ord), int(a.doc)): analysis.sort_title(r.title)
                for _, a, r in found}

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
