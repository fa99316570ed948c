"""Turn records, hits and counts into terminal tables, plain text, JSON, JSONL or CSV.

Terminal output (rich tables on a TTY, tab-separated plain text when piped) passes
all article text through :mod:`newsidx.safetext` and builds ``rich.text.Text``
objects, never markup strings. JSON, JSONL and CSV carry the text intact, yet never
raw to a terminal: JSON writes control, bidi and other format characters as ``\\u``
escapes (:func:`dumps`), and CSV quotes every cell holding one or, when written to a
terminal, shows them escaped (``\\x1b``). rich, json and csv are imported inside the
functions that need them so that a plain ``search --format ids`` stays fast.

Plain text layouts (one line per item, fields separated by one tab, an empty field
written as ``-``): search ``RANK DATE PROVIDER KIND ID TITLE SNIPPET``; list and
export ``DATE PROVIDER KIND ID TITLE``; counts ``NAME COUNT``; timeline
``BUCKET COUNT BAR``. ``ids``/``paths`` print one per line, a path with unsafe
characters escaped (``\\x0a``); with ``-0`` they are written raw, NUL-terminated.

CSV text cells that start with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return get
a leading ``'`` so that spreadsheets do not run them as formulas; numbers are written
as numbers (integral values without ``.0``), never guarded.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TextIO

from newsidx.color import env_allows, is_terminal, paint, painted_field
from newsidx.hits import Hit, Snippet, split_at
from newsidx.model import Article, to_json
from newsidx.safetext import display, escape_name, is_safe, json_escape

if TYPE_CHECKING:
    from rich.console import Console
    from rich.text import Text

FORMAT_VERSION = 1
HIT_FORMATS = ("table", "json", "jsonl", "csv", "ids", "paths")
RECORD_FORMATS = HIT_FORMATS
COUNT_FORMATS = ("table", "json", "csv")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_HIGHLIGHT = "bold yellow"
_QUERY_WORD = r"(?:[\w.-]+:)?(\"[^\"]*\"|[^\s()\"]+)"  # compiled only for a table
_OPERATORS = frozenset({"AND", "OR", "NOT", "TO"})


def snippet_text(snippet: Snippet) -> str:
    """The snippet's plain text, highlight marks dropped."""
    return snippet if isinstance(snippet, str) else "".join(text for text, _ in snippet)


def csv_safe(value: str) -> str:
    """A CSV cell that a spreadsheet will show as text, never run as a formula."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def dumps(value: Any, *, indent: int | None = None) -> str:
    """``value`` as JSON text, non-ASCII kept, every unsafe character a ``\\u`` escape."""
    import json

    return json_escape(json.dumps(value, ensure_ascii=False, indent=indent))


class CsvWriter:
    """Rows for a spreadsheet or a script, safe on a terminal.

    Cells are formula-safe (:func:`csv_safe`). A row with a cell holding a control,
    bidi or other unsafe character is written with every cell quoted, so a CR or ESC
    only ever appears inside quotes; on a terminal (``escape=True``) such characters
    are shown escaped instead (``\\x1b``), the row then being for reading only.
    """

    def __init__(self, out: TextIO, *, escape: bool) -> None:
        import csv

        self.escape = escape
        self.plain = csv.writer(out, lineterminator="\n")
        self.quoted = csv.writer(out, lineterminator="\n", quoting=csv.QUOTE_ALL)

    def row(self, cells: Iterable[str]) -> None:
        row = list(cells)
        if self.escape:
            safe = all(is_safe(cell) for cell in row)
            self.plain.writerow(row if safe else [escape_name(cell) for cell in row])
        elif all(_safe_but_newlines(cell) for cell in row):
            self.plain.writerow(row)  # the csv module quotes a cell holding a newline
        else:
            self.quoted.writerow(row)


def _safe_but_newlines(cell: str) -> bool:
    return is_safe(cell.replace("\n", " ") if "\n" in cell else cell)


def query_terms(query: str | None) -> list[str]:
    """The words of a query worth highlighting: no operators, field prefixes or quotes."""
    if not query:
        return []
    terms: list[str] = []
    for match in re.finditer(_QUERY_WORD, query):
        word = match.group(1).strip('"').lstrip("+-")
        if match.group(0) != match.group(1) and ":" in match.group(0):
            field = match.group(0).split(":", 1)[0].lower()
            if field not in ("title", "body", "excerpt", "text"):
                continue
        for part in word.split():
            part = part.rstrip("*~^0123456789") or part
            if part and part not in _OPERATORS:
                terms.append(part)
    return terms


def _day(record: Article) -> str:
    return record.day or "-"


def _provider(record: Article) -> str:
    return display(record.provider_key or "") or "-"


def _field(text: str) -> str:
    return display(text).replace("\t", " ").strip() or "-"


def console_for(out: TextIO, *, force_terminal: bool | None = None,
                color: bool | None = None) -> Console:
    """A rich console writing to ``out`` that never interprets markup or emoji codes.
    ``color`` False writes no escape code at all; True colours whatever the terminal
    type or ``NO_COLOR`` (``--color always``); None leaves it to rich."""
    from rich.console import Console

    def make(system: str | None) -> Console:
        return Console(file=out, markup=False, emoji=False, highlight=False,
                       force_terminal=force_terminal, color_system=system,  # type: ignore[arg-type]
                       no_color=None if color is None else not color)

    if color is False:
        return make(None)
    console = make("auto")
    return make("standard") if color and console.color_system is None else console


def _text(value: str, style: str | None = None) -> Text:
    from rich.text import Text

    return Text(display(value), style=style or "")


def _marked(parts: Iterable[tuple[str, bool]], style: str = "") -> Text:
    """Segments as one rich text, each made safe, the marked ones highlighted."""
    from rich.text import Text

    text = Text(style=style)
    for part, marked in parts:
        text.append(display(part), style=_HIGHLIGHT if marked else "")
    return text


def _snippet(snippet: Snippet) -> Text:
    return _text(snippet, "dim") if isinstance(snippet, str) else _marked(snippet, "dim")


def _plain_marked(parts: Sequence[tuple[str, bool]], color: bool) -> str:
    """A plain-text field; with ``color``, its marked words between newsidx's codes."""
    if not color or not any(marked for _, marked in parts):
        return _field("".join(text for text, _ in parts))
    return painted_field(parts) or "-"


