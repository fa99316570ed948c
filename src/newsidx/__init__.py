"""newsidx: index, search, list and count a folder of saved news articles.

The library is :class:`Archive` (see docs/api.md)::

    from newsidx import Archive, Filters
    archive = Archive("~/news-catalogue")
    for hit in archive.search("Alibaba MiniMax", Filters(since="2024")).hits:
        print(hit.record.title)

Importing this package loads neither click nor rich, nor the search engine: those
come with the commands and methods that use them; the names below load on first use.
"""

from __future__ import annotations

__version__ = "0.1.0"

from typing import TYPE_CHECKING, Any

#: Public name -> the module defining it; loaded on first use (PEP 562), so that
#: ``import newsidx.model`` in a parse worker does not pay for the library layer.
_EXPORTS = {
    "Archive": "api", "Count": "api", "Links": "api", "ProviderCount": "api",
    "Stats": "api", "Timeline": "api", "StoryResults": "api", "StoryRow": "api",
    "Stories": "api", "Story": "api", "StorySummary": "api",
    "CatalogueError": "errors", "ExitCode": "errors", "IngestFailed": "errors",
    "LockedError": "errors", "NewsidxError": "errors", "NotFoundError": "errors",
    "ParseError": "errors", "QueryError": "errors", "SkippedFile": "errors",
    "UsageError": "errors",
    "Filters": "filters",
    "Hit": "hits", "SearchResults": "hits",
    "IngestReport": "ingest", "ProgressEvent": "ingest",
    "CheckReport": "check",
    "Article": "model", "Image": "model", "Provider": "model", "RelatedRef": "model",
}

if TYPE_CHECKING:
    from newsidx.api import (
        Archive,
        Count,
        Links,
        ProviderCount,
        Stats,
        Stories,
        Story,
        StoryResults,
        StoryRow,
        StorySummary,
        Timeline,
    )
    from newsidx.check import CheckReport
    from newsidx.errors import (
        CatalogueError,
        ExitCode,
        IngestFailed,
        LockedError,
        NewsidxError,
        NotFoundError,
        ParseError,
        QueryError,
        SkippedFile,
        UsageError,
    )
    from newsidx.filters import Filters
    from newsidx.hits import Hit, SearchResults
    from newsidx.ingest import IngestReport, ProgressEvent
    from newsidx.model import Article, Image, Provider, RelatedRef


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'newsidx' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f"newsidx.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


__all__ = [
    "Archive",
    "Article",
    "CatalogueError",
    "CheckReport",
    "Count",
    "ExitCode",
    "Filters",
    "Hit",
    "Image",
    "IngestFailed",
    "IngestReport",
    "Links",
    "LockedError",
    "NewsidxError",
    "NotFoundError",
    "ParseError",
    "ProgressEvent",
    "Provider",
    "ProviderCount",
    "QueryError",
    "RelatedRef",
    "SearchResults",
    "SkippedFile",
    "Stats",
    "Stories",
    "Story",
    "StoryResults",
    "StoryRow",
    "StorySummary",
    "Timeline",
    "UsageError",
    "__version__",
]
