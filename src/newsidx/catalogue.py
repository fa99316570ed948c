"""The catalogue's public names, kept at their long-standing import path.

The storage itself lives in :mod:`newsidx.store`, the one owner of the on-disk layout.
"""

from newsidx.store import (
    INDEX_DIR,
    MANIFEST,
    RECORDS_DIR,
    SCHEMA_VERSION,
    Catalogue,
    CatalogueWriter,
    FileState,
    Row,
    atomic_write,
    default_root,
    dump_line,
    shard_of,
)

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
    "shard_of",
]
