"""What each CLI command does between parsing its arguments and rendering: call the
library, keep the index in step with the catalogue, pick exit codes.

Kept apart from :mod:`newsidx.cli` so that the click layer stays a thin list of
options. Imports nothing heavy at module level: ``search --format ids`` must not pay
for rich, csv or the ingest machinery.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TextIO

from newsidx.errors import QueryError
from newsidx.options import Filters
from newsidx.safetext import escape_name

if TYPE_CHECKING:
    from newsidx.catalogue import Catalogue
    from newsidx.index import SearchIndex, SearchRequest
    from newsidx.ingest import IngestReport, ProgressEvent
    from newsidx.model import Article

_SIZE = r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?\s*$"  # compiled only by ingest


def note(message: str) -> None:
    """One ``newsidx: ...`` line on stderr."""
    sys.stderr.write(f"newsidx: {escape_name(message)}\n")
    sys.stderr.flush()


def size_bytes(text: str) -> int:
    """``10M``, ``512k``, ``1.5G`` or a plain byte count as bytes (powers of 1024)."""
    match = re.match(_SIZE, text, re.IGNORECASE)
    if not match:
        raise ValueError(f"{text!r} is not a size such as 500K, 10M or 1G")
    power = " kmgt".index(match.group(2).lower() or " ")
    return int(float(match.group(1)) * 1024**power)


# ----------------------------------------------------------------- ingest


def _progress(stream: TextIO) -> tuple[Callable[[ProgressEvent], None] | None, Any]:
    """A rich progress bar on a terminal's stderr, else nothing."""
    if not stream.isatty():
        return None, None
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                   console=Console(file=stream), transient=True)
    task = bar.add_task("reading", total=None)

    def update(event: ProgressEvent) -> None:
        if event.stage == "walk":
            bar.update(task, description="finding files", completed=event.done,
                       total=event.total or None)
        elif event.stage == "file":
            bar.update(task, description="reading", completed=event.done, total=event.total)
        else:
            bar.update(task, description="saving")

    return update, bar


def ingest_summary(report: IngestReport) -> dict[str, Any]:
    """The counts a person (or ``--format json``) wants after an ingest."""
    return {
        "files_seen": report.files_seen,
        "new": len(report.new),
        "updated": len(report.updated),
        "unchanged": report.unchanged,
        "skipped": len(report.skipped),
        "failed": len(report.failed),
        "stale": len(report.stale),
        "pruned": len(report.pruned),
        "records_added": report.records_added,
        "records_updated": report.records_updated,
        "records_removed": report.records_removed,
        "records_total": report.records_total,
    }


def run_ingest(catalogue: Catalogue, paths: Iterable[Path], *, jsonl: Iterable[Path],
               max_size: int, fmt: str, out: TextIO, **options: Any) -> int:
    """Ingest, print the summary and every failed or skipped file; returns the exit code."""
    feeds = list(jsonl)
    if feeds:
        code = _ingest_jsonl(catalogue, feeds, fmt=fmt, out=out, wait=options.get("wait", False))
        paths = list(paths)
        if not paths:
            return code
    from newsidx import ingest
    from newsidx.index import SearchIndex

    progress, bar = _progress(sys.stderr)
    index = SearchIndex(catalogue.root / "index")
    try:
        if bar is not None:
            bar.start()
        report = ingest.ingest([os.fspath(p) for p in paths], catalogue, max_size=max_size,
                               progress=progress, index_sync=ingest.index_sync_for(index),
                               **options)
    except ingest.IngestFailed as exc:
        _print_files(exc.report)
        raise
    finally:
        if bar is not None:
            bar.stop()
    _print_files(report)
    summary = ingest_summary(report)
    if fmt == "json":
        import json

        data: dict[str, Any] = {
            "newsidx_format": 1, **summary,
            "failed_files": [{"path": p, "reason": r} for p, r in report.failed],
            "skipped_files": [{"path": p, "reason": r} for p, r in report.skipped],
            "stale_files": report.stale,
        }
        out.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
    else:
        out.write(_summary_line(report, summary) + "\n")
    return report.exit_code


