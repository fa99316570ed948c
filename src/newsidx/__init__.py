"""newsidx: index, search, list and count a folder of saved news articles."""

from __future__ import annotations

__version__ = "0.1.0"