# ----------------------------------------------------------------- hits and records


def write_hits(
    hits: Iterable[Hit],
    out: TextIO,
    *,
    fmt: str,
    query: str | None = None,
    total: int | None = None,
    tty: bool = False,
    nul: bool = False,
    ranked: bool = True,
    short_ids: Mapping[str, str] | None = None,
    width: int = 80,
    color: bool | None = None,
) -> int:
    """Write hits in ``fmt``, streaming; returns how many were written. A table shows each
    record's ``short_ids`` entry (else its id) and, ``width`` 120 or more, its URL's host.
    ``color`` (default: on a terminal that allows it) highlights the matched words of
    titles and snippets in a table or plain text; JSON/JSONL carry their offsets
    (``highlights``) when ``ranked``, CSV, ids and paths never carry colour."""
    if fmt in ("ids", "paths"):
        return _write_refs(hits, out, paths=fmt == "paths", nul=nul)
    if fmt == "json":
        return _write_json(hits, out, query=query, total=total, marks=ranked)
    if fmt == "jsonl":
        return _write_jsonl(hits, out, marks=ranked)
    if fmt == "csv":
        return _write_csv(hits, out, escape=tty or is_terminal(out))
    if tty:
        return _write_table(hits, out, ranked=ranked, short_ids=short_ids or {},
                            wide=width >= 120, color=color)
    return _write_plain(hits, out, ranked=ranked, color=bool(color))


def _write_refs(hits: Iterable[Hit], out: TextIO, *, paths: bool, nul: bool) -> int:
    end = "\0" if nul else "\n"
    seen: set[str] = set()
    count = 0
    for hit in hits:
        count += 1
        refs = hit.record.sources if paths else (hit.record.id,)
        for ref in refs:
            if ref not in seen:
                seen.add(ref)
                out.write((ref if nul else escape_name(ref)) + end)
    return count


def hit_json(hit: Hit, rank: int | None = None, *, marks: bool = False) -> dict[str, Any]:
    """The full record plus rank, score, snippet, with ``marks`` the ``highlights``
    (``[start, end)`` code-point offsets of the matched words in ``title`` and
    ``snippet``), and the explanation when asked for."""
    data: dict[str, Any] = dict(to_json(hit.record))
    if rank is not None:
        data["rank"] = rank
    data["score"] = hit.score
    data["snippet"] = snippet_text(hit.snippet)
    if marks:
        data["highlights"] = {"title": [list(s) for s in hit.title_highlights],
                              "snippet": [list(s) for s in hit.snippet_highlights]}
    if hit.explanation is not None:
        data["explanation"] = hit.explanation
    return data


