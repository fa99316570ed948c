"""The newsidx library: an :class:`Archive` of news records you can ingest into, search,
list, count, chart over time, export and check.

Every method returns typed, immutable values (:class:`~newsidx.hits.SearchResults`,
:class:`Stats`, :class:`Timeline`, :class:`~newsidx.ingest.IngestReport`...) or raises
a :class:`~newsidx.errors.NewsidxError`; nothing here prints or touches a stream.
People are told things through the optional ``notify`` and ``progress`` callbacks.
The index is kept in step by :mod:`newsidx.freshness`, so a caller never has to.
See docs/api.md.

Heavy modules (tantivy, the ingest machinery) are imported by the methods that need
them, so ``import newsidx`` stays cheap.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Literal, NoReturn, TypeVar

from newsidx.answers import Count as Count
from newsidx.answers import Links as Links
from newsidx.answers import ProviderCount as ProviderCount
from newsidx.answers import Stats as Stats
from newsidx.answers import Stories as Stories
from newsidx.answers import Story as Story
from newsidx.answers import StoryResults as StoryResults
from newsidx.answers import StoryRow as StoryRow
from newsidx.answers import StorySummary as StorySummary
from newsidx.answers import Timeline as Timeline
from newsidx.errors import CatalogueError, QueryError, UnknownProvider
from newsidx.filters import NO_FILTERS, Filters, matches, to_request
from newsidx.freshness import Notify, fresh_index, index_for, rebuild
from newsidx.hits import ResultStream, SearchResults
from newsidx.storyapi import StoryReads
from newsidx.timeline import PERIODS, auto_bucket, fill_gaps

if TYPE_CHECKING:
    from newsidx.catalogue import Catalogue
    from newsidx.check import CheckReport
    from newsidx.formats.dryrun import FilePlan
    from newsidx.index import SearchIndex
    from newsidx.ingest import IngestReport, ProgressEvent
    from newsidx.jsonl import JsonlResult
    from newsidx.model import Article
    from newsidx.progress import OnStep

SEARCH_SORTS = ("relevance", "newest", "oldest")
LIST_SORTS = ("newest", "oldest", "provider", "title")
FacetField = Literal["provider", "topic", "author", "lang", "folder"]
CountSort = Literal["count", "name"]
_Row = TypeVar("_Row")


class Archive(StoryReads):
    """A catalogue of news records and its search index, at ``root`` (``None``: the
    default, ``$NEWSIDX_CATALOGUE`` or ``$XDG_DATA_HOME/newsidx``).

    Reads see the latest commit each time; a missing or stale index is rebuilt once
    before a read. ``notify`` receives a line for a person when that happens.
    """

    def __init__(self, root: str | os.PathLike[str] | None = None, *,
                 notify: Notify | None = None) -> None:
        from newsidx.catalogue import default_root

        self.root = Path(root) if root is not None else default_root()
        self._notify = notify

    def __repr__(self) -> str:
        return f"Archive({os.fspath(self.root)!r})"

    @property
    def catalogue(self) -> Catalogue:
        """The underlying store, as of now (for what this class does not cover)."""
        from newsidx.catalogue import Catalogue

        catalogue = Catalogue(self.root)
        catalogue.notify = self._notify
        return catalogue

    @property
    def generation(self) -> int:
        """The committed generation: 0 for an empty archive, +1 with each commit."""
        return self.catalogue.peek_generation()

    @property
    def stories_on(self) -> bool:
        """Whether ingest groups this archive's records into stories (``ingest
        --stories``); when not, every record is its own story."""
        from newsidx.store.settings import read_settings

        return read_settings(self.catalogue.root).stories

    def __len__(self) -> int:
        return len(self.catalogue)

    def __iter__(self) -> Iterator[Article]:
        """Every record, in storage order."""
        return self.catalogue.iter_records()

    # -- writing ----------------------------------------------------------------------

    def ingest(self, paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]], *,
               prune: bool = False,
               hidden: bool = False, strict: bool = False, wait: bool = False,
               jobs: int | None = None, max_size: int | None = None,
               progress: Callable[[ProgressEvent], None] | None = None,
               include: Sequence[str] = (), exclude: Sequence[str] = (),
               no_ignore: bool = False,
               field_map: Sequence[str] = (), stories: bool | None = None) -> IngestReport:
        """Add or update the articles under ``paths`` (files or folders) and keep the index
        in step. Raises UsageError (missing path), LockedError (another writer, unless
        ``wait``), IngestFailed (``strict`` and a file failed: nothing written).
        ``include``/``exclude``: gitignore-style globs relative to each root;
        ``no_ignore``: read files that ``.gitignore``/``.ignore`` files leave out;
        ``field_map``: ``FIELD=KEY.PATH`` overrides of the dataset mapping guesses (a
        dataset given them is read again even when unchanged);
        ``stories``: True/False turns grouping into stories on/off for this and every
        later ingest (kept in the catalogue's ``settings.json``); None keeps it."""
        from newsidx import ingest
        from newsidx.formats import dataset
        from newsidx.freshness import index_sync
        from newsidx.selection import Selection

        catalogue = self.catalogue
        before = dataset.overrides()
        dataset.set_overrides(dataset.parse_overrides(field_map))
        try:
            return ingest.ingest(
                _paths(paths), catalogue, prune=prune, hidden=hidden, strict=strict,
                wait=wait, jobs=jobs,
                max_size=ingest.DEFAULT_MAX_SIZE if max_size is None else max_size,
                progress=progress, index_sync=index_sync(catalogue),
                selection=Selection(tuple(include), tuple(exclude), no_ignore),
                stories=stories,
            )
        finally:
            dataset.set_overrides(before)

    def dry_run(self, paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]], *,
                field_map: Sequence[str] = (), max_size: int | None = None,
                ) -> Iterator[FilePlan]:
        """What :meth:`ingest` would make of each file under ``paths`` (its kind, a
        dataset's mapping, unmapped keys and sample records), reading only; the catalogue
        is not opened. Raises UsageError for a bad ``field_map``."""
        from newsidx.formats import dataset, dryrun
        from newsidx.parse import DEFAULT_MAX_SIZE

        parsed = dataset.parse_overrides(field_map)
        before = dataset.overrides()
        dataset.set_overrides(parsed)
        try:
            yield from dryrun.plan(_paths(paths),
                                   DEFAULT_MAX_SIZE if max_size is None else max_size)
        finally:
            dataset.set_overrides(before)

    def ingest_jsonl(self, files: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
                     *, wait: bool = False) -> JsonlResult:
        """Store every record of ``newsidx export --format jsonl`` files in one commit (the
        index follows). Raises ParseError naming the first bad line; nothing is written."""
        from newsidx.jsonl import ingest_jsonl

        return ingest_jsonl(self.catalogue, [Path(f) for f in _paths(files)], wait=wait)

    def reindex(self, *, wait: bool = False, progress: OnStep | None = None) -> int:
        """Rebuild the search index from the catalogue; returns the records indexed.
        ``progress`` receives a :class:`~newsidx.progress.Step` as the work goes on."""
        return rebuild(self.catalogue, wait=wait, progress=progress)

    def check(self, *, repair: bool = False, wait: bool = False,
              progress: OnStep | None = None) -> CheckReport:
        """Check that the catalogue is intact and the index matches it; with ``repair``,
        rebuild what can be rebuilt. ``report.ok`` says whether anything remains wrong.
        ``progress`` receives a :class:`~newsidx.progress.Step` as the work goes on."""
        from newsidx.check import check

        return check(self.catalogue, repair=repair, wait=wait, progress=progress)

    # -- one record -------------------------------------------------------------------

    def get(self, ref: str) -> Article:
        """The record with this id, unique id prefix (4+ characters) or URL; NotFoundError."""
        return self.catalogue.get(ref)

    def short_ids(self, ids: Iterable[str], *, length: int = 6) -> dict[str, str]:
        """Each id's shortest prefix of at least ``length`` characters that no other record
        shares, the handle a person types into ``get`` (the full id when none is shorter)."""
        book = self.catalogue.bookkeeping()
        out: dict[str, str] = {}
        for rid in ids:
            short = rid
            if book is not None:
                for size in range(length, len(rid)):
                    if book.with_prefix(rid[:size], limit=2) == [rid]:
                        short = rid[:size]
                        break
            out[rid] = short
        return out

    def links(self, record: Article) -> Links:
        """The stored records ``record`` cites and those citing it (missing ones left out)."""
        ids = [r.id for r in record.related] + list(record.parents)
        found = self.catalogue.get_many(ids)
        return Links(tuple(found[r.id] for r in record.related if r.id in found),
                     tuple(found[p] for p in record.parents if p in found))

    # -- reading through the index ------------------------------------------------------

    def search(self, query: str, filters: Filters | None = None, *, limit: int = 20,
               offset: int = 0, sort: str = "relevance", recency_weight: float | None = None,
               explain: bool = False, snippets: bool = True) -> SearchResults:
        """Records matching ``query`` (see docs/search.md) and ``filters``, best first (or
        ``newest``/``oldest``). QueryError for a malformed query, date, sort or provider."""
        from newsidx.query import parse

        parse(query)  # a malformed query fails before any index work
        _check_page(sort, SEARCH_SORTS, limit, offset)
        filters = filters or NO_FILTERS
        request = to_request(filters, query, limit=limit, offset=offset, sort=sort,
                             recency_weight=recency_weight)
        index = self._index(filters)
        if index is None:
            return SearchResults((), 0, "")
        return index.search(request, explain=explain, snippets=snippets)

    def list(self, filters: Filters | None = None, *, limit: int = 20, offset: int = 0,
             sort: str = "newest") -> SearchResults:
        """A page of the records ``filters`` keep, ``newest``, ``oldest``, by ``provider``
        or by ``title``; hits have no snippets."""
        _check_page(sort, LIST_SORTS, limit, offset)
        filters = filters or NO_FILTERS
        request = to_request(filters, limit=limit, offset=offset, sort=sort)
        index = self._index(filters)
        return SearchResults((), 0, "") if index is None else index.select(request)

    def iter_search(self, query: str, filters: Filters | None = None, *,
                    limit: int | None = None, offset: int = 0, sort: str = "relevance",
                    recency_weight: float | None = None,
                    snippets: bool = True) -> ResultStream:
        """Like :meth:`search`, but every match (or ``limit`` of them) as a stream that
        reads each record only when it is taken."""
        from newsidx.query import parse

        parse(query)
        return self._stream(query, filters, limit, offset, sort, SEARCH_SORTS, False,
                            recency_weight=recency_weight, snippets=snippets)

    def iter_list(self, filters: Filters | None = None, *, limit: int | None = None,
                  offset: int = 0, sort: str = "newest") -> ResultStream:
        """Like :meth:`list`, but every record the filters keep (or ``limit`` of them),
        streamed."""
        return self._stream("", filters, limit, offset, sort, LIST_SORTS, True)

    def _stream(self, query: str, filters: Filters | None, limit: int | None, offset: int,
                sort: str, sorts: tuple[str, ...], listing: bool, *,
                recency_weight: float | None = None, snippets: bool = False) -> ResultStream:
        _check_page(sort, sorts, 0 if limit is None else limit, offset)
        filters = filters or NO_FILTERS
        # None is everything: the index cuts a page to the documents it holds
        request = to_request(filters, query, limit=2**62 if limit is None else limit,
                             offset=offset, sort=sort, recency_weight=recency_weight)
        index = self._index(filters)
        if index is None:
            return ResultStream(iter(()), 0, "")
        return index.stream(request, listing=listing, snippets=snippets)

    def count(self, query: str = "", filters: Filters | None = None) -> int:
        """How many records match ``query`` and ``filters``."""
        filters = filters or NO_FILTERS
        request = to_request(filters, query)
        index = self._index(filters)
        return 0 if index is None else index.count(request)

    def facets(self, field: FacetField, query: str = "", filters: Filters | None = None, *,
               sort: CountSort = "count") -> tuple[Count, ...]:
        """Matching records per provider key, topic, author, language or folder (topics and
        authors differing only in case count as one), most first or by name."""
        if field not in ("provider", "topic", "author", "lang", "folder"):
            raise QueryError(f"cannot count by {field!r}: use provider, topic, author, lang "
                             "or folder")
        filters = filters or NO_FILTERS
        request = to_request(filters, query)
        index = self._index(filters)
        rows = [] if index is None else index.facet(field, request)
        return tuple(Count(k, n) for k, n in _sorted(rows, sort, lambda r: r[0], lambda r: r[1]))

    def providers(self, query: str = "", filters: Filters | None = None, *,
                  sort: CountSort = "count") -> tuple[ProviderCount, ...]:
        """Every provider of the matching records with its name and date range."""
        filters = filters or NO_FILTERS
        request = to_request(filters, query)
        index = self._index(filters)
        rows = [] if index is None else index.provider_summary(request)
        return tuple(ProviderCount(r.key, r.records, r.name, r.first, r.last)
                     for r in _sorted(rows, sort, lambda r: r.key, lambda r: r.records))

    def timeline(self, query: str = "", filters: Filters | None = None, *,
                 by: str = "auto", stories: bool = False) -> Timeline:
        """Matching dated records per ``day``, ``week``, ``month`` or ``year`` (``auto``:
        chosen from the span of dates), the empty periods between included. ``stories``:
        count stories instead, each in the period of its earliest matching record."""
        if by != "auto" and by not in PERIODS:
            raise QueryError(f"unknown period {by!r}: use auto, {', '.join(PERIODS)}")
        filters = filters or NO_FILTERS
        request = to_request(filters, query, limit=0)
        index = self._index(filters)
        if index is None:
            return Timeline("day" if by == "auto" else by, (), 0 if stories else None)
        if stories:
            from newsidx.storylist import story_timeline

            return story_timeline(index, request, by)
        if by == "auto":
            days = index.histogram(request, "day")
            by = auto_bucket(days[0][0] if days else None, days[-1][0] if days else None)
            buckets = days if by == "day" else index.histogram(request, by)
        else:
            buckets = index.histogram(request, by)
        return Timeline(by, tuple(Count(k, n) for k, n in fill_gaps(buckets, by)))

    def stats(self) -> Stats:
        """Totals, providers, topics, date range and sizes on disk. While an ingest creates
        the index, the counts come from the catalogue manifest instead."""
        catalogue = self.catalogue
        generation = catalogue.peek_generation()
        if not generation:
            _refuse_if_first_write(catalogue)
        totals: Mapping[str, int] = catalogue.head()["totals"] if generation else {}
        providers = topics = 0
        first = last = None
        if generation:
            try:
                index = fresh_index(catalogue, generation=generation, notify=self._notify)
            except CatalogueError:
                m = catalogue.manifest()
                providers, topics = len(m["providers"]), len(m["topics"])
                days = sorted(m["dates"])
                first, last = (days[0], days[-1]) if days else (None, None)
            else:
                request = to_request(NO_FILTERS)
                providers = len(index.facet("provider", request))
                topics = len(index.facet("topic", request))
                span = index.date_span(request)
                first, last = (d.strftime("%Y-%m-%d") if d else None for d in span)
        index_dir = index_for(catalogue).path
        return Stats(
            catalogue=str(catalogue.root), records=totals.get("records", 0),
            articles=totals.get("articles", 0), related=totals.get("related", 0),
            providers=providers, topics=topics, first_date=first, last_date=last,
            undated=totals.get("undated", 0), sources=totals.get("files", 0),
            catalogue_bytes=_disk_size(catalogue.root, skip=index_dir.name),
            index_bytes=_disk_size(index_dir), generation=generation,
        )

    # -- reading the catalogue ----------------------------------------------------------

    def export(self, filters: Filters | None = None, *, query: str = "") -> Iterator[Article]:
        """Every record ``filters`` keep, streamed from the catalogue (not the index), in
        storage order. An unknown provider or bad date fails here, before the first one;
        a catalogue found damaged on the way (an unreadable line, a lost shard) raises
        CatalogueError after the last readable record. With a ``query``, the matching
        records come from the index instead, best first."""
        filters = filters or NO_FILTERS
        if query.strip():
            hits = self.iter_search(query, filters, snippets=False)
            return (hit.record for hit in hits)
        catalogue = self.catalogue
        if not catalogue.peek_generation():
            _refuse_if_first_write(catalogue)
        if filters.providers:
            _check_providers_in_manifest(catalogue.manifest(), filters.providers)
        keep = matches(filters)

        def stream() -> Iterator[Article]:
            read = 0
            for record in catalogue.iter_records():
                read += 1
                if keep(record):
                    yield record
            problem = catalogue.damage(read)
            if problem is not None:  # after every readable record: nothing is held back
                raise CatalogueError(problem)

        return stream()

    # -- internals ----------------------------------------------------------------------

    def _index(self, filters: Filters) -> SearchIndex | None:
        """The current index, once ``filters``' providers are known to it; None for an
        empty archive, which has nothing to search."""
        catalogue = self.catalogue
        generation = catalogue.peek_generation()
        if not generation:
            _refuse_if_first_write(catalogue)
            return None
        index = fresh_index(catalogue, generation=generation, notify=self._notify)
        if filters.providers:
            unknown = index.unknown_providers(filters.providers)
            if unknown:
                _unknown_provider(unknown[0], {k: k for k in index.provider_keywords()})
        return index


