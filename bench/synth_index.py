"""Build a catalogue of N synthetic records straight into the search index, skipping ingest.

It exists to time the read path (search, list, providers, topics, stats, timeline) at
a million articles without waiting for a million-file ingest. Records come from
``bench/generate.py``'s generator (same vocabulary, Zipf providers and topics, recent-
leaning dates, ~10% plain text without provider or date); every tenth record is a
``related`` record. The catalogue gets a manifest with the real totals and the
providers/topics/dates counts, but no record shards and no id table: ``export``/``show``
find nothing.

Usage: ``python bench/synth_index.py --size 1M --out bench/out/synth-1M [--seed 1]``
Prints a JSON line with the build time and the query terms to time.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from generate import DEFAULT_OUT, DEFAULT_SHARED, Generator, load_tables, parse_size  # noqa: E402

from newsidx.catalogue import MANIFEST, SCHEMA_VERSION  # noqa: E402
from newsidx.index import SearchIndex  # noqa: E402
from newsidx.model import Article, Provider, make_id  # noqa: E402

RELATED_EVERY = 10


def records(gen: Generator, size: int) -> Iterator[Article]:
    """``size`` synthetic records, a pure function of the generator's seed."""
    for index in range(size):
        rng = gen._rng(index)
        title = gen._title(rng)
        related = index % RELATED_EVERY == RELATED_EVERY - 1
        body = "" if related else gen._body(rng)
        excerpt = gen._sentence(rng, 20, 40)
        published: datetime | None = gen._date(rng)
        name, domain = gen._provider(rng)
        topics = tuple(gen._topics(rng))
        provider: Provider | None = Provider(name, domain)
        if rng.random() < 0.10:
            provider, published, topics = None, None, ()
        url = f"https://{domain}/synth/{index}"
        yield Article(
            id=make_id(url=url), kind="related" if related else "article", title=title,
            excerpt=excerpt, body=body, published=published,
            published_raw=published.strftime("%Y-%m-%dT%H:%M:%SZ") if published else None,
            provider=provider, topics=topics, url=url, sources=(f"synth/{index}.md",),
        )


class Manifest:
    """The manifest facets of the records seen, as ``Catalogue`` writes them."""

    def __init__(self) -> None:
        self.providers: dict[str, tuple[str | None, list[str], int]] = {}
        self.topics: dict[str, list[str]] = {}
        self.dates: dict[str, list[str]] = {}
        self.undated: list[str] = []
        self.kinds = {"article": 0, "related": 0}

    def watch(self, stream: Iterator[Article]) -> Iterator[Article]:
        for record in stream:
            self.kinds[record.kind] += 1
            key = record.provider_key
            if key is not None and record.provider is not None:
                name, ids, articles = self.providers.get(key, (record.provider.name, [], 0))
                ids.append(record.id)
                self.providers[key] = (name, ids, articles + (record.kind == "article"))
            for topic in record.topics:
                self.topics.setdefault(topic, []).append(record.id)
            day = record.day
            (self.dates.setdefault(day, []) if day else self.undated).append(record.id)
            yield record

    def to_json(self, generation: int) -> dict[str, Any]:
        dated = sum(len(v) for v in self.dates.values())
        return {
            "schema_version": SCHEMA_VERSION,
            "generation": generation,
            "totals": {"records": dated + len(self.undated), "articles": self.kinds["article"],
                       "related": self.kinds["related"], "undated": len(self.undated),
                       "files": dated + len(self.undated)},
            "shards": {},
            "previous_files": [],
            "providers": {k: {"name": n, "count": len(v), "articles": a}
                          for k, (n, v, a) in sorted(self.providers.items())},
            "topics": {k: {"count": len(v)} for k, v in sorted(self.topics.items())},
            "dates": {k: {"count": len(v)} for k, v in sorted(self.dates.items())},
        }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="100k", help="records: 10k, 300k, 1M...")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, help="catalogue folder [bench/out/synth-SIZE]")
    parser.add_argument("--shared", type=Path, default=DEFAULT_SHARED)
    args = parser.parse_args(argv)
    size = parse_size(args.size)
    root: Path = args.out or DEFAULT_OUT / f"synth-{args.size}"
    if (root / MANIFEST).exists():
        raise SystemExit(f"synth_index: {root} already holds a catalogue; remove it first")
    gen = Generator.create(load_tables(DEFAULT_OUT, args.shared), args.seed, size)
    started = time.perf_counter()
    manifest = Manifest()
    generation = 1
    SearchIndex(root / "index").rebuild(manifest.watch(records(gen, size)), generation)
    built = time.perf_counter() - started
    (root / MANIFEST).write_text(json.dumps(manifest.to_json(generation), ensure_ascii=False,
                                            indent=1) + "\n", encoding="utf-8")
    common_provider = max(manifest.providers.items(), key=lambda kv: len(kv[1][1]))[0]
    mid_provider = sorted(manifest.providers.items(), key=lambda kv: -len(kv[1][1]))[
        min(10, len(manifest.providers) - 1)][0]
    days = sorted(manifest.dates)
    print(json.dumps({
        "catalogue": str(root), "size": size, "index_seconds": round(built, 1),
        "manifest_bytes": (root / MANIFEST).stat().st_size,
        "providers": len(manifest.providers), "topics": len(manifest.topics),
        "common_provider": common_provider, "mid_provider": mid_provider,
        "since": days[len(days) * 3 // 4] if days else None,
    }))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