def _ingest_jsonl(catalogue: Catalogue, files: list[Path], *, fmt: str, out: TextIO,
                  wait: bool) -> int:
    """``ingest --from-jsonl``: one commit of every record of ``files``, then the summary."""
    from newsidx.jsonl import ingest_jsonl, summary

    result = ingest_jsonl(catalogue, files, wait=wait)
    if fmt == "json":
        import json

        out.write(json.dumps({"newsidx_format": 1, **summary(result)}, ensure_ascii=False,
                             indent=2) + "\n")
    else:
        out.write(f"{result.records_added} records added, {result.records_updated} updated "
                  f"from {len(files)} JSON Lines file(s); {result.records_total} records in "
                  "the catalogue\n")
    return 0


def _print_files(report: IngestReport) -> None:
    for path, reason in report.failed:
        note(f"failed: {path}: {reason}")
    for path, reason in report.skipped:
        note(f"skipped: {path}: {reason}")
    for path, warnings in sorted(report.warnings.items()):
        for warning in warnings:
            note(f"warning: {path}: {warning}")
    for path in report.stale:
        note(f"stale: {path}: file is gone (use --prune to drop its records)")


def _summary_line(report: IngestReport, s: Mapping[str, Any]) -> str:
    head = "nothing changed" if not report.changed else (
        f"{s['records_added']} records added, {s['records_updated']} updated, "
        f"{s['records_removed']} removed")
    return (f"{head}; files: {s['files_seen']} seen, {s['new']} new, {s['updated']} updated, "
            f"{s['unchanged']} unchanged, {s['skipped']} skipped, {s['failed']} failed, "
            f"{s['stale']} stale; {s['records_total']} records in the catalogue")


# ----------------------------------------------------------------- index


def open_index(catalogue: Catalogue, *, generation: int | None = None) -> SearchIndex:
    """The search index, rebuilt first (with a note on stderr) when it is missing or stale.

    ``generation`` is the catalogue's :meth:`~Catalogue.peek_generation` when the caller
    has just read it, so the manifest is not opened twice.

    The rebuild runs under the catalogue's writer lock, so it never races an ingest
    (which keeps the index in step itself). While an ingest holds the lock, a stale
    index is searched as it is, with a note; a missing one is an error to retry.
    """
    from newsidx.errors import CatalogueError, LockedError
    from newsidx.index import SearchIndex

    index = SearchIndex(catalogue.root / "index")
    if generation is None:
        generation = catalogue.peek_generation()
    if not generation or index.generation() == generation:
        return index
    try:
        with catalogue.writer():
            generation = catalogue.generation
            if index.generation() != generation:
                note("the search index is missing or out of date; rebuilding it")
                index.rebuild(catalogue.iter_records(), generation)
    except LockedError:
        if not index.exists():
            raise CatalogueError(f"catalogue {catalogue.root} is being written by an ingest and "
                                 "has no search index yet; retry when it finishes") from None
        note("an ingest is running: results may not include its latest changes")
    return index


def rebuild_index(catalogue: Catalogue) -> int:
    """Rebuild the index from scratch; returns the number of records indexed."""
    from newsidx.index import SearchIndex

    index = SearchIndex(catalogue.root / "index")
    index.rebuild(catalogue.iter_records(), catalogue.generation)
    return len(catalogue)


def check_providers(catalogue: Catalogue, providers: Iterable[str], *,
                    index: SearchIndex | None = None) -> None:
    """Fail with the closest known providers when one is unknown.

    With ``index`` the check reads the index (a term lookup, and an aggregation only to
    suggest names), so a search never parses the catalogue manifest; without, the manifest.
    """
    if index is not None:
        unknown = index.unknown_providers(providers)
        if unknown:
            _unknown_provider(unknown[0], {k: k for k in index.provider_keywords()})
        return
    known = catalogue.manifest().get("providers", {}) or {}
    names = {str(k).lower(): str(k) for k in known}
    names.update({str(v.get("name") or "").lower(): str(k) for k, v in known.items()
                  if isinstance(v, Mapping) and v.get("name")})
    for provider in providers:
        if provider.lower() not in names:
            _unknown_provider(provider, names)


