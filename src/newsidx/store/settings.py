"""A catalogue's own settings, chosen once and kept for every later write: ``settings.json``.

Today one setting: whether ingest groups records into stories (``newsidx ingest
--stories``, docs/stories.md). Grouping costs cold ingest a good deal of time, so a
catalogue groups only when asked, and then every later ingest into it does too, until
``--no-stories``. The file is JSON a person can read; a catalogue without one has every
setting at its default. It is part of the truth (like ``catalogue.json``), not derived.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

from newsidx.errors import CatalogueError
from newsidx.store.layout import atomic_write

SETTINGS = "settings.json"


@dataclass(frozen=True)
class Settings:
    """What a catalogue was told to do on every write."""

    stories: bool = False  # group records into stories at ingest


def read_settings(root: Path) -> Settings:
    """The settings in ``root`` (the defaults when there is no file). Raises
    CatalogueError naming the file when it is not a JSON object of known settings."""
    path = root / SETTINGS
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Settings()
    except (OSError, UnicodeDecodeError) as exc:
        raise CatalogueError(f"{path}: cannot read the catalogue's settings: {exc}") from exc
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise CatalogueError(f"{path}: the catalogue's settings are not JSON ({exc}); "
                             "fix or remove the file") from exc
    if not isinstance(data, dict) or not isinstance(data.get("stories", False), bool):
        raise CatalogueError(f"{path}: the catalogue's settings must be a JSON object "
                             'like {"stories": true}; fix or remove the file')
    return Settings(stories=data.get("stories", False))


def write_settings(root: Path, settings: Settings) -> None:
    """Write ``settings`` atomically (the caller holds the writer lock)."""
    atomic_write(root / SETTINGS, json.dumps(asdict(settings), indent=1) + "\n")