def _refuse_if_first_write(catalogue: Catalogue) -> None:
    """An archive with nothing committed is empty, unless its first ingest is running:
    then it is not empty but unfinished, and saying "empty" would send people to start
    a second ingest. Raises CatalogueError (exit 2) naming the writer."""
    from newsidx.store.holder import writer_pid

    pid = writer_pid(catalogue.root)
    if pid is not None:
        raise CatalogueError(
            f"catalogue {catalogue.root} is being written by another newsidx process "
            f"(pid {pid}) and has nothing committed yet; retry when its ingest finishes")


def _paths(paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
           ) -> list[str | os.PathLike[str]]:
    """One path or several; a single string is one path, never its letters."""
    if isinstance(paths, str | os.PathLike):
        return [paths]
    return list(paths)


def _check_page(sort: str, sorts: tuple[str, ...], limit: int, offset: int) -> None:
    if sort not in sorts:
        raise QueryError(f"unknown sort {sort!r}: use {', '.join(sorts)}")
    if limit < 0:
        raise QueryError(f"limit must be 0 or more, not {limit}")
    if offset < 0:
        raise QueryError(f"offset must be 0 or more, not {offset}")


def _sorted(rows: Iterable[_Row], sort: str, key: Callable[[_Row], str],
            count: Callable[[_Row], int]) -> list[_Row]:
    """Most first (ties by name, case ignored), or by name."""
    if sort == "name":
        return sorted(rows, key=lambda r: (key(r).lower(), key(r)))
    if sort == "count":
        return sorted(rows, key=lambda r: (-count(r), key(r).lower(), key(r)))
    raise QueryError(f"unknown sort {sort!r}: use count or name")