def _unknown_provider(provider: str, names: Mapping[str, str]) -> NoReturn:
    """Raise the unknown-provider error with up to three close known names."""
    import difflib

    close = difflib.get_close_matches(provider.lower(), list(names), n=3, cutoff=0.5)
    hint = ("; did you mean " + ", ".join(sorted({names[c] for c in close})) + "?"
            if close else "; see `newsidx providers`")
    raise QueryError(f"unknown provider {provider!r}{hint}")


def _empty() -> int:
    note("the catalogue is empty: run `newsidx ingest DIR` first")
    return 1


def _search_index(catalogue: Catalogue, filters: Filters, generation: int) -> SearchIndex:
    """The current index, once the filters' providers are known to it (else a hint)."""
    index = open_index(catalogue, generation=generation)
    if filters.providers:
        check_providers(catalogue, filters.providers, index=index)
    return index


def request_for(filters: Filters, **page: Any) -> SearchRequest:
    """The index request for a command's filters; a bad date fails here, before any index work."""
    from newsidx.index import SearchRequest

    since = until = None
    if filters.since or filters.until:  # timeparse only when a date is given
        from newsidx.timeparse import parse_since, parse_until

        since = parse_since(filters.since) if filters.since else None
        until = parse_until(filters.until) if filters.until else None
    return SearchRequest(
        providers=filters.providers, topics=filters.topics, kind=filters.kind,
        since=since, until=until, **{k: v for k, v in page.items() if v is not None},
    )


def run_search(catalogue: Catalogue, query: str, filters: Filters, *, explain: bool,
               fmt: str, nul: bool, out: TextIO, tty: bool, **page: Any) -> int:
    """Search and render; returns 0 when something matched, else 1."""
    from newsidx.query import parse
    from newsidx.render import write_hits

    parse(query)  # a malformed query fails (exit 2) before any index work
    generation = catalogue.peek_generation()
    if not generation:
        return _empty()
    request = request_for(filters, text=query, **page)
    index = _search_index(catalogue, filters, generation)
    results = index.search(request, explain=explain, snippets=fmt not in ("ids", "paths"))
    if explain:
        note(f"understood as: {results.understood}")
    write_hits(results.hits, out, fmt=fmt, query=query, total=results.total, tty=tty, nul=nul)
    if not results.hits:
        note("no records match" if results.total == 0 else
             f"no results on this page ({results.total} match; lower --offset)")
        return 1
    if tty and fmt == "table" and results.total > len(results.hits) + request.offset:
        note(f"showing {request.offset + 1}-{request.offset + len(results.hits)} "
             f"of {results.total}; use --limit/--offset for more")
    return 0


def run_list(catalogue: Catalogue, filters: Filters, *, fmt: str, nul: bool, out: TextIO,
             tty: bool, **page: Any) -> int:
    """List records in a fixed order; returns 0 when some matched, else 1."""
    from newsidx.render import write_hits

    generation = catalogue.peek_generation()
    if not generation:
        return _empty()
    request = request_for(filters, **page)
    index = _search_index(catalogue, filters, generation)
    results = index.select(request)
    write_hits(results.hits, out, fmt=fmt, total=results.total, tty=tty, nul=nul, ranked=False)
    if not results.hits:
        note("no records match")
        return 1
    return 0


def auto_bucket(first: str | None, last: str | None) -> str:
    """day up to ~2 months of dates, week up to ~1 year, month up to 10 years, else year."""
    from datetime import date

    if not first or not last:
        return "day"
    span = (date.fromisoformat(last) - date.fromisoformat(first)).days
    if span <= 62:
        return "day"
    if span <= 366:
        return "week"
    return "month" if span <= 3660 else "year"


