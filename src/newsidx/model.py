"""Typed article records, their stable ids and their JSON form.

Every record is either a full ``article`` (one file) or a ``related`` entry cited by
an article's front matter. Both share one shape so that they can be stored, indexed
and listed alike. JSON is the catalogue's storage form: ``to_json`` and ``from_json``
are exact inverses for any record whose ``extra`` holds JSON values and whose strings
are clean (:mod:`newsidx.clean`), as every record that ``parse`` or ``from_json``
makes is.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Literal

from newsidx.clean import scrub_record

JSONValue = None | bool | int | float | str | list["JSONValue"] | dict[str, "JSONValue"]
Kind = Literal["article", "related"]
KINDS: tuple[Kind, ...] = ("article", "related")
ID_LENGTH = 16

_TRACKING_PREFIXES = ("utm_",)
_TRACKING_PARAMS = frozenset(
    {"fbclid", "gclid", "dclid", "msclkid", "mc_cid", "mc_eid", "igshid", "yclid",
     "_ga", "_gl", "ocid", "cmpid", "smid", "ito", "at_medium", "at_campaign"}
)
_DEFAULT_PORTS = {"http": 80, "https": 443}
# A URL holding one of these needs urllib's normalisation (one C scan each, not a
# generator per character: canonical_url runs up to three times per record).
_FULL_URL_CHAR = re.compile(r"[?#%\\ \t\n\r]")
_FULL_HOST_CHAR = re.compile(r"[:@\[\]]")


@dataclass(frozen=True, slots=True)
class Provider:
    """Who published a record: a display name and a web domain, either may be absent."""

    name: str | None = None
    domain: str | None = None

    @property
    def key(self) -> str | None:
        """The catalogue key: the domain, else the lower-cased name."""
        if self.domain:
            return self.domain.lower()
        if self.name:
            return self.name.strip().lower()
        return None


@dataclass(frozen=True, slots=True)
class Image:
    """An image attached to a record; unknown keys are kept in ``extra``."""

    url: str
    width: int | None = None
    height: int | None = None
    extra: Mapping[str, JSONValue] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RelatedRef:
    """A link from an article to one of its related records."""

    id: str
    title: str
    url: str | None = None


@dataclass(frozen=True, slots=True)
class Article:
    """One record of the catalogue.

    ``published`` is an aware UTC instant; ``published_raw`` is the date as written,
    ``published_offset`` its original UTC offset ("+08:00") and ``published_zoneless``
    is true when the source gave no zone and UTC was assumed; ``date_source`` says where
    the date was found (a front-matter key such as ``date`` or ``permalink``, ``filename``,
    ``folders``, ``extra.KEY``; see docs/format.md). ``sources`` are the
    files the record came from; ``parents`` the ids of articles citing a related record.
    ``extra`` keeps every front-matter key that is not modelled, never dropping one.
    ``authors`` are names as written; ``lang`` a lower-case language code (``en``,
    ``zh-cn``); ``folder`` the source file's folder relative to the ingest root (``""`` at
    the root, None when unknown). ``alt_titles`` are the other headlines of a record that
    several files share by URL (searched like the title; ``show`` prints them).
    """

    id: str
    kind: Kind
    title: str
    excerpt: str = ""
    body: str = ""
    published: datetime | None = None
    published_raw: str | None = None
    published_offset: str | None = None
    published_zoneless: bool = False
    provider: Provider | None = None
    topics: tuple[str, ...] = ()
    category: str | None = None
    type: str | None = None
    url: str | None = None
    web_url: str | None = None
    original_url: str | None = None
    amp_url: str | None = None
    cdn_amp_url: str | None = None
    quality: float | None = None
    heat: float | None = None
    images: tuple[Image, ...] = ()
    related: tuple[RelatedRef, ...] = ()
    sources: tuple[str, ...] = ()
    parents: tuple[str, ...] = ()
    extra: Mapping[str, JSONValue] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    authors: tuple[str, ...] = ()
    lang: str | None = None
    folder: str | None = None
    date_source: str | None = None
    alt_titles: tuple[str, ...] = ()
    story: str | None = None  # set at ingest by newsidx.stories; None until grouped

    @property
    def provider_key(self) -> str | None:
        return self.provider.key if self.provider else None

    @property
    def day(self) -> str | None:
        """The UTC publication day, ``YYYY-MM-DD``, the catalogue's date key."""
        if self.published is None:
            return None
        d = self.published
        return f"{d.year:04d}-{d.month:02d}-{d.day:02d}"


def canonical_url(url: str) -> str:
    """Normalise a URL so that spellings of one address compare equal.

    Scheme and host are lower-cased, default ports, the fragment and tracking
    parameters (``utm_*``, ``fbclid``...) are removed; path and the remaining query
    keep their case and order.
    """
    text = url.strip()
    fast = _canonical_fast(text)
    if fast is not None:
        return fast
    return _canonical_full(text)


