"""What a query's words might not mean as written: the notes that keep it from being silent.

* ``writer:smith`` when ``writer`` is not a field: searched as text; the note names
  the known fields.
* ``iraq or syria``: a lower-case ``or``/``and``/``not`` between words is a word; the
  note asks "did you mean OR?".
* ``provider:`` values, so that they are checked against the index exactly as
  ``--provider`` is.
* a pasted URL (or ``url:URL``): the record is looked up by URL.

Pure functions over :mod:`newsidx.query`'s parse; nothing here prints.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from newsidx.query import DATE_OPS, FILTER_FIELDS, And, Filter, Node, Not, Or, Text, parse

KNOWN_FIELDS = ("title", *FILTER_FIELDS, *DATE_OPS)
_FIELD = re.compile(r"^([A-Za-z]+):(.+)$", re.DOTALL)
_URL = re.compile(r"^(?:url:)?(https?://\S+)$", re.IGNORECASE)
_OPERATORS = ("or", "and", "not")


def _nodes(node: Node | None) -> Iterator[Node]:
    if node is None:
        return
    yield node
    if isinstance(node, And | Or):
        for item in node.items:
            yield from _nodes(item)
    elif isinstance(node, Not):
        yield from _nodes(node.item)


def url_of(text: str) -> str | None:
    """The URL when the whole query is one (``https://...`` or ``url:https://...``)."""
    m = _URL.match(text.strip())
    return m[1] if m else None


def provider_values(text: str) -> list[str]:
    """The values of the query's ``provider:`` filters, as the index compares them."""
    return [n.value for n in _nodes(parse(text)) if isinstance(n, Filter)
            and n.field == "provider"]


def notes(text: str) -> list[str]:
    """One line per word the query takes differently than a reader might expect."""
    out: list[str] = []
    unknown: list[str] = []
    if url_of(text) is not None:
        return out
    for node in _nodes(parse(text)):
        if isinstance(node, Text) and node.field is None and not node.phrase:
            m = _FIELD.match(node.text)
            if m and not m[2].startswith("//") and m[1].lower() not in unknown:
                unknown.append(m[1].lower())
    if unknown:
        out.append(f"{', '.join(f'{u}:' for u in unknown)} "
                   f"{'is not a field' if len(unknown) == 1 else 'are not fields'}: "
                   f"searched as text (fields: {', '.join(KNOWN_FIELDS)}, and url:URL as the whole "
                   "query; see docs/search.md)")
    words = _bare_words(text)
    for i in range(1, len(words) - 1):
        word = words[i]
        if word in _OPERATORS and words[i - 1] not in _OPERATORS and words[i + 1]:
            out.append(f"'{word}' searched as a word; did you mean {word.upper()}?")
            break
    return out


def _bare_words(text: str) -> list[str]:
    """The query's words outside quotes ('' for a quoted phrase or parenthesis)."""
    outside = re.sub(r'"[^"]*"?', ' "" ', text)
    return ["" if w in ('""', "(", ")") else w for w in re.findall(r'""|[()]|[^\s()]+', outside)]
