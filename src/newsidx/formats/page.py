"""Saved web pages: an HTML document is one article, or is skipped.

The main text comes from trafilatura (offline: it is given the markup, never a URL),
with ``favor_precision`` so that a page of navigation, cookie banners, "most read" lists
and footers gives no text rather than those, and is then skipped as ``no article text
found``. The metadata is read with the standard library's ``html.parser`` from the
``<head>`` tags a publisher writes (``<link rel=canonical>``, Open Graph and ``article:``
meta tags, JSON-LD): trafilatura prefers ``og:url`` to the canonical link and gives the
date to the day only, so its metadata fills only what the page does not state. The
date is the raw text, read by :mod:`newsidx.dates` through the front-matter rules, so
its UTC offset is kept.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import suppress
from dataclasses import dataclass, field, replace
from html.parser import HTMLParser
from typing import Any

from newsidx.clean import is_web_url
from newsidx.errors import SkippedFile
from newsidx.formats.dataset import _host
from newsidx.formats.htmltext import inline
from newsidx.model import Article

NO_TEXT = "no article text found"
# a whole document, as opposed to a fragment (newsidx.notarticle skips those)
_PAGE_START = re.compile(rb"\s*(?:<!--.{0,4000}?-->\s*)*<(?:!doctype\s+html|html)[\s>]",
                         re.IGNORECASE | re.DOTALL)
_ARTICLE_TYPES = frozenset({"article", "newsarticle", "blogposting", "reportagenewsarticle",
                            "analysisnewsarticle", "opinionnewsarticle", "reviewnewsarticle",
                            "backgroundnewsarticle", "liveblogposting", "techarticle",
                            "scholarlyarticle", "report", "posting", "socialmediaposting"})
_MAX_JSONLD = 1024 * 1024  # per script element; larger ones are not read
_DATED_BY = "\0dated by"  # page_header → read_page: where the date came from


def is_page(data: bytes) -> bool:
    """Whether the file's first bytes open an HTML document (``<!doctype html>`` or
    ``<html>``, after a BOM, white space and comments)."""
    return _PAGE_START.match(data.removeprefix(b"\xef\xbb\xbf"), 0, 8192) is not None


@dataclass
class PageMeta:
    """What a page's markup says about itself."""

    title: str = ""                                  # the <title> element's text
    canonical: str = ""                              # <link rel=canonical href>
    meta: dict[str, str] = field(default_factory=dict)   # first value per property/name
    tags: list[str] = field(default_factory=list)    # every article:tag
    jsonld: list[Any] = field(default_factory=list)  # each JSON-LD script, parsed


class _MetaParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out = PageMeta()
        self._in: str | None = None   # "title" or "jsonld" while inside one
        self._buf: list[str] = []
        self._size = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k.lower(): (v or "").strip() for k, v in attrs}
        if tag == "title" and not self.out.title:
            self._start("title")
        elif tag == "script" and values.get("type", "").lower() == "application/ld+json":
            self._start("jsonld")
        elif tag == "link" and "canonical" in values.get("rel", "").lower().split():
            self.out.canonical = self.out.canonical or values.get("href", "")
        elif tag == "meta":
            key = (values.get("property") or values.get("name") or "").lower()
            content = values.get("content", "")
            if key and content:
                if key == "article:tag":
                    self.out.tags.append(content)
                self.out.meta.setdefault(key, content)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ("title", "script"):
            self.handle_starttag(tag, attrs)

    def _start(self, what: str) -> None:
        self._in, self._buf, self._size = what, [], 0

    def handle_data(self, data: str) -> None:
        if self._in is not None and self._size <= _MAX_JSONLD:
            self._buf.append(data)
            self._size += len(data)

    def handle_endtag(self, tag: str) -> None:
        if self._in == "title" and tag == "title":
            self.out.title = inline("".join(self._buf))
        elif self._in == "jsonld" and tag == "script":
            if self._size <= _MAX_JSONLD:
                with suppress(ValueError, RecursionError):  # a broken block says nothing
                    self.out.jsonld.append(json.loads("".join(self._buf)))
        else:
            return
        self._in = None


def read_meta(markup: str) -> PageMeta:
    """The canonical link, meta tags, title and JSON-LD blocks of ``markup``."""
    parser = _MetaParser()
    parser.feed(markup)
    parser.close()
    return parser.out


def _objects(node: Any, depth: int = 0) -> Iterator[dict[str, Any]]:
    """Every JSON-LD object, through lists and ``@graph``, shallow first."""
    if depth > 20:
        return
    if isinstance(node, list):
        for item in node:
            yield from _objects(item, depth + 1)
    elif isinstance(node, dict):
        yield node
        yield from _objects(node.get("@graph"), depth + 1)


def _types(obj: dict[str, Any]) -> set[str]:
    kind = obj.get("@type")
    kinds = kind if isinstance(kind, list) else [kind]
    return {k.lower() for k in kinds if isinstance(k, str)}


