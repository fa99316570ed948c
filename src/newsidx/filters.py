"""The one record filter: providers, topics, kind, a date range, authors, languages,
folders and stories, as a frozen value.

:class:`Filters` is what a library user, the command line and every reader share.
The index turns it into tantivy clauses (:func:`to_request`); ``export`` streams the
catalogue through :func:`matches`, which normalises values the way the index does
(whitespace folded, case ignored), so both give the same records. Dates may be date
expressions (``2024-03``, ``7 days ago``; see :mod:`newsidx.timeparse`) or datetimes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from newsidx.errors import QueryError

if TYPE_CHECKING:
    from newsidx.indexrequest import SearchRequest
    from newsidx.model import Article

KINDS = ("article", "related")


def _strings(value: str | Iterable[str], name: str) -> tuple[str, ...]:
    """A tuple of strings from one string or an iterable of them (never a string's letters)."""
    items = (value,) if isinstance(value, str) else tuple(value)
    for item in items:
        if not isinstance(item, str):
            raise QueryError(f"{name} must be strings, not {type(item).__name__}")
    return items


def provider_value(text: str) -> str:
    """A provider as given, a leading ``www.`` left off (``www.reuters.com`` is
    ``reuters.com``); :mod:`newsidx.query` uses it for ``provider:`` too."""
    stripped = text.strip()
    return stripped[4:] if stripped[:4].lower() == "www." and len(stripped) > 4 else text


def _keyword(text: str) -> str:
    """A provider or topic as the index's keyword fields hold it (``analysis.keyword``,
    repeated here so that export does not load tantivy)."""
    return " ".join(text.split()).lower()


@dataclass(frozen=True, slots=True, init=False)
class Filters:
    """Records to keep: any of ``providers`` (domain or name), any of ``topics``, one
    ``kind`` (``article`` or ``related``), published from ``since`` up to ``until``.
    Every given filter must hold; an empty one keeps everything.

    ``authors`` (any name of a record's), ``langs`` (``zh_cn`` = ``zh-CN``) and ``folders``
    (the folder relative to the ingest root, or one above it: ``en`` keeps ``en/news``)
    and ``stories`` (a record's ``story`` id, see docs/stories.md) are keyword-only; like
    ``providers`` and ``topics`` each takes one string or several.
    ``since``/``until`` take a date expression, whose whole span counts (``"2024"``,
    ``"2024-03-05"``, ``"last week"``), or a datetime (naive means UTC; ``until`` then
    excludes the instant).
    """

    providers: tuple[str, ...]
    topics: tuple[str, ...]
    kind: str | None
    since: str | datetime | None
    until: str | datetime | None
    authors: tuple[str, ...]
    langs: tuple[str, ...]
    folders: tuple[str, ...]
    stories: tuple[str, ...]

    def __init__(self, providers: str | Iterable[str] = (), topics: str | Iterable[str] = (),
                 kind: str | None = None, since: str | datetime | None = None,
                 until: str | datetime | None = None, *, authors: str | Iterable[str] = (),
                 langs: str | Iterable[str] = (), folders: str | Iterable[str] = (),
                 stories: str | Iterable[str] = ()) -> None:
        if kind is not None and kind not in KINDS:
            raise QueryError(f"unknown kind {kind!r}: use article or related")
        for name, value in (("since", since), ("until", until)):
            if value is not None and not isinstance(value, str | datetime):
                raise QueryError(f"{name} must be a date expression or a datetime")
        # frozen: set once, here; one string means one value, never its letters
        object.__setattr__(self, "providers", tuple(
            provider_value(p) for p in _strings(providers, "providers")))
        object.__setattr__(self, "topics", _strings(topics, "topics"))
        object.__setattr__(self, "kind", kind)
        object.__setattr__(self, "since", since)
        object.__setattr__(self, "until", until)
        object.__setattr__(self, "authors", _strings(authors, "authors"))
        object.__setattr__(self, "langs", _strings(langs, "langs"))
        object.__setattr__(self, "folders", _strings(folders, "folders"))
        object.__setattr__(self, "stories", _strings(stories, "stories"))

    def bounds(self) -> tuple[datetime | None, datetime | None]:
        """``[since, until)`` as aware UTC instants; QueryError for an unreadable date."""
        since = until = None
        if isinstance(self.since, str) or isinstance(self.until, str):
            from newsidx.timeparse import parse_since, parse_until  # only when a date is given

            since = parse_since(self.since) if isinstance(self.since, str) else None
            until = parse_until(self.until) if isinstance(self.until, str) else None
        if isinstance(self.since, datetime):
            since = _aware(self.since)
        if isinstance(self.until, datetime):
            until = _aware(self.until)
        if since is not None and until is not None and since >= until:
            raise QueryError(f"since {self.since} is after until {self.until}: "
                             "nothing could match (swap them?)")
        return since, until


NO_FILTERS = Filters()


def _aware(value: datetime) -> datetime:
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value


def to_request(filters: Filters, text: str = "", **page: Any) -> SearchRequest:
    """The index request for ``filters`` and a query; a bad date fails here, before any
    index work. ``page`` holds ``limit``, ``offset``, ``sort``, ``recency_weight``; a
    None value keeps the index's default."""
    from newsidx.indexrequest import SearchRequest

    since, until = filters.bounds()
    return SearchRequest(
        text=text, providers=filters.providers, topics=filters.topics, kind=filters.kind,
        authors=filters.authors, langs=filters.langs, folders=filters.folders,
        stories=filters.stories, since=since,
        until=until, **{k: v for k, v in page.items() if v is not None},
    )


def matches(filters: Filters) -> Callable[[Article], bool]:
    """A predicate keeping the records ``filters`` keeps, to stream the catalogue without
    the index; dates are parsed once, here."""
    providers = {_keyword(p) for p in filters.providers}
    topics = {_keyword(t) for t in filters.topics}
    since, until = filters.bounds()
    kind = filters.kind
    stories = {_keyword(s) for s in filters.stories}
    from newsidx import fieldterms

    wanted = {field: {fieldterms.value_key(field, v) for v in values}
              for field, values in (("author", filters.authors), ("lang", filters.langs),
                                    ("folder", filters.folders)) if values}

    def keep(r: Article) -> bool:
        if kind and r.kind != kind:
            return False
        if stories and (r.story or "").lower() not in stories:
            return False
        if providers and not (r.provider and {_keyword(r.provider_key or ""),
                                              _keyword(r.provider.name or "")} & providers):
            return False
        if topics and not {_keyword(t) for t in r.topics} & topics:
            return False
        if wanted:
            have = fieldterms.record_values(r)
            if any(not have[field] & keys for field, keys in wanted.items()):
                return False
        if since is not None and (r.published is None or r.published < since):
            return False
        return until is None or (r.published is not None and r.published < until)

    return keep
