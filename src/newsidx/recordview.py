"""One record in full, as ``show`` prints it: JSON with its related and citing records,
else ``key: value`` lines (what a reader wants first, then the metadata), the words a
query matched highlighted in its title, excerpt and text.

Apart from the hit renderers (:mod:`newsidx.render`) because a record's layout is its
own: lines, not rows. rich, the stemmer (:mod:`newsidx.highlight`) and
:mod:`newsidx.plaintext` are imported inside the functions that need them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any, TextIO

from newsidx.color import paint
from newsidx.hits import split_at
from newsidx.jsoncsv import FORMAT_VERSION, dumps
from newsidx.model import Article, to_json
from newsidx.safetext import display
from newsidx.termtext import HIGHLIGHT, console_for, term_color

if TYPE_CHECKING:
    from rich.text import Text

_QUERY_WORD = r"(?:[\w.-]+:)?(\"[^\"]*\"|[^\s()\"]+)"  # compiled only for a table
_OPERATORS = frozenset({"AND", "OR", "NOT", "TO"})


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

        console = console_for(out, force_terminal=True, color=term_color(color))
        for key, value in lines:
            line = Text()
            line.append(f"{key}: " if key else "", style="bold")
            block = _text_block(value)
            if terms and key in _MARKED_KEYS:
                from newsidx.highlight import word_spans

                for start, end in word_spans(block.plain, terms):
                    block.stylize(HIGHLIGHT, start, end)
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
    if r.story:
        yield "story", r.story  # newsidx search story:ID lists its records
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