def _canonical_fast(text: str) -> str | None:
    """The common case without urllib: ``http(s)://lowercase-host/path``, no query,
    fragment, port, user or escapes; None when the full normalisation is needed."""
    if text.startswith("https://"):
        rest = text[8:]
    elif text.startswith("http://"):
        rest = text[7:]
    else:
        return None
    host, slash, _ = rest.partition("/")
    if (
        not host
        or not host.isascii()
        or _FULL_URL_CHAR.search(text) is not None
        or _FULL_HOST_CHAR.search(host) is not None
        or host != host.lower()
        or not rest.isprintable()
    ):
        return None
    return text if slash else text + "/"


def _canonical_full(text: str) -> str:
    from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        return text
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if not scheme or not host:
        return text
    netloc = host
    if parts.username:
        netloc = f"{parts.username}@{host}"
    if port is not None and _DEFAULT_PORTS.get(scheme) != port:
        netloc = f"{netloc}:{port}"
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if not k.lower().startswith(_TRACKING_PREFIXES) and k.lower() not in _TRACKING_PARAMS
    ]
    path = parts.path or "/"
    return urlunsplit((scheme, netloc, path, urlencode(query, doseq=True), ""))


def make_id(*, url: str | None, title: str = "", body: str = "", excerpt: str = "") -> str:
    """A stable record id: from the canonical URL when there is one, else the content."""
    if url and url.strip():
        key = "url\0" + canonical_url(url)
    else:
        key = "content\0" + "\0".join(" ".join(s.split()) for s in (title, excerpt, body))
    import hashlib

    digest = hashlib.blake2b(key.encode("utf-8", "surrogatepass"), digest_size=16)
    return digest.hexdigest()[:ID_LENGTH]


def format_datetime(value: datetime) -> str:
    """ISO 8601 in UTC with a ``Z`` suffix, the one date form in the catalogue."""
    text = value.astimezone(timezone.utc).isoformat()
    return text.replace("+00:00", "Z")


def parse_datetime(text: str) -> datetime:
    """Inverse of :func:`format_datetime`."""
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(timezone.utc)


def _num(value: float | None) -> JSONValue:
    return value


def to_json(record: Article) -> dict[str, JSONValue]:
    """The record as a JSON object with stable key names (documented in docs/catalogue.md);
    ``alt_titles`` only when there are some, so every other record's line is unchanged."""
    out: dict[str, JSONValue] = {
        "id": record.id,
        "kind": record.kind,
        "title": record.title,
        "excerpt": record.excerpt,
        "body": record.body,
        "published": format_datetime(record.published) if record.published else None,
        "published_raw": record.published_raw,
        "published_offset": record.published_offset,
        "published_zoneless": record.published_zoneless,
        "date_source": record.date_source,
        "provider": (
            {"name": record.provider.name, "domain": record.provider.domain}
            if record.provider
            else None
        ),
        "topics": list(record.topics),
        "category": record.category,
        "type": record.type,
        "url": record.url,
        "web_url": record.web_url,
        "original_url": record.original_url,
        "amp_url": record.amp_url,
        "cdn_amp_url": record.cdn_amp_url,
        "quality": _num(record.quality),
        "heat": _num(record.heat),
        "images": [
            {"url": i.url, "width": i.width, "height": i.height, "extra": dict(i.extra)}
            for i in record.images
        ],
        "related": [{"id": r.id, "title": r.title, "url": r.url} for r in record.related],
        "extra": dict(record.extra),
        "warnings": list(record.warnings),
        "authors": list(record.authors),
        "lang": record.lang,
        "folder": record.folder,
    }
    if record.alt_titles:
        out["alt_titles"] = list(record.alt_titles)
    # last, what the index does not hold (indexdoc.NOT_INDEXED), so that a line's content
    # is its prefix (indexdoc.line_content_digest); the story the very last, as grouping
    # writes it into a ready line (storyrun.with_story)
    out["sources"] = list(record.sources)
    out["parents"] = list(record.parents)
    out["story"] = record.story
    return out


_LISTS_OF_TEXT = ("topics", "sources", "parents", "warnings", "authors", "alt_titles")
_TEXTS = ("title", "excerpt", "body")
_EMPTY: list[Any] = []
_is_str = str.__instancecheck__  # isinstance(x, str) as a function map() calls in C
_is_dict = dict.__instancecheck__


def record_problem(data: Any) -> str | None:
    """Why ``data`` is not a record's JSON form as :func:`to_json` writes it, or None."""
    if not isinstance(data, dict):
        return "not a JSON object"
    rid = data.get("id")
    if not isinstance(rid, str) or not rid.strip():
        return "no record id ('id' must be a non-empty string)"
    if data.get("kind", "article") not in KINDS:
        return f"unknown kind {data.get('kind')!r} (article or related)"
    for key in _TEXTS:
        if not isinstance(data.get(key, ""), str):
            return f"{key!r} must be a string"
    for key in _LISTS_OF_TEXT:
        value = data.get(key, _EMPTY)
        if not isinstance(value, list) or (value and not all(map(_is_str, value))):
            return f"{key!r} must be a list of strings"
    for key in ("lang", "folder", "date_source"):
        if not isinstance(data.get(key, ""), str | None):
            return f"{key!r} must be a string or null"
    provider = data.get("provider")
    if provider is not None and not isinstance(provider, dict):
        return "'provider' must be an object or null"
    for key in ("images", "related"):
        value = data.get(key, _EMPTY)
        if not isinstance(value, list) or (value and not all(map(_is_dict, value))):
            return f"{key!r} must be a list of objects"
    return None



