"""A loaded front-matter mapping → ``Article`` arguments and records.

The field rules of docs/format.md: which keys give the title, excerpt, URLs, date,
provider, topics, authors, images and body, how a value that is not the expected kind is
kept in ``extra`` with a warning, the fallback titles, and the related records. Shared by
article files (:mod:`newsidx.parse`) and mappings already read (dataset rows, feed items,
pages), so the same keys give the same record whatever the file. Every value copied into
``extra`` counts against the value budget, so aliased YAML cannot multiply it.
"""

from __future__ import annotations

import base64
import math
import re
from collections.abc import Mapping
from datetime import date, datetime, time
from pathlib import PurePath
from typing import Any
from urllib.parse import unquote, urlsplit

from . import attribution, dates, identity
from .clean import fold_title, is_web_url
from .frontmatter import MAX_DEPTH, TOO_BIG, TOO_DEEP, VALUE_BUDGET, Hostile, OddKey
from .model import Article, Image, JSONValue, Provider, RelatedRef, canonical_url

__all__ = ["Context", "build"]

_DATE_KEYS = ("publishedDateTime", "publishedAt", "published", "pubDate", "date")
_URL_KEYS = (("webUrl", "web_url"), ("originalUrl", "original_url"),
             ("ampWebUrl", "amp_url"), ("cdnAmpWebUrl", "cdn_amp_url"))
_EXCERPT_KEYS = ("excerpt", "description", "summary")
_PROVIDER_KEYS = ("provider", "source", "publisher")
_BODY_KEYS = ("body", "content", "text")
_HEADING = re.compile(r"^#{1,6}[ \t]", re.M)
_SENTENCE = re.compile(r"[.!?。！？](?=\s|$)")
_URL_WORDS = re.compile(r"[-_+\s]+")
_MARKUP_START = re.compile(r"[<&\[\]{}*_`#|\\>~=]")  # plaintext._STARTS: markup may follow


