"""What the search index holds: its schema (version and fields) and each record's document.

Kept apart from reading and writing the index because ingest's parse workers build
documents (:mod:`newsidx.prepared`, :mod:`newsidx.parsepool`, :mod:`newsidx.formats.work`)
and should load no more than this. A field added here goes in both :func:`schema` and
:func:`field_names` (the same order: explanations name fields by number) and bumps
:data:`SCHEMA_VERSION`, so the next run rebuilds the index.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any, NamedTuple

import tantivy

from newsidx import analysis, fieldterms, plaintext
from newsidx import query as q
from newsidx.model import Article, to_json

SCHEMA_VERSION = 10  # 3: provider_pair replaced provider_name; 4: no body_x; 5: plain text;
# 6: author, lang, folder (newsidx.fieldterms); 7: no stored JSON or text, id and digest only;
# 8: story (newsidx.stories); 9: the digest of the indexed content (index_digest), not of
# the whole line, so a record that only gains a source is not indexed again; 10: digests
# of the content without its null values, as shard lines now hold it, and title_key (an
# unsigned fast column: newsidx.titleorder) for title_sort, a raw text field
BUCKETS = ("day", "week", "month", "year")
I64_MIN, I64_MAX = -(2**63), 2**63 - 1
DATE_MIN = q.DATE_MIN
DATE_MAX = q.DATE_MAX
"""The span tantivy's date field holds (nanoseconds in an i64); dates beyond it are
filtered as if at its nearest end, while sorts and timelines use the real date."""
TEXT = tuple(q.FIELD_BOOSTS)
TITLE_KEY = "title_key"  # the title order's column (newsidx.titleorder)


def schema() -> tantivy.Schema:
    """The index's fields; :func:`field_names` lists them in the same order."""
    sb = tantivy.SchemaBuilder()
    sb.add_text_field("id", tokenizer_name="raw", index_option="basic", stored=True)
    sb.add_bytes_field("digest", stored=True, indexed=False)
    for name in TEXT:
        sb.add_text_field(name, tokenizer_name=analysis.STEMMED)
    for name in q.EXACT_FIELDS:
        sb.add_text_field(name + q.EXACT_SUFFIX, tokenizer_name=analysis.EXACT)
    for name in TEXT:
        sb.add_text_field(name + q.CJK_SUFFIX, tokenizer_name=analysis.CJK)
    for name in ("provider", "provider_key", "provider_pair", "topic", "topic_display", "kind",
                 *fieldterms.FIELDS, "story"):
        sb.add_text_field(name, tokenizer_name="raw", fast=True, index_option="basic")
    sb.add_date_field("published", indexed=True, fast=True)
    sb.add_integer_field("t_new", fast=True)
    sb.add_integer_field("t_old", fast=True)
    sb.add_unsigned_field(TITLE_KEY, fast=True)
    for name in BUCKETS:
        sb.add_text_field("bucket_" + name, tokenizer_name="raw", fast=True, index_option="basic")
    return sb.build()


def field_names() -> list[str]:
    """The names of :func:`schema`'s fields by field number."""
    names = ["id", "digest"]
    names += list(TEXT) + [n + q.EXACT_SUFFIX for n in q.EXACT_FIELDS]
    names += [n + q.CJK_SUFFIX for n in TEXT]
    names += ["provider", "provider_key", "provider_pair", "topic", "topic_display", "kind",
              *fieldterms.FIELDS, "story"]
    names += ["published", "t_new", "t_old", TITLE_KEY]
    return names + ["bucket_" + b for b in BUCKETS]


IndexValues = dict[str, list[Any]]
"""A record's index values by field name, JSON-ready (a date as RFC 3339 text), without
its id, digest and story: the parse workers compute them and ship them as JSON text."""