MAX_FILLED_BUCKETS = 5000


def fill_gaps(buckets: Sequence[tuple[str, int]], by: str) -> list[tuple[str, int]]:
    """Insert the empty periods between the first and last bucket, so a bar chart shows
    the quiet stretches too; a span of over MAX_FILLED_BUCKETS periods is left as is."""
    from datetime import date, timedelta

    def key(day: date) -> str:
        if by == "week":
            year, week, _ = day.isocalendar()
            return f"{year:04d}-W{week:02d}"
        return {"day": day.isoformat(), "month": f"{day.year:04d}-{day.month:02d}",
                "year": f"{day.year:04d}"}[by]

    def start(k: str) -> date:
        if by == "week":
            year, week = k.split("-W")
            return date.fromisocalendar(int(year), int(week), 1)
        if by == "day":
            return date.fromisoformat(k)
        return date(int(k[:4]), int(k[5:7]) if by == "month" else 1, 1)

    def advance(day: date) -> date:
        if by in ("day", "week"):
            return day + timedelta(days=1 if by == "day" else 7)
        if by == "month":
            return date(day.year + (day.month == 12), day.month % 12 + 1, 1)
        return date(day.year + 1, 1, 1)

    if len(buckets) < 2 or by not in ("day", "week", "month", "year"):
        return list(buckets)
    try:
        first, last = start(buckets[0][0]), start(buckets[-1][0])
    except ValueError:
        return list(buckets)
    per = {"day": 1, "week": 7, "month": 28, "year": 365}[by]
    if (last - first).days // per > MAX_FILLED_BUCKETS:
        return list(buckets)
    counts = dict(buckets)
    keys: list[str] = []
    day = first
    while day <= last:
        keys.append(key(day))
        try:
            day = advance(day)
        except (OverflowError, ValueError):
            break
    return [(k, counts.get(k, 0)) for k in keys]


def run_timeline(catalogue: Catalogue, query: str, filters: Filters, *, by: str, fmt: str,
                 out: TextIO) -> int:
    """Histogram of matching dated records; returns 0 when some matched, else 1."""
    from newsidx.render import write_timeline

    generation = catalogue.peek_generation()
    if not generation:
        return _empty()
    request = request_for(filters, text=query, limit=0)
    index = _search_index(catalogue, filters, generation)
    if by == "auto":
        days = index.histogram(request, "day")
        by = auto_bucket(days[0][0] if days else None, days[-1][0] if days else None)
        buckets = days if by == "day" else index.histogram(request, by)
    else:
        buckets = index.histogram(request, by)
    buckets = fill_gaps(buckets, by)
    width = max(10, min(60, _columns() - 30))
    write_timeline(buckets, out, fmt=fmt, width=width)
    if not buckets:
        note("no dated records match")
        return 1
    return 0


def _columns() -> int:
    """``shutil.get_terminal_size((80, 24)).columns`` without importing shutil, which
    pulls in bz2, lzma and zlib (a few ms a timeline does not need)."""
    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        columns = 0
    if columns <= 0:
        stdout = sys.__stdout__
        try:
            columns = os.get_terminal_size(stdout.fileno()).columns if stdout else 0
        except (AttributeError, ValueError, OSError):
            columns = 0
    return columns or 80


# ----------------------------------------------------------------- counts and stats


def provider_rows(catalogue: Catalogue, *, sort: str) -> list[Any]:
    """Every provider with its count, display name and date range, from the index."""
    generation = catalogue.peek_generation()
    if not generation:
        return []
    from newsidx.index import SearchRequest

    rows = open_index(catalogue, generation=generation).provider_summary(SearchRequest())
    if sort == "name":
        return sorted(rows, key=lambda r: (r.key.lower(), r.key))
    return rows


