"""Feeds saved to disk (RSS 2.0, RSS 1.0/RDF, Atom): every item or entry one article.

Parsed by feedparser, from the bytes (never a name or URL, which it would open or
fetch). Dates are taken as written (``published``, else ``updated``) and read by
:mod:`newsidx.dates`, because feedparser's ``*_parsed`` values are UTC and drop the
offset. feedparser removes a DOCTYPE's entity declarations before the XML parser sees
them, so entities are never expanded (no billion laughs) and external entities or DTDs
never read or fetched (tested with hostile fixtures). Summaries, content and titles are
HTML turned into text (:mod:`newsidx.formats.htmltext`). The feed's own title and link
give the provider of items that name no source of their own.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from newsidx.errors import ParseError
from newsidx.formats.dataset import DatasetResult, _host
from newsidx.formats.htmltext import html_to_text, inline

_IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".gif", ".webp", ".avif")


def read_feed(data: bytes, path: str) -> DatasetResult:
    """The articles of the feed ``data`` (read from ``path``); never raises for an item.

    Malformed XML is one failure, ``path:line: malformed feed: ...``; items feedparser
    could still read before the damage are kept."""
    import feedparser

    parsed = feedparser.parse(io.BytesIO(data), sanitize_html=True,
                              resolve_relative_uris=False)
    out = DatasetResult()
    problem = parsed.get("bozo_exception") if parsed.get("bozo") else None
    if problem is not None and _is_xml_error(problem):
        line = getattr(problem, "getLineNumber", lambda: None)() or 1
        message = getattr(problem, "getMessage", lambda: str(problem))()
        read = len(parsed.entries)
        out.failures.append(f"{path}:{line}: malformed feed: {message}" + (
            " (items read before it are kept)" if read else ""))
    feed = parsed.get("feed", {})
    seen: dict[str, tuple[int, int]] = {}  # id -> item, place in out.records
    for index, entry in enumerate(parsed.entries):
        try:
            record = _entry_record(entry, feed, path, index)
        except ParseError as exc:
            out.failures.append(f"{path}: item {index}: {exc.reason}")
            continue
        if record is None:
            out.failures.append(f"{path}: item {index}: item has no title and no link")
            continue
        first = seen.get(record.id)
        if first is not None:
            from newsidx.merging import absorb

            out.records[first[1]] = absorb(out.records[first[1]], record)
            out.warnings.append(f"item {index}: same article as item {first[0]} (same link): "
                                "merged, the first kept, this headline kept as an alt title")
            continue
        seen[record.id] = (index, len(out.records))
        out.warnings.extend(f"item {index}: {w}" for w in record.warnings)
        out.records.append(record)
    return out


def _is_xml_error(problem: object) -> bool:
    """Not well-formed XML, as opposed to feedparser's notes on a declared encoding."""
    import feedparser

    benign = (feedparser.CharacterEncodingOverride, feedparser.NonXMLContentType)
    return not isinstance(problem, benign)


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _entry_record(entry: Mapping[str, Any], feed: Mapping[str, Any], path: str,
                  index: int) -> Any:
    title = _title(entry.get("title"), entry.get("title_detail"))
    link = _text(entry.get("link"))
    if not title and not link:
        return None
    header: dict[str, Any] = {"source_index": index}
    if title:
        header["title"] = title
    if link:
        header["url"] = link
    published = _text(entry.get("published")) or _text(entry.get("updated"))
    if published:
        header["published"] = published
    dated_by = "published" if _text(entry.get("published")) else "updated"
    author = _text(entry.get("author"))
    if author:
        header["author"] = author
    topics = [t for t in (_text(tag.get("term")) or _text(tag.get("label"))
                          for tag in entry.get("tags") or ()) if t]
    if topics:
        header["topics"] = topics
    summary = _as_text(entry.get("summary_detail") or {"value": entry.get("summary")})
    contents = [_as_text(c) for c in entry.get("content") or ()]
    body = "\n\n".join(c for c in contents if c)
    if summary and summary != body:
        header["excerpt"] = summary
    if body:
        header["body"] = body
    images = _images(entry)
    if images:
        header["images"] = images
    guid = _text(entry.get("id"))
    if guid and guid != link:
        header["guid"] = guid
    provider = _provider(entry, feed, link)
    if provider:
        header["provider"] = provider
    from newsidx.parse import parse_mapping

    record = parse_mapping(header, path)
    if record.date_source == "published":  # the feed's element, by feedparser's name
        record = replace(record, date_source=dated_by)
    return record


def _is_html(detail: Any) -> bool:
    kind = _text(detail.get("type")) if isinstance(detail, Mapping) else "text/html"
    return "html" in kind or not kind


def _title(value: Any, detail: Any) -> str:
    """One line; markup and entities read as HTML only when the feed says it is HTML (a
    plain-text title keeps a literal ``<changes>``)."""
    text = _text(value)
    return inline(text) if _is_html(detail) else " ".join(text.split())


def _as_text(detail: Mapping[str, Any]) -> str:
    """A summary or content element's value as text."""
    value = _text(detail.get("value"))
    return html_to_text(value) if _is_html(detail) else value


def _images(entry: Mapping[str, Any]) -> list[str]:
    found: list[str] = []
    for enc in entry.get("enclosures") or ():
        href = _text(enc.get("href"))
        kind = _text(enc.get("type"))
        if href and (kind.startswith("image/") or
                     (not kind and href.lower().endswith(_IMAGE_SUFFIXES))):
            found.append(href)
    for media in entry.get("media_content") or ():
        url = _text(media.get("url"))
        if url and (media.get("medium") == "image" or _text(media.get("type")).startswith(
                "image/") or url.lower().split("?")[0].endswith(_IMAGE_SUFFIXES)):
            found.append(url)
    for thumb in entry.get("media_thumbnail") or ():
        if _text(thumb.get("url")):
            found.append(_text(thumb.get("url")))
    image = entry.get("image")
    if isinstance(image, Mapping) and _text(image.get("href")):
        found.append(_text(image.get("href")))
    return list(dict.fromkeys(found))


def _provider(entry: Mapping[str, Any], feed: Mapping[str, Any],
              link: str) -> dict[str, str] | None:
    """The item's own source, else the feed's title and link, else the link's host."""
    source = entry.get("source")
    name = domain = ""
    if isinstance(source, Mapping):
        name = _text(source.get("title"))
        domain = _host(_text(source.get("href")) or _text(source.get("link"))) or ""
    if not name and not domain:
        name = inline(_text(feed.get("title")))
        domain = _host(_text(feed.get("link"))) or ""
    if not domain and link:
        domain = _host(link) or ""
    out = {k: v for k, v in (("name", name), ("domain", domain)) if v}
    return out or None
