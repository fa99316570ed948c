"""The catalogue's storage: the one owner of its on-disk layout (see docs/catalogue.md).

``catalogue.json`` (the commit point, with provider/topic/date counts), one JSON Lines
file per month of records, and ``state.db``, the SQLite bookkeeping derived from them.
"""

from newsidx.store.catalogue import Catalogue
from newsidx.store.filestate import FileState
from newsidx.store.layout import (
    INDEX_DIR,
    MANIFEST,
    RECORDS_DIR,
    SCHEMA_VERSION,
    Row,
    atomic_write,
    default_root,
    dump_line,
    record_line,
    shard_of,
)
from newsidx.store.writer import CatalogueWriter

__all__ = [
    "INDEX_DIR",
    "MANIFEST",
    "RECORDS_DIR",
    "SCHEMA_VERSION",
    "Catalogue",
    "CatalogueWriter",
    "FileState",
    "Row",
    "atomic_write",
    "default_root",
    "dump_line",
    "record_line",
    "shard_of",
]