def _write_json(
    hits: Iterable[Hit], out: TextIO, *, query: str | None, total: int | None, marks: bool
) -> int:
    if total is None:
        hits = list(hits)
        total = len(hits)
    head = dumps({"newsidx_format": FORMAT_VERSION, "query": query, "total": total})
    out.write(head[:-1] + ', "results": [')  # one array, still streamed hit by hit
    count = 0
    for count, hit in enumerate(hits, 1):
        out.write(("\n" if count == 1 else ",\n") + dumps(hit_json(hit, count, marks=marks)))
    out.write("\n]}\n")
    return count


def _write_jsonl(hits: Iterable[Hit], out: TextIO, *, marks: bool) -> int:
    count = 0
    for count, hit in enumerate(hits, 1):
        out.write(dumps(hit_json(hit, count, marks=marks)) + "\n")
    return count


CSV_COLUMNS = (
    "rank", "score", "id", "kind", "title", "published", "provider_name", "provider_domain",
    "topics", "category", "type", "url", "web_url", "original_url", "amp_url", "cdn_amp_url",
    "quality", "heat", "excerpt", "snippet", "body", "published_raw", "published_offset",
    "published_zoneless", "images", "related", "sources", "parents", "extra", "warnings",
)


def _csv_row(hit: Hit, rank: int) -> list[str]:
    import json

    data = hit_json(hit, rank)
    provider = data.pop("provider") or {}
    data["provider_name"] = provider.get("name")
    data["provider_domain"] = provider.get("domain")
    data["topics"] = ";".join(data["topics"])
    row: list[str] = []
    for column in CSV_COLUMNS:
        value = data.get(column)
        if value is None:
            cell = ""
        elif isinstance(value, (list, dict)):
            cell = json.dumps(value, ensure_ascii=False)
        elif isinstance(value, bool):
            cell = "true" if value else "false"
        elif isinstance(value, int | float):  # a number stays a number: no formula guard
            row.append(str(int(value)) if float(value).is_integer() else repr(value))
            continue
        else:
            cell = str(value)
        row.append(csv_safe(cell))
    return row


def _write_csv(hits: Iterable[Hit], out: TextIO, *, escape: bool) -> int:
    writer = CsvWriter(out, escape=escape)
    writer.row(CSV_COLUMNS)
    count = 0
    for count, hit in enumerate(hits, 1):
        writer.row(_csv_row(hit, count))
    return count


def _write_plain(hits: Iterable[Hit], out: TextIO, *, ranked: bool, color: bool) -> int:
    count = 0
    for count, hit in enumerate(hits, 1):
        r = hit.record
        title = _plain_marked(split_at(r.title, hit.title_highlights), color)
        fields = [_day(r), _provider(r), r.kind, r.id, title]
        if ranked:
            snippet = hit.snippet
            text = [(snippet, False)] if isinstance(snippet, str) else list(snippet)
            fields = [str(count), *fields, _plain_marked(text, color)]
        out.write("\t".join(fields) + "\n")
        if hit.explanation:
            out.write("\t" + _field(hit.explanation) + "\n")
    return count


def host(url: str | None) -> str:
    """The host of a URL, ``www.`` dropped; empty when there is none."""
    if not url or "://" not in url:
        return ""
    name = url.split("://", 1)[1].split("/", 1)[0].split("@")[-1].split(":")[0].lower()
    return name[4:] if name.startswith("www.") else name


def _write_table(hits: Iterable[Hit], out: TextIO, *, ranked: bool,
                 short_ids: Mapping[str, str], wide: bool, color: bool | None) -> int:
    from rich.table import Table

    table = Table(box=None, pad_edge=False, show_edge=False, header_style="bold")
    if ranked:
        table.add_column("#", justify="right", style="dim")
    table.add_column("id", style="magenta", no_wrap=True)
    table.add_column("date", no_wrap=True)
    table.add_column("provider", style="cyan", max_width=24, overflow="ellipsis")
    if wide:
        table.add_column("domain", max_width=28, overflow="ellipsis", no_wrap=True)
    table.add_column("title", ratio=1)
    count = 0
    for count, hit in enumerate(hits, 1):
        r = hit.record
        title = _marked(split_at(r.title, hit.title_highlights), "bold")
        if r.kind == "related":
            title = _text("(related) ", "dim").append_text(title)
        if ranked and hit.snippet:
            title.append("\n").append_text(_snippet(hit.snippet))
        if hit.explanation:
            title.append("\n").append_text(_text(hit.explanation, "italic"))
        cells = [_text(short_ids.get(r.id, r.id)), _text(_day(r)), _text(_provider(r))]
        if wide:
            cells.append(_text(host(r.url) or "-"))
        cells.append(title)
        if ranked:
            cells.insert(0, _text(str(count)))
        table.add_row(*cells)
    if count:
        console_for(out, force_terminal=True, color=_color(color)).print(table)
    return count


