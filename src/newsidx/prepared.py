"""The record a parse worker hands over: its catalogue row and its index values, ready.

Built in the workers (:mod:`newsidx.parsepool`, :mod:`newsidx.formats.work`) so that the
single writing process neither converts records to JSON nor analyses their text; used by
the batch that merges them (:mod:`newsidx.batch`) and by the index sync of each commit.
"""

from __future__ import annotations

import json
from typing import NamedTuple

from newsidx import storytext
from newsidx.indexdoc import (
    IndexDoc,
    index_document,
    index_values,
    line_content_digest,
    values_json,
)
from newsidx.model import Article, JSONValue, from_json, to_json
from newsidx.store import Row
from newsidx.storyprep import StoryPrep, of_record

_STORIES = False  # whether records get grouping's features: the catalogue's setting


def set_stories(on: bool) -> None:
    """Compute grouping's features in :meth:`Prepared.of` from now on, or not (set by each
    ingest from its catalogue's settings, and in its parse workers by their initializer)."""
    global _STORIES
    _STORIES = on


def stories_on() -> bool:
    return _STORIES


class Prepared(NamedTuple):
    """One record as a parse worker hands it over: its catalogue row and index values.

    Building both in the workers keeps the single writing process from converting
    records to JSON and analysing their text; :meth:`record` rebuilds the record only
    when it has to be merged with another copy of the same id.
    """

    row: Row
    values: str | None  # its index values as JSON text (indexdoc.values_json); None:
    # not computed (a stored record whose document is kept), made by document() if needed
    content: bytes  # what of the record the index depends on (indexdoc.content_digest)
    story: StoryPrep | None = None  # grouping's features (newsidx.storyprep), if computed
    story_id: str | None = None  # the story it is in (as its line says), if any

    @property
    def id(self) -> str:
        return self.row.id

    @staticmethod
    def of(record: Article) -> Prepared:
        data = to_json(record)
        row = Row.of(record, data)
        content = line_content_digest(row.line, data)
        if not _STORIES:
            return Prepared(row, values_json(index_values(record)), content, None,
                            record.story)
        # the plain title, excerpt and body, made once for the index and the story features
        plain = storytext.plain(record.title or "", record.excerpt or "", record.body or "")
        return Prepared(row, values_json(index_values(record, plain)), content,
                        of_record(record, plain), record.story)

    @staticmethod
    def restored(record: Article, data: dict[str, JSONValue]) -> Prepared:
        """A stored record written again with only its sources or parents changed
        (``data``: its :func:`to_json`): its document stays in the index as it is, so its
        index values are made only if grouping changes its story (:meth:`document`)."""
        row = Row.of(record, data)
        story = of_record(record) if _STORIES else None
        return Prepared(row, None, line_content_digest(row.line, data), story, record.story)

    def record(self) -> Article:
        return from_json(json.loads(self.row.line))

    def document(self) -> IndexDoc:
        values = self.values
        if values is None:
            values = values_json(index_values(self.record()))
        return index_document(self.row.id, self.content, values, self.story_id)