def clean(record: Article) -> Article:
    """``record`` with every string made safe (see :mod:`newsidx.clean`), warnings added;
    the record itself when nothing needed changing."""
    data = to_json(record)
    scrubbed, _ = scrub_record(data)
    return record if scrubbed is data else _build(scrubbed)


def from_json(data: Mapping[str, Any]) -> Article:
    """Rebuild a record from :func:`to_json` output, every string checked on the way in.

    Raises ValueError (or KeyError, TypeError for a malformed nested value) for data that
    is not a record; a lone surrogate, NUL, non-http URL or multi-line title is repaired
    with a warning (:func:`newsidx.clean.scrub_record`), so no later stage meets one.
    """
    return _checked(data, scan=True)


def _checked(data: Mapping[str, Any], *, scan: bool) -> Article:
    problem = record_problem(data)
    if problem is not None:
        raise ValueError(problem)
    return _build(scrub_record(data, scan=scan)[0])


def _build(data: Mapping[str, Any]) -> Article:
    provider = data.get("provider")
    published = data.get("published")
    kind = data.get("kind", "article")
    return Article(
        id=data["id"],
        kind=kind,
        title=data.get("title", ""),
        excerpt=data.get("excerpt", ""),
        body=data.get("body", ""),
        published=parse_datetime(published) if published else None,
        published_raw=data.get("published_raw"),
        published_offset=data.get("published_offset"),
        published_zoneless=bool(data.get("published_zoneless", False)),
        date_source=data.get("date_source"),
        provider=Provider(provider.get("name"), provider.get("domain")) if provider else None,
        topics=tuple(data.get("topics", ())),
        category=data.get("category"),
        type=data.get("type"),
        url=data.get("url"),
        web_url=data.get("web_url"),
        original_url=data.get("original_url"),
        amp_url=data.get("amp_url"),
        cdn_amp_url=data.get("cdn_amp_url"),
        quality=data.get("quality"),
        heat=data.get("heat"),
        images=tuple(
            Image(i["url"], i.get("width"), i.get("height"), dict(i.get("extra") or {}))
            for i in data.get("images", ())
        ),
        related=tuple(
            RelatedRef(r["id"], r.get("title", ""), r.get("url")) for r in data.get("related", ())
        ),
        sources=tuple(data.get("sources", ())),
        parents=tuple(data.get("parents", ())),
        extra=dict(data.get("extra") or {}),
        warnings=tuple(data.get("warnings", ())),
        authors=tuple(data.get("authors", ())),
        lang=data.get("lang"),
        folder=data.get("folder"),
        alt_titles=tuple(data.get("alt_titles", ())),
        story=data["story"] if isinstance(data.get("story"), str) else None,
    )


def record_from_line(line: str | bytes) -> Article:
    """One stored JSON line → its record; ValueError with a one-line reason otherwise.

    ``line`` is bytes as stored, or text decoded strictly (``open(..., encoding="utf-8")``;
    not with ``surrogateescape``): then a NUL or surrogate can only come from a ``\\u``
    escape, and a line without one skips from_json's scan for them, a third of its cost.
    """
    import json

    scan = b"\\u" in line if isinstance(line, bytes) else "\\u" in line
    try:
        data = json.loads(line)
    except RecursionError:
        raise ValueError("not a record: nested too deeply") from None
    except ValueError as exc:  # UnicodeDecodeError and JSONDecodeError too
        raise ValueError(f"not JSON: {exc}") from None
    try:
        return _checked(data, scan=scan)
    except ValueError:
        raise
    except (KeyError, TypeError, AttributeError) as exc:
        raise ValueError(f"not a newsidx record: {type(exc).__name__} {exc}") from None


class SkippedLines:
    """Stored lines that are not records, counted and named instead of raised.

    A read path reads each line with :meth:`read` (None for a bad one, which it leaves
    out) and prints :attr:`message` on stderr at the end, so one bad line never stops
    the reading of the rest and is never left out silently.
    """

    def __init__(self) -> None:
        self.count = 0
        self.first: str | None = None

    def read(self, line: str | bytes, where: str) -> Article | None:
        """The record of ``line``; None (counted, ``where`` kept) when it is unreadable."""
        try:
            return record_from_line(line)
        except ValueError as exc:
            self.count += 1
            if self.first is None:
                self.first = f"{where}: {exc}"
            return None

    @property
    def message(self) -> str | None:
        """One line for stderr, or None when every line was read."""
        if not self.count:
            return None
        return (f"{self.count} stored record(s) could not be read and were left out "
                f"(first: {self.first}); 'newsidx check --repair' repairs the catalogue")
