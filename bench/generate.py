"""Generate a synthetic news archive in the seed format, deterministically from a seed.

Vocabulary and word frequencies come from the real corpora in ``../shared/corpora``,
provider names and domains from the newsapi feeds, topics from Reuters-21578; all three
are read once and cached as ``bench/out/tables-v1.json``. Providers and topics follow a
Zipf law, dates lean recent (exponential over three years), about 10% of the files are
plain text whose first line is the headline, the rest carry YAML front matter with
related entries. Files are sharded 1,000 per folder and written by a process pool;
every article is a pure function of ``(seed, index)``, so the bytes never depend on the
number of workers.

Usage: ``python bench/generate.py --size 10k --seed 1 [--out DIR]``
"""

from __future__ import annotations

import argparse
import base64
import bisect
import itertools
import json
import multiprocessing
import os
import random
import re
import sys
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
DEFAULT_OUT = BENCH / "out"
DEFAULT_SHARED = ROOT.parent / "shared"
TABLES_NAME = "tables-v1.json"
PER_FOLDER = 1000
POOL_SIZE = 1_000_000
PLAIN_SHARE = 0.10
ANCHOR = datetime(2025, 1, 1, tzinfo=timezone.utc)
SPAN_DAYS = 3 * 365
MEAN_AGE_DAYS = 300.0
ZIPF_S = 1.1
MAX_VOCAB = 80_000
SECTIONS = ("news", "world", "business", "tech", "markets", "politics", "sport", "culture")
WORD_RE = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")
FRONT_RE = re.compile(r"\A---\s*\n.*?\n---\s*\n", re.S)
FENCE_RE = re.compile(r"^(```|~~~).*?^(```|~~~)", re.S | re.M)
NOISE_LINE_RE = re.compile(r"^(?:\s{4}|\t|\s*\[[^\]]+\]:|.*(?:://|sha\d|SHA\d|SIZE|\.tar|\.zip)).*$",
                           re.M)
INLINE_RE = re.compile(r"`[^`]*`|\{%.*?%\}|<[^>]+>|\b[0-9a-fA-F]*\d[0-9a-fA-F]*\b")


def parse_size(text: str) -> int:
    """``"10k"`` -> 10000, ``"1M"`` -> 1000000, ``"200"`` -> 200."""
    value = text.strip().lower()
    scale = {"k": 1_000, "m": 1_000_000}.get(value[-1:], 1)
    digits = value[:-1] if scale != 1 else value
    try:
        number = int(float(digits) * scale)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"size {text!r}: expected a number like 1k, 10k, 1M") from None
    if number <= 0:
        raise argparse.ArgumentTypeError(f"size {text!r}: must be positive")
    return number


def size_label(n: int) -> str:
    if n % 1_000_000 == 0:
        return f"{n // 1_000_000}M"
    if n % 1_000 == 0:
        return f"{n // 1_000}k"
    return str(n)


# --- tables: built once from the shared material, cached as JSON -----------------------


def _corpus_texts(shared: Path) -> Iterator[str]:
    for path in sorted((shared / "corpora" / "bbc").rglob("*.txt")):
        yield path.read_text("utf-8", errors="replace")
    for path in sorted((shared / "corpora" / "ruby-lang-news").rglob("*.md")):
        text = path.read_text("utf-8", errors="replace")
        text = NOISE_LINE_RE.sub("", FENCE_RE.sub("", FRONT_RE.sub("", text)))
        yield INLINE_RE.sub(" ", text)


def _providers(shared: Path) -> list[tuple[str, str, int]]:
    counts: Counter[tuple[str, str]] = Counter()
    for path in sorted((shared / "feeds" / "newsapi-2023").glob("*.jsonl")):
        with path.open(encoding="utf-8") as fh:
            for line in fh:
                try:
                    item = json.loads(line)
                    name = (item.get("source") or {}).get("name") or ""
                    host = urlsplit(item.get("url") or "").hostname or ""
                except (ValueError, AttributeError):
                    continue
                host = host.removeprefix("www.")
                if name and host and "." in host:
                    counts[(name, host)] += 1
    best: dict[str, tuple[str, int]] = {}
    for (name, host), count in counts.items():
        if host not in best or count > best[host][1]:
            best[host] = (name, count)
    ranked = sorted(best.items(), key=lambda kv: (-kv[1][1], kv[0]))
    return [(name, host, count) for host, (name, count) in ranked]