def index_values(record: Article, plain: tuple[str, str, str] | None = None) -> IndexValues:
    """Every indexed value of ``record`` but its id, digest and story. Text is indexed as
    a reader sees it (``plaintext``); ``plain`` is the title, excerpt and body so, when the
    caller has them already (:meth:`newsidx.prepared.Prepared.of`)."""
    out: IndexValues = {}
    if plain is None:
        plain = (plaintext.inline_text(record.title), plaintext.inline_text(record.excerpt),
                 plaintext.body_text(record.body) if record.body else "")
    titles = [plain[0], *(plaintext.inline_text(t) for t in record.alt_titles)]
    for name, texts in (("title", titles), ("excerpt", (plain[1],)), ("body", (plain[2],))):
        for text in texts:
            if not text:
                continue
            latin, cjk = analysis.index_texts(analysis.nfc(text))
            _add(out, name, latin)
            if name in q.EXACT_FIELDS:
                _add(out, name + q.EXACT_SUFFIX, latin)
            if cjk is not None:
                _add(out, name + q.CJK_SUFFIX, cjk)
    if record.provider:
        for value in {record.provider.name, record.provider.domain}:
            if value and value.strip():
                _add(out, "provider", analysis.keyword(value))
    if record.provider_key:
        out["provider_key"] = [record.provider_key]
        name = (record.provider.name if record.provider else None) or record.provider_key
        out["provider_pair"] = [f"{record.provider_key}\t{name.strip()}"]
    topics = list(dict.fromkeys(t.strip() for t in record.topics if t.strip()))
    if topics:
        out["topic"] = [analysis.keyword(t) for t in topics]
        out["topic_display"] = topics
    fieldterms.add_values(record, out)
    out["kind"] = [record.kind]
    out[TITLE_KEY] = [analysis.title_key(record.title)]
    if record.published is not None:
        published = record.published.astimezone(timezone.utc)
        out["published"] = [clamp_date(published).isoformat()]
        seconds = math.floor(published.timestamp())
        out["t_new"] = out["t_old"] = [seconds]
        iso = published.isocalendar()
        year = f"{published.year:04d}"  # strftime("%Y") gives "1" for year 1
        month = f"{year}-{published.month:02d}"
        out["bucket_day"] = [f"{month}-{published.day:02d}"]
        out["bucket_week"] = [f"{iso[0]:04d}-W{iso[1]:02d}"]
        out["bucket_month"] = [month]
        out["bucket_year"] = [year]
    else:
        out["t_new"], out["t_old"] = [I64_MIN], [I64_MAX]
    return out


def _add(out: IndexValues, name: str, value: Any) -> None:
    if name in out:
        out[name].append(value)
    else:
        out[name] = [value]


def values_json(values: IndexValues) -> str:
    """:func:`index_values` as the JSON object text a worker hands over (one string:
    pickled at a third of the cost of the values themselves)."""
    return json.dumps(values, ensure_ascii=False, separators=(",", ":"))


def clamp_date(value: datetime) -> datetime:
    """``value`` moved into [:data:`DATE_MIN`, :data:`DATE_MAX`], the date field's span."""
    return min(max(value, DATE_MIN), DATE_MAX)


NOT_INDEXED = ("sources", "parents", "story")
"""Keys of a record's JSON that :func:`content_digest` leaves out: no index value comes
from the first two (the files that give a record, the records that cite it), so a
record whose only change is another source needs no new document; the story is added
to the digest apart (:func:`index_digest`), as grouping sets it after the workers."""


def content_digest(data: Mapping[str, Any]) -> bytes:
    """The digest of a record's JSON (:func:`newsidx.model.to_json`) but
    :data:`NOT_INDEXED`: computed by the parse workers, beside the record's line."""
    kept = {k: v for k, v in data.items() if k not in NOT_INDEXED and v is not None}
    return _digest(json.dumps(kept, ensure_ascii=False, separators=(",", ":")))


def _digest(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=8).digest()


def line_content_digest(line: str, data: Mapping[str, Any]) -> bytes:
    """:func:`content_digest` of ``data`` whose shard line ``line`` is (``record_line`` of
    ``to_json``, which writes :data:`NOT_INDEXED` last and no null value): the line's
    prefix is the kept JSON, so it is not encoded twice. A line with a surrogate escape
    (a file name that is not UTF-8 makes ``dump_line`` escape all of it) is digested from
    ``data``."""
    cut = line.rfind(',"sources":[')
    if cut < 0 or "\\ud" in line:
        return content_digest(data)
    return _digest(line[:cut] + "}")


def index_digest(content: bytes, story: str | None) -> bytes:
    """What the index keeps of a record (:func:`content_digest` and its story), so that
    ``newsidx check`` can tell an indexed copy from the stored one."""
    return hashlib.blake2b(content + b"\0" + (story or "").encode("utf-8", "surrogatepass"),
                           digest_size=8).digest()


def record_digest(record: Article) -> bytes:
    """:func:`index_digest` of a record read back from the catalogue."""
    return index_digest(content_digest(to_json(record)), record.story)


class IndexDoc(NamedTuple):
    """One record's index document as the JSON text ``IndexWriter.add_json`` reads: tantivy
    parses it with Python's lock released, and no Python objects are made per value."""

    id: str
    text: str


def index_document(record_id: str, content: bytes, values: str, story: str | None
                   ) -> IndexDoc:
    """The document of one record from its :func:`content_digest`, its
    :func:`values_json` text and its story."""
    digest = base64.b64encode(index_digest(content, story)).decode("ascii")
    head = f'{{"id":{json.dumps(record_id)},"digest":"{digest}"'
    if story:
        head += f',"story":{json.dumps(story)}'
    return IndexDoc(record_id, f"{head},{values[1:]}" if len(values) > 2 else head + "}")


def document(record: Article | IndexDoc) -> IndexDoc:
    """The document of a record, or a document already built (from the index values a
    parse worker made, :meth:`newsidx.prepared.Prepared.document`)."""
    if isinstance(record, IndexDoc):
        return record
    return index_document(record.id, content_digest(to_json(record)),
                          values_json(index_values(record)), record.story)