def _check_providers_in_manifest(manifest: Mapping[str, object],
                                 providers: Iterable[str]) -> None:
    """Fail with the closest known providers when one is not in the manifest."""
    known = manifest.get("providers") or {}
    if not isinstance(known, Mapping):
        raise CatalogueError("the catalogue manifest is corrupt (providers is not an object); "
                             "run `newsidx check --repair`")
    names = {str(k).lower(): str(k) for k in known}
    names.update({str(v.get("name") or "").lower(): str(k) for k, v in known.items()
                  if isinstance(v, Mapping) and v.get("name")})
    for provider in providers:
        if provider.lower() not in names:
            _unknown_provider(provider, names)


def _unknown_provider(provider: str, names: Mapping[str, str]) -> NoReturn:
    """Raise UnknownProvider with up to three known names, most similar first."""
    from newsidx.suggest import closest

    close = list(dict.fromkeys(names[c] for c in closest(provider, list(names))))[:3]
    hint = ("; did you mean " + ", ".join(close) + "?" if close
            else "; see `newsidx providers`")
    raise UnknownProvider(f"unknown provider {provider!r}{hint}")


def _disk_size(path: Path, skip: str | None = None) -> int:
    total = 0
    for top, dirs, files in os.walk(path):
        if skip is not None and top == str(path):
            dirs[:] = [d for d in dirs if d != skip]
        for name in files:
            try:
                total += os.lstat(os.path.join(top, name)).st_size
            except OSError:
                continue
    return total