def facet_rows(catalogue: Catalogue, section: str, *, sort: str) -> list[tuple[str, int]]:
    """(key, count) for every provider (domain key) or topic, from the index's fast fields.

    Topics differing only in case count as one, under their most frequent spelling.
    """
    generation = catalogue.peek_generation()
    if not generation:
        return []
    from newsidx.index import SearchRequest

    field = "provider" if section == "providers" else "topic"
    rows = open_index(catalogue, generation=generation).facet(field, SearchRequest())
    if sort == "name":
        return sorted(rows, key=lambda r: (r[0].lower(), r[0]))
    return sorted(rows, key=lambda r: (-r[1], r[0].lower()))


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


def catalogue_stats(catalogue: Catalogue, *, human: bool) -> dict[str, Any]:
    """Totals, providers, topics, date range and sizes on disk."""
    from newsidx.errors import CatalogueError
    from newsidx.index import SearchRequest
    from newsidx.render import human_size

    generation = catalogue.peek_generation()
    totals = catalogue.head()["totals"] if generation else {}
    providers = topics = 0
    first = last = None
    if generation:
        try:
            index = open_index(catalogue, generation=generation)
        except CatalogueError:  # an ingest is creating the index: count from the manifest
            m = catalogue.manifest()
            providers, topics = len(m["providers"]), len(m["topics"])
            days = sorted(m["dates"])
            first, last = (days[0], days[-1]) if days else (None, None)
        else:
            providers = len(index.facet("provider", SearchRequest()))
            topics = len(index.facet("topic", SearchRequest()))
            span = index.date_span(SearchRequest())
            first, last = (d.strftime("%Y-%m-%d") if d else None for d in span)
    sizes = (_disk_size(catalogue.root, skip="index"), _disk_size(catalogue.root / "index"))
    shown = [human_size(s) if human else s for s in sizes]
    return {
        "catalogue": str(catalogue.root),
        "records": totals.get("records", 0),
        "articles": totals.get("articles", 0),
        "related": totals.get("related", 0),
        "providers": providers,
        "topics": topics,
        "first_date": first,
        "last_date": last,
        "undated": totals.get("undated", 0),
        "sources": totals.get("files", 0),
        "catalogue_size": shown[0],
        "index_size": shown[1],
        "generation": generation,
    }


# ----------------------------------------------------------------- export


def record_filter(filters: Filters) -> Callable[[Article], bool]:
    """A predicate for :class:`Filters`, to stream the catalogue without the index."""
    from newsidx.timeparse import parse_since, parse_until

    providers = {p.lower() for p in filters.providers}
    topics = {t.lower() for t in filters.topics}
    since = parse_since(filters.since) if filters.since else None
    until = parse_until(filters.until) if filters.until else None

    def keep(r: Article) -> bool:
        if filters.kind and r.kind != filters.kind:
            return False
        if providers and not (r.provider and {(r.provider_key or ""),
                                              (r.provider.name or "").lower()} & providers):
            return False
        if topics and not {t.lower() for t in r.topics} & topics:
            return False
        if since is not None and (r.published is None or r.published < since):
            return False
        return until is None or (r.published is not None and r.published < until)

    return keep


def run_export(catalogue: Catalogue, filters: Filters, *, fmt: str, out: TextIO) -> int:
    """Stream every matching record from the catalogue; returns the count written."""
    from newsidx.hits import Hit
    from newsidx.render import write_hits

    if filters.providers:
        check_providers(catalogue, filters.providers)
    keep = record_filter(filters)

    def hits() -> Iterator[Hit]:
        for record in catalogue.iter_records():
            if keep(record):
                yield Hit(record)

    if fmt == "json":  # one array, still streamed record by record
        return _stream_json_array(hits(), out)
    return write_hits(hits(), out, fmt=fmt, ranked=False)


def _stream_json_array(hits: Iterable[Any], out: TextIO) -> int:
    import json

    from newsidx.model import to_json

    out.write('{"newsidx_format": 1, "records": [')
    count = 0
    for count, hit in enumerate(hits, 1):
        out.write(("\n" if count == 1 else ",\n") + json.dumps(to_json(hit.record),
                                                              ensure_ascii=False))
    out.write("\n]}\n")
    return count