def _color(color: bool | None) -> bool:
    """A terminal's colour: as asked, else as the environment allows (``NO_COLOR``)."""
    return env_allows() if color is None else color


# ----------------------------------------------------------------- one record


def write_record(
    record: Article,
    out: TextIO,
    *,
    fmt: str,
    related: Sequence[Article] = (),
    parents: Sequence[Article] = (),
    tty: bool = False,
    terms: Sequence[str] = (),
    raw: bool = False,
    color: bool | None = None,
) -> None:
    """The whole record with its related records and the articles citing it; the whole
    words of its title, excerpt and text matching ``terms`` (as the index stems them)
    are highlighted when ``color`` (default: on a terminal that allows it). The body is
    shown as a reader sees it (:mod:`newsidx.plaintext`), as written with ``raw``; JSON
    always holds it as written."""
    if fmt == "json":
        data: dict[str, Any] = dict(to_json(record))
        data["newsidx_format"] = FORMAT_VERSION
        data["related_records"] = [to_json(a) for a in related]
        data["parent_records"] = [to_json(a) for a in parents]
        out.write(dumps(data, indent=2) + "\n")
        return
    lines = list(_record_lines(record, related, parents, raw=raw))
    if tty:
        from rich.text import Text

        console = console_for(out, force_terminal=True, color=_color(color))
        for key, value in lines:
            line = Text()
            line.append(f"{key}: " if key else "", style="bold")
            block = _text_block(value)
            if terms and key in _MARKED_KEYS:
                from newsidx.highlight import word_spans

                for start, end in word_spans(block.plain, terms):
                    block.stylize(_HIGHLIGHT, start, end)
            line.append_text(block)
            console.print(line)
        return
    for key, value in lines:
        text = display(value, single_line=key != "")
        if color and terms and key in _MARKED_KEYS:  # --color always, piped
            from newsidx.highlight import word_spans

            text = paint(split_at(text, word_spans(text, terms)))
        out.write((f"{key}: " if key else "") + text + "\n")


_MARKED_KEYS = ("title", "excerpt", "")


def _text_block(value: str) -> Text:
    from rich.text import Text

    return Text(display(value, single_line=False))


def _record_lines(
    r: Article, related: Sequence[Article], parents: Sequence[Article], *, raw: bool = False
) -> Iterator[tuple[str, str]]:
    """What a reader wants first (title, date, provider, URL, text), then the metadata."""
    yield "title", r.title
    for other in r.alt_titles:
        yield "also titled", other
    if r.published:
        yield "published", f"{r.published.isoformat()} (as written: {r.published_raw or '-'})"
        yield "date from", _date_from(r)
    if r.provider:
        yield "provider", " ".join(x for x in (r.provider.name, f"({r.provider.domain})"
                                               if r.provider.domain else None) if x)
    if r.url:
        yield "url", r.url
    if r.excerpt:
        yield "excerpt", r.excerpt
    if r.body:
        from newsidx.plaintext import body_text

        yield "", "\n" + (r.body if raw else body_text(r.body)) + "\n"
    yield "id", r.id
    yield "kind", r.kind
    if r.topics:
        yield "topics", ", ".join(r.topics)
    for key in ("category", "type", "web_url", "original_url", "amp_url", "cdn_amp_url"):
        value = getattr(r, key)
        if value:
            yield key, str(value)
    for key in ("quality", "heat"):
        if getattr(r, key) is not None:
            yield key, f"{getattr(r, key):g}"
    for image in r.images:
        size = f" ({image.width}x{image.height})" if image.width and image.height else ""
        yield "image", image.url + size
    for key, value in r.extra.items():
        yield f"extra.{key}", value if isinstance(value, str) else _json_text(value)
    for source in r.sources:
        yield "source", source
    for warning in r.warnings:
        yield "warning", warning
    for item in related:
        yield "related", f"{item.id} {item.title}"
    for ref in r.related:
        if not any(item.id == ref.id for item in related):
            yield "related", f"{ref.id} {ref.title}"
    for parent in parents:
        yield "cited by", f"{parent.id} {parent.title}"