def _names(value: Any) -> list[str]:
    """Author names from a JSON-LD ``author``: a string, a Person, or a list of them."""
    items = value if isinstance(value, list) else [value]
    names = [item.get("name") if isinstance(item, dict) else item for item in items]
    return [" ".join(n.split()) for n in names if isinstance(n, str) and n.strip()]


def _text(value: Any) -> str:
    return " ".join(value.split()) if isinstance(value, str) else ""


@dataclass(frozen=True)
class _LinkedData:
    headline: str = ""
    published: str = ""
    authors: tuple[str, ...] = ()
    publisher: str = ""
    section: str = ""


def _linked_data(meta: PageMeta) -> _LinkedData:
    """The page's article object in JSON-LD (the first of an article type, else the
    first with a ``datePublished``)."""
    objects = [obj for block in meta.jsonld for obj in _objects(block)]
    chosen = next((o for o in objects if _types(o) & _ARTICLE_TYPES), None)
    chosen = chosen or next((o for o in objects if _text(o.get("datePublished"))), None)
    if chosen is None:
        return _LinkedData()
    publisher = chosen.get("publisher")
    section = chosen.get("articleSection")
    return _LinkedData(
        headline=_text(chosen.get("headline")) or _text(chosen.get("name")),
        published=_text(chosen.get("datePublished")),
        authors=tuple(_names(chosen.get("author"))),
        publisher=_text(publisher.get("name")) if isinstance(publisher, dict) else "",
        section=_text(section[0] if isinstance(section, list) and section else section))


def _web(url: str) -> str:
    return url if url and is_web_url(url) and _host(url) else ""


def _body(text: str, title: str) -> str:
    """trafilatura's lines as paragraphs, without a first line that repeats the title."""
    lines = [" ".join(line.split()) for line in text.splitlines()]
    lines = [line for line in lines if line]
    if lines and title and lines[0].casefold() == title.casefold():
        lines = lines[1:]
    return "\n\n".join(lines)


def page_header(markup: str, source: str) -> dict[str, Any]:
    """The front-matter mapping for the page ``markup``; SkippedFile when it has no
    article text."""
    import trafilatura

    doc = trafilatura.bare_extraction(markup, with_metadata=True, favor_precision=True,
                                      include_comments=False, include_tables=True)
    meta = read_meta(markup)
    linked = _linked_data(meta)
    tags = meta.meta

    def got(name: str) -> str:
        """The extractor's own guess at a field."""
        return _text(getattr(doc, name, None)) if doc is not None else ""

    title = (_text(tags.get("og:title")) or linked.headline or got("title")
             or meta.title)
    text = getattr(doc, "text", None) if doc is not None else None
    body = _body(text if isinstance(text, str) else "", title)
    if not body:
        raise SkippedFile(source, NO_TEXT)
    header: dict[str, Any] = {"body": body}
    if title:
        header["title"] = title
    url = _web(meta.canonical) or _web(tags.get("og:url", ""))
    if url:
        header["url"] = url
    dated_by = next((name for name, value in (
        ("article:published_time", _text(tags.get("article:published_time"))),
        ("datePublished", linked.published), ("htmldate", got("date"))) if value), None)
    published = (_text(tags.get("article:published_time")) or linked.published
                 or got("date"))
    if published:
        header["published"] = published
        header[_DATED_BY] = dated_by
    og_author = _text(tags.get("article:author"))
    if is_web_url(og_author):
        og_author = ""  # often the author's profile page, not a name
    author = (_text(tags.get("author")) or og_author or ", ".join(linked.authors)
              or got("author"))
    if author:
        header["author"] = author
    excerpt = _text(tags.get("description")) or _text(tags.get("og:description"))
    if excerpt:
        header["excerpt"] = excerpt
    topics = [t for t in (_text(tags.get("article:section")) or linked.section,
                          *map(_text, meta.tags)) if t]
    if topics:
        header["topics"] = topics
    site = _text(tags.get("og:site_name"))
    domain = _host(url) if url else None
    provider = {k: v for k, v in (("name", site or domain or ""),
                                  ("domain", domain or "")) if v}
    if provider:
        header["provider"] = provider
    return header


def read_page(markup: str, source: str, warnings: list[str]) -> Article:
    """The article of the saved page ``markup`` (from ``source``), with ``warnings``
    (the decoding's) before its own. SkippedFile when the page has no article text."""
    from newsidx.model import clean
    from newsidx.parse import parse_mapping

    header = page_header(markup, source)
    dated_by = header.pop(_DATED_BY, None)
    article = parse_mapping(header, source)
    if article.date_source == "published":  # the tag or JSON-LD key the date came from
        article = replace(article, date_source=dated_by)
    article = replace(article, warnings=(*warnings, *article.warnings))
    return clean(article)
