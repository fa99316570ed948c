"""A record's identity: the canonical URL that names its page, else where it came from.

An article's id is a hash of its canonical URL (:func:`newsidx.model.canonical_url`) when
that URL names one page; a site's bare home page (path ``/`` or empty, no query), which
feeds and templates put on items that have no address of their own, names none. Without
such a URL the id comes from the article's **source key**: the file's path relative to
its ingest root, ``/``-separated, plus ``#line N`` or ``#item N`` for an item of a
dataset or feed. So editing a file keeps its id, and two files with the same text, or two
posts with the same text and different dates, stay two records.

The ingest root of a file is the outermost folder named to ``ingest`` that holds it; a
file named by itself has its own folder as its root; a file parsed outside an ingest
(no roots set) is keyed by its name. These are :mod:`newsidx.placement`'s roots, the ones
that give a record its ``folder``. The key starts with the root's own name
(``business/001.txt`` for ``ingest bbc/business``), so sibling roots given together
(``ingest bbc/business bbc/sport``) never share keys; roots of one ingest that share a
name are told apart by as many of their parent folders as it takes.
"""

from __future__ import annotations

import functools
import hashlib
import os
from collections.abc import Mapping
from typing import Any

from newsidx.model import ID_LENGTH, canonical_url, make_id

# The key a dataset or feed item's position is put under in its header (formats.dataset,
# formats.feed), and the word for it in the source key.
_POSITIONS = (("source_line", "line"), ("source_index", "item"))


def identity_url(url: str | None) -> str | None:
    """The canonical form of ``url`` when it names one page; None for no URL or a site's
    bare home page (``https://www.ndtv.com`` and ``https://www.ndtv.com/`` alike)."""
    if not url or not url.strip():
        return None
    canonical = canonical_url(url)
    home = _bare_home(canonical)
    if home is not None:
        return None if home else canonical
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(canonical)
    except ValueError:
        return canonical
    if parts.netloc and parts.path in ("", "/") and not parts.query:
        return None
    return canonical


def _bare_home(canonical: str) -> bool | None:
    """Whether a plain ``http(s)://host/path`` names a site's bare home page, told
    without ``urlsplit`` (a Python function costing most of an id); None when the URL
    has a query, fragment, brackets or characters urlsplit would drop, so it must decide."""
    if canonical.startswith("https://"):
        rest = canonical[8:]
    elif canonical.startswith("http://"):
        rest = canonical[7:]
    else:
        return None
    host, _, path = rest.partition("/")
    if not (host.isascii() and rest.isprintable()) or any(c in rest for c in "?#[] "):
        return None
    return bool(host) and not path


def position_of(header: Mapping[Any, Any]) -> str | None:
    """``line 12`` or ``item 3``: a dataset or feed item's place in its file, from the
    position key its reader put in ``header``; None for an article that is a whole file."""
    for key, word in _POSITIONS:
        value = header.get(key)
        if isinstance(value, int) and not isinstance(value, bool):
            return f"{word} {value}"
    return None


def _anchor(where: str, roots: list[str]) -> str | None:
    best: str | None = None
    for top in roots:
        inside = where == top or where.startswith(top.rstrip(os.sep) + os.sep)
        if inside and (best is None or len(top) < len(best)):
            best = top
    if best == where:  # a file named by itself: its folder is its root
        return os.path.dirname(where)
    return best


@functools.lru_cache(maxsize=64)
def _label(anchor: str, tops: tuple[str, ...]) -> str:
    """The last folders of ``anchor`` that no other root of this ingest ends with."""
    parts = [p for p in anchor.split(os.sep) if p]
    others = {a.rstrip(os.sep) for a in (_root_of(t) for t in tops)} - {anchor.rstrip(os.sep)}
    other_parts = [[p for p in o.split(os.sep) if p] for o in others]
    for n in range(1, len(parts) + 1):
        if all(o[-n:] != parts[-n:] for o in other_parts):
            return "/".join(parts[-n:])
    return "/".join(parts)


def _root_of(top: str) -> str:
    return os.path.dirname(top) if os.path.isfile(top) else top


def source_key(source: str, position: str | None = None) -> str:
    """The source part of an identity: ``bbc/business/001.txt`` (its root's name, then the
    path below it), ``feeds/x.xml#item 3``."""
    from newsidx.placement import roots

    tops = roots()
    where = os.path.abspath(source)
    anchor = _anchor(where, tops) if tops else None
    if anchor is None:
        rel = os.path.basename(source) or source
    else:
        rel = os.path.relpath(where, anchor).replace(os.sep, "/")
        label = _label(anchor, tuple(tops))
        rel = f"{label}/{rel}" if label else rel
    return rel if position is None else f"{rel}#{position}"


def article_id(url: str | None, source: str, position: str | None = None) -> str:
    """The id of an article: from its URL when that names a page, else its source key."""
    if identity_url(url) is not None:
        return make_id(url=url)
    key = ("source\0" + source_key(source, position)).encode("utf-8", "surrogatepass")
    return hashlib.blake2b(key, digest_size=16).hexdigest()[:ID_LENGTH]


def related_id(url: str | None, title: str, excerpt: str) -> str:
    """The id of a related entry: from its URL when that names a page, else its title
    and excerpt (an entry cited by several articles is one record)."""
    if identity_url(url) is not None:
        return make_id(url=url)
    return make_id(url=None, title=title, excerpt=excerpt)