class Context:
    """Per-file state: warnings, the shared value budget, odd keys seen."""

    __slots__ = ("budget", "markup", "odd_keys", "warnings")

    def __init__(self, *, markup: bool = False) -> None:
        self.budget = VALUE_BUDGET
        self.markup = markup  # titles and excerpts may hold HTML/Markdown (a post's file)
        self.warnings: list[str] = []
        self.odd_keys: list[str] = []

    def key_text(self, key: Any) -> str:
        if isinstance(key, str) and not isinstance(key, OddKey):
            return key
        text = key if isinstance(key, str) else _scalar_text(key)
        if text is None:
            text = str(key)
        self.odd_keys.append(text)
        return str(text)

    def jsonable(self, value: Any, depth: int = 0) -> JSONValue:
        """``value`` as plain JSON data; shared (aliased) values count every time."""
        self.budget -= 1
        if self.budget < 0:
            raise Hostile(TOO_BIG)
        if isinstance(value, str):
            return str(value)
        if isinstance(value, bool) or value is None:
            return value
        if isinstance(value, int):
            return int(value)
        if isinstance(value, float):
            return float(value) if math.isfinite(value) else _scalar_text(value)
        if depth > 2 * MAX_DEPTH:
            raise Hostile(TOO_DEEP)
        if isinstance(value, dict):
            return {self.key_text(k): self.jsonable(v, depth + 1) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [self.jsonable(v, depth + 1) for v in value]
        if isinstance(value, (set, frozenset)):
            return sorted((self.jsonable(v, depth + 1) for v in value), key=str)
        if isinstance(value, (datetime, date, time)):
            return value.isoformat()
        if isinstance(value, bytes):
            return base64.b64encode(value).decode("ascii")
        return str(value)


def _scalar_text(value: Any) -> str | None:
    """A scalar as the author wrote it: ``2024``, ``no``, ``0o17``; None for collections."""
    if isinstance(value, str):
        return str(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    raw = getattr(value, "raw", None)
    if isinstance(raw, str):
        return raw
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else str(value).replace("inf", ".inf")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    return None


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return None
    else:
        return None
    return number if math.isfinite(number) else None


def _count(value: Any) -> int | None:
    number = _number(value)
    return int(number) if number is not None and number.is_integer() else None


def _first_sentence(text: str) -> str:
    match = _SENTENCE.search(text)
    sentence = text[: match.end()] if match else text
    return sentence.strip()


def _first_line_of(text: str) -> str:
    for line in text.split("\n", 50):
        if line.strip():
            return line.strip()
    return ""


def _heading(body: str) -> str:
    """The body's first Markdown heading: setext on the first line, else the first ATX."""
    head = body.lstrip("\n").split("\n", 2)
    if len(head) >= 2 and head[0].strip():
        underline = head[1].strip()
        if underline and (set(underline) == {"="} or set(underline) == {"-"}):
            return head[0].strip()
    match = _HEADING.search(body)
    if match is None:
        return ""
    end = body.find("\n", match.start())
    line = body[match.start() : end if end >= 0 else len(body)]
    return line.strip().strip("#").strip()


def _title_from_url(url: str) -> str:
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    segments = [s for s in parts.path.split("/") if s]
    if segments:
        last = unquote(segments[-1])
        stem, dot, ext = last.rpartition(".")
        if dot and stem and len(ext) <= 5:
            last = stem
        words = _URL_WORDS.sub(" ", last).strip()
        if words:
            return words
    return parts.hostname or url


class _Fields:
    """The modelled fields of one mapping (an article's front matter or a related item)."""

    __slots__ = ("args", "body", "title", "url")

    def __init__(self) -> None:
        self.args: dict[str, Any] = {}
        self.title = ""
        self.url: str | None = None
        self.body = ""


def _fields(ctx: Context, data: Mapping[Any, Any], prefix: str, warnings: list[str],
            *, file_name: str | None = None, source: str | None = None) -> _Fields:
    """Map the known keys onto Article arguments; every other key goes to ``extra``."""
    rest = dict(data)
    out = _Fields()
    args = out.args
    extra: dict[str, JSONValue] = {}

    def unusable(key: str, value: Any, what: str) -> None:
        warnings.append(f"{prefix}{key} is not {what}: kept in extra")
        extra[key] = ctx.jsonable(value)

    def text(key: str) -> str | None:
        value = rest.pop(key, None)
        if value is None:
            return None
        result = _scalar_text(value)
        if result is None:
            unusable(key, value, "text")
        return result

    title = text("title")
    out.title = fold_title(_shown(ctx, title)) if title else ""
    for key in _EXCERPT_KEYS:
        if key in rest:
            excerpt = text(key)
            if excerpt and excerpt.strip():
                args["excerpt"] = _shown(ctx, excerpt.strip(), block=True)
                break
    for key in ("category", "type"):
        value = text(key)
        if value and value.strip():
            args[key] = value.strip()
    def web_url(key: str) -> str | None:
        value = text(key)
        if not value or not value.strip():
            return None
        if not is_web_url(value.strip()):
            warnings.append(f"{prefix}{key} is not an http(s) URL: kept in extra")
            extra[key] = value
            return None
        return value.strip()

    for key, name in _URL_KEYS:
        value = web_url(key)
        if value:
            args[name] = value
    for key in ("url", "link"):
        if "web_url" in args:
            break
        value = web_url(key)
        if value:
            args["web_url"] = value
    chosen = args.get("web_url") or args.get("original_url")
    if chosen:
        out.url = canonical_url(chosen)

    for key in ("quality", "heat"):
        if key in rest:
            value = rest.pop(key)
            number = _number(value)
            if number is None and value is not None:
                unusable(key, value, "a finite number")
            args[key] = number

    url_key = extra.get("url")  # a url kept in extra (not http) may still hold the date
    _date(ctx, rest, args, prefix, warnings, file_name, source,
          url_key if isinstance(url_key, str) else args.get("web_url"))
    _provider(ctx, rest, args, extra, prefix, warnings)
    _topics(ctx, rest, args, extra, prefix, warnings)
    attribution.take(rest, args, _scalar_text)
    if "images" in rest:
        args["images"] = _images(ctx, rest.pop("images"), extra, prefix, warnings)
    for key in _BODY_KEYS:
        value = rest.get(key)
        if isinstance(value, str) and value.strip():
            out.body = value.strip()
            del rest[key]
            break
    for key, value in rest.items():
        extra[ctx.key_text(key)] = ctx.jsonable(value)
    args["extra"] = extra
    return out


def _shown(ctx: Context, text: str, *, block: bool = False) -> str:
    """A post's title or excerpt as a reader sees it (``NARA&#8217;s`` → ``NARA’s``):
    entities decoded, tags and Markdown removed (:mod:`newsidx.plaintext`). Datasets,
    feeds and pages have their own rules (a feed's plain-text title keeps ``<changes>``)."""
    if not ctx.markup or (not block and _MARKUP_START.search(text) is None):
        return text  # one C scan for most titles
    from newsidx import plaintext

    return (plaintext.body_text(text) or text) if block else plaintext.inline_text(text)


def _date(ctx: Context, rest: dict[Any, Any], args: dict[str, Any], prefix: str,
          warnings: list[str], file_name: str | None, source: str | None,
          url: str | None) -> None:
    parsed: dates.ParsedDate | None = None
    where: str | None = None
    for key in _DATE_KEYS:
        value = rest.get(key)
        if value is None or isinstance(value, (bool, list, dict)):
            continue
        parsed = dates.parse_date(value)
        where = key
        del rest[key]
        if parsed.warning:
            warnings.append(prefix + parsed.warning)
        break
    if parsed is None or parsed.instant is None:  # the rest only for posts without a date
        from newsidx.datefallback import fallback

        found = fallback(rest, url, source, file_name)
        if found is not None:
            if parsed is not None and parsed.raw:
                rest.setdefault("published_unreadable", parsed.raw)
            parsed, where = found
    if parsed is None:
        return
    args["date_source"] = where if parsed.instant is not None else None
    args["published"] = parsed.instant
    args["published_raw"] = parsed.raw
    args["published_offset"] = parsed.offset
    args["published_zoneless"] = parsed.zoneless


def _provider(ctx: Context, rest: dict[Any, Any], args: dict[str, Any],
              extra: dict[str, JSONValue], prefix: str, warnings: list[str]) -> None:
    for key in _PROVIDER_KEYS:
        value = rest.get(key)
        if value is None:
            continue
        if isinstance(value, dict):
            name = _scalar_text(value.get("name"))
            domain = _scalar_text(value.get("domain"))
            if set(value) - {"name", "domain"}:
                extra[key] = ctx.jsonable(value)
        else:
            name, domain = _scalar_text(value), None
            if name is None:
                continue
        del rest[key]
        name = name.strip() if name else None
        domain = domain.strip() if domain else None
        if name or domain:
            args["provider"] = Provider(name or None, domain or None)
        return


def _topics(ctx: Context, rest: dict[Any, Any], args: dict[str, Any],
            extra: dict[str, JSONValue], prefix: str, warnings: list[str]) -> None:
    """Topics from every key sites use (:mod:`newsidx.topics`); ``category`` stays a field."""
    from newsidx import topics as t

    groups: list[list[str]] = []

    def take(key: str, value: Any, keep: dict[str, JSONValue]) -> None:
        found, dropped = t.values(value, _scalar_text)
        groups.append(found)
        if dropped:
            warnings.append(f"{prefix}{key}: {len(dropped)} value(s) that are not text kept in "
                            f"extra")
            keep[key] = ctx.jsonable(value)

    for key in t.TOPIC_KEYS:
        if key == "category" and "category" in args:
            groups.append([args["category"]])
            continue
        value = rest.pop(key, None)
        if value is not None:
            take(key, value, extra)
    table = rest.get(t.TAXONOMIES)
    names = t.taxonomy_keys(table)
    if names and isinstance(table, dict):
        kept: dict[str, JSONValue] = {}
        for name in names:
            take(name, table[name], kept)
        others = {k: v for k, v in table.items() if k not in names}
        del rest[t.TAXONOMIES]
        if others or kept:
            extra[t.TAXONOMIES] = ctx.jsonable({**others, **kept})
    if groups:
        args["topics"] = t.union(groups)


def _images(ctx: Context, value: Any, extra: dict[str, JSONValue], prefix: str,
            warnings: list[str]) -> tuple[Image, ...]:
    items = value if isinstance(value, (list, tuple)) else [value]
    images: list[Image] = []
    dropped: list[Any] = []
    for item in items:
        if isinstance(item, str) and item.strip():
            images.append(Image(item.strip()))
            continue
        url = _scalar_text(item.get("url")) if isinstance(item, dict) else None
        if not isinstance(item, dict) or not url or not url.strip():
            dropped.append(item)
            continue
        rest = {ctx.key_text(k): ctx.jsonable(v) for k, v in item.items()
                if k not in ("url", "width", "height")}
        images.append(Image(url.strip(), _count(item.get("width")), _count(item.get("height")),
                            rest))
    if dropped:
        warnings.append(f"{prefix}{len(dropped)} image(s) without a URL kept in extra")
        extra["images"] = ctx.jsonable(dropped)
    return tuple(images)


# --- records ---------------------------------------------------------------------

def _related(ctx: Context, value: Any, parent: Article, source: str,
             warnings: list[str]) -> list[Article]:
    items = [value] if isinstance(value, dict) else value
    records: list[Article] = []
    seen = {parent.id}
    for n, item in enumerate(items, 1):
        prefix = f"related item {n}: "
        if not isinstance(item, dict):
            warnings.append(f"{prefix}not a mapping ({_short(item)}): dropped")
            continue
        own: list[str] = []
        fields = _fields(ctx, item, prefix, own)
        args = fields.args
        title = fields.title or fold_title(_first_sentence(args.get("excerpt", "")))
        if not title and fields.url:
            title = fold_title(
                _title_from_url(args.get("web_url") or args.get("original_url") or ""))
        if not title and not fields.url:
            warnings.append(f"{prefix}neither a title nor a URL: dropped")
            continue
        if fields.body:
            args["extra"] = {**args["extra"], "body": fields.body}
        record_id = identity.related_id(fields.url, title, args.get("excerpt", ""))
        if record_id in seen:
            warnings.append(f"{prefix}same record as an earlier one ({record_id}): dropped")
            continue
        seen.add(record_id)
        records.append(Article(id=record_id, kind="related", title=title, url=fields.url,
                               sources=(source,), parents=(parent.id,),
                               warnings=tuple(own), **args))
    return records


def _short(value: Any) -> str:
    text = _scalar_text(value)
    if text is None:
        text = type(value).__name__
    return text if len(text) <= 40 else text[:37] + "..."


def build(ctx: Context, header: Mapping[Any, Any], body: str, source: str,
          file_name: str, warnings: list[str], position: str | None = None
          ) -> tuple[Article, list[Article]]:
    """The article of one header and body, and its related records (not yet cleaned).

    Raises ``Hostile`` when the header exceeds the value budget or depth."""
    rest = dict(header)
    related_value = rest.pop("related", None)
    fields = _fields(ctx, rest, "", warnings, file_name=file_name,
                     source=source if file_name else None)
    args = fields.args
    if not body and fields.body:
        body = fields.body
    elif fields.body:
        args["extra"] = {**args["extra"], "body": fields.body}
    title = (fields.title or fold_title(_shown(ctx, _heading(body)))
             or fold_title(_first_sentence(args.get("excerpt", "")))
             or fold_title(_first_line_of(body)) or fold_title(PurePath(file_name).stem)
             or "untitled")
    related_items: list[Any] = []
    if isinstance(related_value, (list, tuple, dict)):
        related_items = list(related_value) if not isinstance(related_value, dict) else [
            related_value]
    elif related_value is not None:
        warnings.append(f"related is not a list or mapping ({_short(related_value)}): "
                        "kept in extra")
        args["extra"] = {**args["extra"], "related": ctx.jsonable(related_value)}
    record_id = identity.article_id(fields.url, source, position)
    stub = Article(id=record_id, kind="article", title=title)
    related = _related(ctx, related_items, stub, source, warnings)
    if ctx.odd_keys:
        shown = ", ".join(repr(k) for k in ctx.odd_keys[:5])
        warnings.append(f"keys that are not text read as text: {shown}")
    article = Article(
        id=record_id, kind="article", title=title, body=body, url=fields.url,
        related=tuple(RelatedRef(r.id, r.title, r.url) for r in related),
        sources=(source,), warnings=tuple(warnings), **args,
    )
    return article, related