def build_tables(shared: Path) -> dict[str, Any]:
    """Word frequencies, providers and topics from the real material."""
    words: Counter[str] = Counter()
    for text in _corpus_texts(shared):
        words.update(w for w in WORD_RE.findall(text) if len(w) > 1 or w in "aAI")
    top = sorted(words.items(), key=lambda kv: (-kv[1], kv[0]))[:MAX_VOCAB]
    topics_file = shared / "feeds" / "reuters21578" / "all-topics-strings.lc.txt"
    topics = [t.strip() for t in topics_file.read_text("utf-8").splitlines() if t.strip()]
    providers = _providers(shared)
    if not top or not topics or not providers:
        raise SystemExit(f"generate: {shared}: corpora, topics or feeds are missing or empty")
    return {
        "words": [w for w, _ in top],
        "counts": [c for _, c in top],
        "providers": providers,
        "topics": topics,
    }


def load_tables(cache_dir: Path, shared: Path) -> dict[str, Any]:
    """The cached tables, built from ``shared`` when the cache is absent."""
    path = cache_dir / TABLES_NAME
    if path.is_file():
        data: dict[str, Any] = json.loads(path.read_text("utf-8"))
        return data
    if not shared.is_dir():
        raise SystemExit(f"generate: {shared}: shared material not found (use --shared DIR)")
    data = build_tables(shared)
    cache_dir.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False), "utf-8")
    os.replace(tmp, path)
    return data


# --- the generator --------------------------------------------------------------------


def zipf_cum(n: int, s: float = ZIPF_S) -> list[float]:
    return list(itertools.accumulate(1.0 / (rank**s) for rank in range(1, n + 1)))


