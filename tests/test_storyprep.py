"""A record's story features: the parse workers' and the writer's must be the same.

The workers compute features from a record's fields with the plain text they make once for
the index too (:meth:`newsidx.prepared.Prepared.of`); the writer recomputes them from the
record's catalogue line (:func:`newsidx.storyprep.prepare`) when it reads a record itself
or leaves boilerplate out. Any difference would make one article two stories.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from newsidx import prepared
from newsidx.indexdoc import index_values
from newsidx.model import Article, Provider
from newsidx.parse import parse_file
from newsidx.prepared import Prepared
from newsidx.storyprep import of_record, prepare, text_of


@pytest.fixture(autouse=True)
def stories_on() -> Iterator[None]:
    """Features are computed only for a catalogue that groups (as ingest --stories sets)."""
    was = prepared.stories_on()
    prepared.set_stories(True)
    yield
    prepared.set_stories(was)


def _same_both_ways(records: list[Article]) -> None:
    assert records
    for record in records:
        ready = Prepared.of(record)
        assert ready.story == prepare(json.loads(ready.row.line)), record.id
        assert ready.story == of_record(record), record.id
        assert json.loads(ready.values) == index_values(record), record.id


def test_marked_up_long_and_foreign_records_give_the_writer_the_workers_features() -> None:
    body = ("## Tunnel vote\n\nThe **council** approved the [Harbourview](https://x.example) "
            "tunnel on Tuesday. Zürich’s engineers will build it.\n\n- first item\n"
            "- second item\n\n") + "Further detail about costs and timing follows. " * 60
    late = datetime(2024, 5, 7, 23, 30, tzinfo=timezone(timedelta(hours=-5)))
    records = [
        Article(id="a", kind="article", title="Council &amp; <b>Harbourview</b> tunnel - One",
                excerpt="The <i>council</i> approved $4.2bn. Work starts in İstanbul soon.",
                body=body, published=late, url="https://one.example/a",
                provider=Provider(name="One", domain="one.example")),
        Article(id="b", kind="article", title="Ελλάδα ﬁnal 中文", body="短い。 Ελλάδα νίκησε!"),
        Article(id="c", kind="article", title="Only a title"),
    ]
    _same_both_ways(records)
    assert Prepared.of(records[0]).story.day == late.astimezone(timezone.utc).toordinal()


def test_seeds_give_the_writer_the_workers_features(seeds: Path) -> None:
    _same_both_ways([r for f in sorted(seeds.iterdir()) for r in parse_file(f).records])


def test_real_markdown_corpus_gives_the_writer_the_workers_features(shared: Path) -> None:
    files = sorted((shared / "corpora" / "ruby-lang-news").rglob("*.md"))[:150]
    _same_both_ways([r for f in files for r in parse_file(f).records])


def test_an_excerpt_sentence_left_out_changes_terms_but_not_the_edge_keys() -> None:
    text = text_of({"title": "Council approves tunnel", "provider": {"domain": "one.example"},
                    "excerpt": "Read more at One Example Daily. Harbourview tunnel in Zürich.",
                    "body": ""})
    edges, terms, _ = text.features()
    dropped_edges, dropped_terms, _ = text.features({edges[0]})
    assert dropped_edges == edges
    assert "daily" in terms and "daily" not in dropped_terms and "zurich" in dropped_terms
