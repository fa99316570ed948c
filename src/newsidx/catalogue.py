"""The catalogue's public names, kept at their long-standing import path.

The storage itself lives in :mod:`newsidx.store`, the one owner of the on-disk layout;
this module re-exports exactly its public names.
"""

from newsidx.store import *  # noqa: F403
from newsidx.store import __all__ as __all__
