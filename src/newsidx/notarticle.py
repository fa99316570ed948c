"""Files whose content is not an article: site assets and listing pages.

A site checkout holds SVG charts, scripts, style sheets, XML that is not a feed, source
code and HTML fragments beside its posts, and section or list pages among them. Parsed
as text, each became an "article" titled ``<?xml ...`` that ranked in ordinary searches.
``sniff`` looks at a file's first bytes (and its extension, only when the file has no
front matter: content decides); ``listing`` looks at a parsed record. Each returns the
reason to skip, ``not an article: ...``, or None. Ingest calls both in its parse workers.
"""

from __future__ import annotations

import os
import re

from newsidx.model import Article
from newsidx.selection import NOT_ARTICLE

_CODE_EXTENSIONS = {
    ".js": "JavaScript", ".mjs": "JavaScript", ".cjs": "JavaScript", ".jsx": "JavaScript",
    ".ts": "TypeScript", ".tsx": "TypeScript", ".css": "style sheet",
    ".scss": "style sheet", ".sass": "style sheet", ".less": "style sheet",
    ".svg": "SVG image", ".py": "source code", ".rb": "source code", ".go": "source code",
    ".rs": "source code", ".java": "source code", ".c": "source code", ".h": "source code",
    ".cc": "source code", ".cpp": "source code", ".php": "source code",
    ".sh": "shell script", ".bash": "shell script", ".lock": "lock file",
    ".map": "source map", ".wasm": "binary", ".xsl": "XSL style sheet",
}
_FEED = re.compile(rb"<(?:rss|feed|rdf:RDF)[\s>]", re.IGNORECASE)
_FULL_PAGE = re.compile(rb"<(?:!doctype\s+html|html)[\s>]", re.IGNORECASE)
_TAG_START = re.compile(rb"<[A-Za-z!?]")
_LIST_LAYOUTS = frozenset({
    "list", "section", "home", "index", "archive", "archives", "category", "categories",
    "tag", "tags", "taxonomy", "term", "terms", "blog-index",
})


def _has_front_matter(head: bytes) -> bool:
    return head.startswith((b"---", b"+++", b"{"))


def sniff(data: bytes, path: str) -> str | None:
    """Why these bytes are not an article (before parsing); None when they may be."""
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if _has_front_matter(head):
        return None
    low = head[:512].lower()
    if low.startswith(b"<svg") or (low.startswith(b"<?xml") and b"<svg" in head.lower()):
        return f"{NOT_ARTICLE}: SVG image"
    if low.startswith(b"<?xml"):
        return None if _FEED.search(head) else f"{NOT_ARTICLE}: XML document (not a feed)"
    ext = os.path.splitext(path)[1].lower()
    kind = _CODE_EXTENSIONS.get(ext)
    if kind is not None:
        return f"{NOT_ARTICLE}: {kind} ({ext})"
    if head.startswith(b"#!"):
        return f"{NOT_ARTICLE}: script"
    if _TAG_START.match(head) and not _FULL_PAGE.match(head) and not _FEED.match(head):
        return f"{NOT_ARTICLE}: HTML fragment"
    return None


def listing(record: Article, path: str, has_body: bool) -> str | None:
    """Why a parsed article is a listing page rather than an article; None if it is one.

    A section or list layout declared in the front matter (``layout``, or ``type`` of
    ``list``/``section``), or a page named ``index`` whose body is empty."""
    for key in ("layout", "type"):
        value = record.extra.get(key) if key == "layout" else record.type
        if isinstance(value, str) and value.strip().lower() in _LIST_LAYOUTS:
            if key == "type" and value.strip().lower() not in ("list", "section"):
                continue
            return f"{NOT_ARTICLE}: {value.strip()} page ({key}: {value.strip()})"
    stem = os.path.basename(path).split(".", 1)[0].lower()
    if stem == "index" and not has_body:
        return f"{NOT_ARTICLE}: index page with no text"
    return None