def _date_from(r: Article) -> str:
    """Where the date was found and whether it named a time zone (``show``)."""
    where = r.date_source or "unknown (stored before newsidx recorded it)"
    zone = (f"time zone {r.published_offset}" if r.published_offset
            else "no time zone: read as UTC" if r.published_zoneless else "time zone given")
    return f"{where}; {zone}"


def _json_text(value: object) -> str:
    import json

    return json.dumps(value, ensure_ascii=False)


# ----------------------------------------------------------------- counts and stats


def write_counts(
    rows: Iterable[Sequence[Any]],
    out: TextIO,
    *,
    fmt: str,
    name: str,
    tty: bool = False,
    extra: Sequence[str] = (),
    color: bool | None = None,
) -> int:
    """Key/count rows (providers, topics, timeline buckets) in ``fmt``; each row may carry
    further values named by ``extra`` (None shows as ``-`` in text, null in JSON)."""
    items = [tuple(row) for row in rows]
    columns = (name, "count", *extra)
    if fmt == "json":
        data = {"newsidx_format": FORMAT_VERSION,
                name + "s": [dict(zip(columns, row, strict=True)) for row in items]}
        out.write(dumps(data, indent=2) + "\n")
    elif fmt == "csv":
        writer = CsvWriter(out, escape=tty or is_terminal(out))
        writer.row(columns)
        for row in items:
            writer.row(csv_safe("" if v is None else str(v)) if k != 1 else str(v)
                       for k, v in enumerate(row))
    elif tty:
        from rich.table import Table

        table = Table(box=None, pad_edge=False, header_style="bold")
        for column in columns:
            table.add_column(column, justify="right" if column == "count" else "left")
        for row in items:
            table.add_row(*(_text("-" if v is None else str(v)) for v in row))
        console_for(out, force_terminal=True, color=_color(color)).print(table)
    else:
        for row in items:
            out.write("\t".join(_field("-" if v is None else str(v)) for v in row) + "\n")
    return len(items)


def bar(count: int, largest: int, width: int = 50) -> str:
    """A bar of full and partial block characters, at least one cell for a non-zero count."""
    if count <= 0 or largest <= 0:
        return ""
    eighths = max(1, round(count * width * 8 / largest))
    return "█" * (eighths // 8) + ("", "▏", "▎", "▍", "▌", "▋", "▊", "▉")[eighths % 8]


def write_timeline(
    buckets: Sequence[tuple[str, int]], out: TextIO, *, fmt: str, width: int = 50,
    tty: bool = False,
) -> int:
    """A histogram: JSON/CSV rows; piped, plain ``BUCKET<TAB>COUNT`` lines, every period;
    on a terminal, ``BUCKET COUNT BAR`` lines of block characters with each run of empty
    periods shown as one ``first–last 0`` line."""
    if fmt in ("json", "csv"):
        return write_counts(buckets, out, fmt=fmt, name="bucket")
    if not tty:
        for key, n in buckets:
            out.write(f"{_field(key)}\t{n}\n")
        return len(buckets)
    from newsidx.timeline import collapse_empty

    rows = collapse_empty(buckets)
    largest = max((n for _, n in buckets), default=0)
    label = max((len(key) for key, _, _ in rows), default=0)
    digits = len(str(largest))
    for key, n, _ in rows:
        out.write(f"{key:<{label}}  {n:>{digits}}  {bar(n, largest, width)}".rstrip() + "\n")
    return len(buckets)


def human_size(size: int) -> str:
    """Bytes as a short human figure: 512 B, 1.5 KiB, 3.2 MiB."""
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{int(value)} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def write_mapping(data: Mapping[str, Any], out: TextIO, *, fmt: str) -> None:
    """A flat summary (stats, ingest report): ``key: value`` lines or one JSON object."""
    if fmt == "json":
        out.write(dumps({"newsidx_format": FORMAT_VERSION, **data}, indent=2) + "\n")
        return
    width = max((len(k) for k in data), default=0)
    for key, value in data.items():
        shown = "-" if value is None or value == "" else value
        out.write(f"{key.replace('_', ' '):<{width}}  {display(str(shown))}\n")
