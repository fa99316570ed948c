"""The index side of ``authors``, ``lang`` and ``folder``: their keyword values, filters
and counts.

Each is a raw keyword field compared case-insensitively (``analysis.keyword``), like
``provider`` and ``topic``; ``*_display`` fields keep the spelling for ``count --by``.
A folder is indexed with each of its ancestors, so ``folder:en`` finds ``en/news/_posts``
too; a language is compared as :func:`newsidx.attribution.lang_code` writes it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from newsidx.attribution import lang_code

if TYPE_CHECKING:
    import tantivy

    from newsidx.indexdoc import IndexValues
    from newsidx.indexrequest import SearchRequest
    from newsidx.model import Article

def keyword(text: str) -> str:
    """``analysis.keyword``, repeated so that export's filter loads no tantivy."""
    return " ".join(text.split()).lower()


FIELDS = ("author", "author_display", "lang", "folder", "folder_display")
FACETS = {"author": "author_display", "lang": "lang", "folder": "folder_display"}
"""``count --by`` name → the field counted."""


def value_key(field: str, text: str) -> str:
    """A filter value of ``field`` (``author``, ``lang``, ``folder``) as the index holds it."""
    if field == "lang":
        return keyword(lang_code(text))
    if field == "folder":
        return keyword(folder_text(text))
    return keyword(text)


def folder_text(text: str) -> str:
    """A folder as given (``/business/``, ``en\\news``) in the stored ``a/b`` form."""
    return "/".join(p for p in text.replace("\\", "/").split("/") if p.strip())


def add_values(record: Article, out: IndexValues) -> None:
    """Add to ``out`` the keyword values of one record's authors, language and folder
    (with its ancestors)."""
    authors = list(dict.fromkeys(a.strip() for a in record.authors if a.strip()))
    if authors:
        out["author"] = [keyword(name) for name in authors]
        out["author_display"] = authors
    if record.lang:
        out["lang"] = [keyword(lang_code(record.lang))]
    if record.folder:
        parts = record.folder.split("/")
        out["folder"] = [keyword("/".join(parts[:i])) for i in range(1, len(parts) + 1)]
        out["folder_display"] = [record.folder]


def filters(schema: tantivy.Schema, request: SearchRequest) -> list[tuple[tantivy.Query, str]]:
    """The index clauses of the request's authors, langs and folders, with their text."""
    from newsidx.query import keyword_filter

    out: list[tuple[tantivy.Query, str]] = []
    for field, values in (("author", request.authors), ("lang", request.langs),
                          ("folder", request.folders)):
        if values:
            keys = [value_key(field, v) for v in values]
            out.append((keyword_filter(schema, field, keys), f"{field}:" + "|".join(keys)))
    return out


def facet(field: str, pairs: list[tuple[str, int]]) -> list[tuple[str, int]]:
    """Counts per value; authors differing only in case merged under the commonest spelling."""
    if field != "author":
        return pairs
    merged: dict[str, list[tuple[int, str]]] = {}
    for name, n in pairs:
        merged.setdefault(name.casefold(), []).append((n, name))
    return [(max(v)[1], sum(n for n, _ in v)) for v in merged.values()]


def record_values(record: Article) -> dict[str, set[str]]:
    """The record's keys per filter, as :func:`value_key` gives a filter's (for export)."""
    folders: set[str] = set()
    if record.folder:
        parts = record.folder.split("/")
        folders = {keyword("/".join(parts[:i])) for i in range(1, len(parts) + 1)}
    return {"author": {keyword(a) for a in record.authors},
            "lang": {keyword(lang_code(record.lang))} if record.lang else set(),
            "folder": folders}


