"""Pages of matches in title order, from a 64-bit key per record instead of its title.

The index keeps the first 8 bytes of each record's lower-cased title (UTF-8) as a fast
unsigned column, ``title_key`` (:func:`newsidx.analysis.title_key`). A raw text column
of whole titles would sort alone, but tantivy indexes every text field, so each title
would also be a term (a tenth of the index). Keys order titles by their first 8 bytes;
records of a page that share a key with another match are ordered by their whole
titles, read from the catalogue, so the order is exact: that of the lower-cased titles.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

import tantivy

from newsidx.indexdoc import TITLE_KEY as FIELD
from newsidx.indexrequest import count_of

Titles = Callable[[Sequence[Any]], dict[tuple[int, int], str]]
"""The sort titles (:func:`newsidx.analysis.sort_title`) of documents by address,
``(segment, doc)``."""


def _whole(key: int) -> bool:
    """Whether ``key`` holds its whole title (under 8 bytes; a clean title has no NUL),
    so that records sharing it need no title to be ordered."""
    return key & 0xFF == 0


def _where(address: Any) -> tuple[int, int]:
    return int(address.segment_ord), int(address.doc)


def title_page(searcher: tantivy.Searcher, schema: tantivy.Schema, query: tantivy.Query,
               offset: int, limit: int, titles: Titles) -> tuple[list[Any], int]:
    """The addresses of matches ``offset`` to ``offset + limit`` in title order (ties
    by index address), and the number of matches."""
    want = offset + limit
    result = searcher.search(query, want, count=True, order_by_field=FIELD,
                             order=tantivy.Order.Asc)
    total = count_of(result)
    hits = [a for _, a in result.hits]
    if len(hits) <= offset:
        return [], total
    keys = [int(k or 0) for k in searcher.fast_field_values(FIELD, hits)]
    low, high = keys[offset], keys[-1]
    # every match with a key below the page's last is among the hits (they come first);
    # those sharing the last key may lie beyond them when the page is full
    before = sum(k < low for k in keys)
    candidates = [(k, a) for k, a in zip(keys, hits, strict=True) if low <= k < high]
    if len(hits) < want:
        candidates += [(k, a) for k, a in zip(keys, hits, strict=True) if k == high]
    else:
        candidates += [(high, a) for a in _all(searcher, _both(query, _key(schema, high)))]
    shared = Counter(k for k, _ in candidates)
    known = titles([a for k, a in candidates if shared[k] > 1 and not _whole(k)])
    candidates.sort(key=lambda c: (c[0], known.get(_where(c[1]), ""), _where(c[1])))
    start = offset - before
    return [a for _, a in candidates[start:start + limit]], total


def _key(schema: tantivy.Schema, key: int) -> tantivy.Query:
    return tantivy.Query.range_query(schema, FIELD, tantivy.FieldType.Unsigned, key, key)


def _both(query: tantivy.Query, keys: tantivy.Query) -> tantivy.Query:
    return tantivy.Query.boolean_query([(tantivy.Occur.Must, query),
                                        (tantivy.Occur.Must, keys)])


def _all(searcher: tantivy.Searcher, query: tantivy.Query) -> list[Any]:
    found = count_of(searcher.search(query, 1, count=True))
    return [a for _, a in searcher.search(query, found).hits] if found else []