@dataclass
class Generator:
    """Every article is a pure function of ``(seed, index)`` given the same tables."""

    seed: int
    size: int
    words: list[str]
    word_cum: list[float]
    pool: list[str]
    providers: list[tuple[str, str]]
    provider_cum: list[float]
    topics: list[str]
    topic_cum: list[float]

    @classmethod
    def create(cls, tables: dict[str, Any], seed: int, size: int) -> Generator:
        words = list(tables["words"])
        word_cum = list(itertools.accumulate(float(c) for c in tables["counts"]))
        pool = _sample_pool(words, word_cum, tables["counts"], seed)
        providers = [(p[0], p[1]) for p in tables["providers"]]
        topics = list(tables["topics"])
        random.Random(seed).shuffle(topics)
        return cls(seed, size, words, word_cum, pool, providers, zipf_cum(len(providers)),
                   topics, zipf_cum(len(topics)))

    def _rng(self, index: int, salt: int = 0) -> random.Random:
        return random.Random((self.seed << 42) | (salt << 40) | index)

    def _rare_words(self, rng: random.Random, k: int) -> list[str]:
        total = self.word_cum[-1]
        return [self.words[bisect.bisect(self.word_cum, rng.random() * total)] for _ in range(k)]

    def _sentence(self, rng: random.Random, low: int = 6, high: int = 22) -> str:
        length = rng.randint(low, high)
        start = rng.randrange(len(self.pool) - length)
        text = " ".join(self.pool[start:start + length])
        return text[:1].upper() + text[1:] + "."

    def _title(self, rng: random.Random) -> str:
        count = rng.randint(6, 12)
        picked = self._rare_words(rng, 2) + self._sentence(rng, count, count)[:-1].split()
        rng.shuffle(picked)
        return " ".join(w[:1].upper() + w[1:] for w in picked[:count])

    def _body(self, rng: random.Random) -> str:
        target = rng.randint(150, 600)
        paragraphs: list[str] = []
        count = 0
        while count < target:
            sentences = [self._sentence(rng) for _ in range(rng.randint(3, 7))]
            count += sum(s.count(" ") + 1 for s in sentences)
            paragraphs.append(" ".join(sentences))
        return "\n\n".join(paragraphs)

    def _date(self, rng: random.Random) -> datetime:
        age = rng.expovariate(1.0 / MEAN_AGE_DAYS) % SPAN_DAYS
        return (ANCHOR - timedelta(days=age)).replace(microsecond=0)

    def _provider(self, rng: random.Random) -> tuple[str, str]:
        total = self.provider_cum[-1]
        return self.providers[bisect.bisect(self.provider_cum, rng.random() * total)]

    def _topics(self, rng: random.Random) -> list[str]:
        total = self.topic_cum[-1]
        picked = {self.topics[bisect.bisect(self.topic_cum, rng.random() * total)]
                  for _ in range(rng.choice((1, 1, 1, 2, 2, 3)))}
        return sorted(picked)

    def _related(self, key: int) -> dict[str, Any]:
        rng = self._rng(key, salt=1)
        name, domain = self._provider(rng)
        item: dict[str, Any] = {
            "title": self._title(rng),
            "excerpt": self._sentence(rng, 20, 40),
            "published": self._date(rng),
            "url": f"https://{domain}/related/{key}",
            "provider": (name, domain),
            "quality": rng.randint(1, 99),
        }
        if rng.random() < 0.6:
            item["image"] = (f"https://img.{domain}/{key}.jpg", rng.choice((640, 880, 1200)),
                             rng.choice((360, 587, 630)))
        return item

    def article(self, index: int) -> tuple[str, dict[str, Any], str]:
        """``(file text, sqlite record, format)`` of article ``index``."""
        rng = self._rng(index)
        title = self._title(rng)
        body = self._body(rng)
        published = self._date(rng)
        name, domain = self._provider(rng)
        topics = self._topics(rng)
        slug = "-".join(title.lower().split()[:8])
        url = f"https://{domain}/{rng.choice(SECTIONS)}/{published:%Y/%m}/{slug}-{index}"
        excerpt = " ".join(body.split()[:30]) + " ..."
        plain = rng.random() < PLAIN_SHARE
        record: dict[str, Any] = {
            "id": f"a{index}", "title": title, "excerpt": "" if plain else excerpt,
            "body": body, "provider": None if plain else domain,
            "published": None if plain else _iso(published),
            "topics": "" if plain else " ".join(topics),
        }
        if plain:
            return f"{title}\n\n{body}\n", record, "text"
        related_count = rng.choices((0, 1, 2, 3), cum_weights=(40, 70, 90, 100))[0]
        related = [self._related(rng.randrange(max(1, self.size // 4)))
                   for _ in range(related_count)]
        secured = base64.b64encode(rng.randbytes(160)).decode()
        return _yaml_article(
            title=title, excerpt=excerpt, published=published, url=url, name=name,
            domain=domain, topics=topics, related=related, secured=secured,
            quality=rng.randint(1, 99), heat=rng.choice((-1, -1, -1, rng.randint(0, 500))),
            body=body,
        ), record, "yaml"


def _sample_pool(words: list[str], cum: list[float], counts: Sequence[int], seed: int) -> list[str]:
    """A fixed sample of the unigram distribution that sentences are cut from."""
    try:
        import numpy as np  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        return random.Random(seed).choices(words, cum_weights=cum, k=POOL_SIZE)
    weights = np.asarray(counts, dtype=np.float64)
    rng = np.random.default_rng(seed)
    picks = rng.choice(len(words), size=POOL_SIZE, p=weights / weights.sum())
    return [words[i] for i in picks.tolist()]


def _iso(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def _q(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def _yaml_article(*, title: str, excerpt: str, published: datetime, url: str, name: str,
                  domain: str, topics: list[str], related: list[dict[str, Any]], secured: str,
                  quality: int, heat: int, body: str) -> str:
    lines = [
        "---", "category: news", f"title: {_q(title)}", f"excerpt: {_q(excerpt)}",
        f"publishedDateTime: {_iso(published)}", f"originalUrl: {_q(url)}",
        f"webUrl: {_q(url)}", "type: article", f"quality: {quality}", f"heat: {heat}",
        "published: false", "", "provider:", f"  name: {_q(name)}", f"  domain: {domain}", "",
        "topics:", *(f"  - {_q(t)}" for t in topics), "",
    ]
    if related:
        lines.append("related:")
        for item in related:
            rname, rdomain = item["provider"]
            lines += [
                f"  - title: {_q(item['title'])}", f"    excerpt: {_q(item['excerpt'])}",
                f"    publishedDateTime: {_iso(item['published'])}",
                f"    webUrl: {_q(item['url'])}", "    type: article", "    provider:",
                f"      name: {_q(rname)}", f"      domain: {rdomain}",
                f"    quality: {item['quality']}",
            ]
            if "image" in item:
                img, width, height = item["image"]
                lines += ["    images:", f"      - url: {_q(img)}", f"        width: {width}",
                          f"        height: {height}"]
        lines.append("")
    lines += [f"secured: {_q(secured)}", "---", "", body, ""]
    return "\n".join(lines)


# --- writing an archive ---------------------------------------------------------------

_WORKER: Generator | None = None


def _init_worker(tables: dict[str, Any], seed: int, size: int) -> None:
    global _WORKER
    _WORKER = Generator.create(tables, seed, size)


def file_name(index: int) -> str:
    return f"{index // PER_FOLDER:04d}/{index:07d}.txt"


def _write_folder(args: tuple[int, Path]) -> tuple[int, str]:
    folder, files_dir = args
    gen = _WORKER
    assert gen is not None
    start = folder * PER_FOLDER
    stop = min(gen.size, start + PER_FOLDER)
    (files_dir / f"{folder:04d}").mkdir(parents=True, exist_ok=True)
    records: list[str] = []
    for index in range(start, stop):
        text, record, _ = gen.article(index)
        (files_dir / file_name(index)).write_bytes(text.encode("utf-8"))
        records.append(json.dumps(record, ensure_ascii=False))
    return folder, "\n".join(records) + "\n"


def archive_dir(out: Path, size: int, seed: int) -> Path:
    return out / f"archive-{size_label(size)}-s{seed}"


def pick_queries(gen: Generator) -> dict[str, Any]:
    """Query terms that exist in the archive: from its first YAML article and the tables."""
    rank = {w: i for i, w in enumerate(gen.words)}
    for index in range(min(gen.size, 50)):
        _text, record, fmt = gen.article(index)
        if fmt == "yaml":
            break
    else:
        raise SystemExit("generate: no YAML article among the first 50")
    title_words = [w for w in WORD_RE.findall(record["title"]) if w.isascii() and len(w) > 3]
    rare = max(title_words or WORD_RE.findall(record["title"]),
               key=lambda w: rank.get(w, rank.get(w.lower(), 0)))
    common = next(w for w in gen.words if len(w) >= 5 and w.isascii() and w.islower())
    body = [w for w in record["body"].split("\n\n")[0].split()]
    mids = sorted({w.strip(".") for w in body if w.strip(".").isalpha() and w.isascii()},
                  key=lambda w: rank.get(w, 0))
    pair = mids[len(mids) // 2: len(mids) // 2 + 2] if len(mids) >= 2 else [common, rare]
    sentence = body[:8]
    phrase = next((f"{a} {b}" for a, b in itertools.pairwise(sentence)
                   if a.isalpha() and b.isalpha() and a.isascii() and b.isascii()),
                  f"{body[0]} {body[1]}".replace(".", ""))
    published = datetime.strptime(record["published"], "%Y-%m-%dT%H:%M:%SZ")
    return {
        "rare": rare.lower(),
        "common": common,
        "two_words": " ".join(pair).lower(),
        "phrase": phrase.lower(),
        "filtered": {
            "query": common,
            "provider": record["provider"],
            "since": (published - timedelta(days=365)).strftime("%Y-%m-%d"),
            "until": (published + timedelta(days=1)).strftime("%Y-%m-%d"),
        },
        "list_provider": gen.providers[0][1],
        "list_since": (ANCHOR - timedelta(days=90)).strftime("%Y-%m-%d"),
    }


def generate(size: int, seed: int, out: Path, shared: Path, *, jobs: int | None = None,
             quiet: bool = False) -> Path:
    """Write the archive (``files/``, ``records.jsonl``, ``manifest.json``); return its dir.

    An archive whose ``manifest.json`` exists is complete and is left as it is.
    """
    target = archive_dir(out, size, seed)
    manifest = target / "manifest.json"
    if manifest.is_file():
        return target
    tables = load_tables(out, shared)
    started = time.perf_counter()
    files_dir = target / "files"
    files_dir.mkdir(parents=True, exist_ok=True)
    folders = (size + PER_FOLDER - 1) // PER_FOLDER
    jobs = jobs or os.cpu_count() or 1
    chunks: dict[int, str] = {}
    records_path = target / "records.jsonl"
    with records_path.open("w", encoding="utf-8") as records:
        next_folder = 0
        if jobs == 1 or folders == 1:
            _init_worker(tables, seed, size)
            results: Iterator[tuple[int, str]] = map(
                _write_folder, ((f, files_dir) for f in range(folders)))
            pool = None
        else:
            ctx = multiprocessing.get_context("fork" if sys.platform == "linux" else "spawn")
            pool = ctx.Pool(jobs, _init_worker, (tables, seed, size))
            results = pool.imap_unordered(_write_folder, ((f, files_dir) for f in range(folders)))
        try:
            for folder, chunk in results:
                chunks[folder] = chunk
                while next_folder in chunks:
                    records.write(chunks.pop(next_folder))
                    next_folder += 1
                if not quiet and next_folder % 50 == 0 and next_folder:
                    print(f"  generated {next_folder * PER_FOLDER:,} / {size:,}", file=sys.stderr)
        finally:
            if pool is not None:
                pool.close()
                pool.join()
    gen = _WORKER if _WORKER is not None and pool is None else Generator.create(tables, seed, size)
    info = {
        "size": size, "seed": seed, "per_folder": PER_FOLDER, "files": str(files_dir),
        "records": str(records_path), "seconds": round(time.perf_counter() - started, 3),
        "queries": pick_queries(gen),
    }
    manifest.write_text(json.dumps(info, indent=2, ensure_ascii=False) + "\n", "utf-8")
    if not quiet:
        print(f"generated {size:,} articles in {info['seconds']} s -> {target}", file=sys.stderr)
    return target


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--size", type=parse_size, required=True, help="1k, 10k, 100k, 1M...")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="default bench/out/")
    parser.add_argument("--shared", type=Path, default=DEFAULT_SHARED,
                        help="the shared material (default ../shared)")
    parser.add_argument("--jobs", type=int, default=None, help="worker processes (default: all)")
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    path = generate(args.size, args.seed, args.out, args.shared, jobs=args.jobs, quiet=args.quiet)
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
