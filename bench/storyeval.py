"""Story grouping measured against the labelled newsapi set (bench/stories/labels.tsv).

    python bench/storyeval.py [--shared ../shared] [--background N]

The labelled rows of ``../shared/feeds/newsapi-2023`` and a background of other rows of
the same days (every one by default; ``--background N`` keeps at most N per day) are
written as one JSON Lines dataset into a scratch folder, ingested by newsidx into a fresh
catalogue, and each labelled row's ``story`` is read back. Pair precision and recall are
over the pairs of labelled rows: a pair is positive when both rows carry one label, and
predicted when newsidx put both records in one story. The background only makes the
archive realistic (term rarity, unrelated look-alikes); pairs with unlabelled rows are
not counted. Nothing of the shared data is written into the project.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path

LABELS = Path(__file__).resolve().parent / "stories" / "labels.tsv"
FEED = Path("feeds") / "newsapi-2023"


@dataclass(frozen=True)
class Result:
    rows: int
    stories: int
    positive_pairs: int
    predicted_pairs: int
    true_pairs: int
    background: int
    seconds: float
    false_merges: tuple[tuple[str, str], ...]
    missed: tuple[tuple[str, str], ...]

    @property
    def precision(self) -> float:
        return self.true_pairs / self.predicted_pairs if self.predicted_pairs else 1.0

    @property
    def recall(self) -> float:
        return self.true_pairs / self.positive_pairs if self.positive_pairs else 1.0


def read_labels(path: Path = LABELS) -> list[tuple[str, int, str]]:
    """``(file, line, story)`` of every labelled row."""
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            file, number, story = line.split("\t")[:3]
            out.append((file, int(number), story))
    return out


def build_dataset(shared: Path, out: Path, background: int | None
                  ) -> tuple[dict[str, str], int]:
    """Write the dataset; returns labelled url -> story label, and the background size."""
    labels = read_labels()
    wanted = {(f, n): s for f, n, s in labels}
    files = sorted({f for f, _, _ in labels})
    rows: dict[tuple[str, int], dict[str, object]] = {}
    by_day: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for file in sorted(p.name for p in (shared / FEED).glob("*.jsonl")):
        with open(shared / FEED / file, encoding="utf-8") as handle:
            for number, line in enumerate(handle, 1):
                row = json.loads(line)
                day = str(row.get("publishedAt") or "")[:10]
                rows[(file, number)] = row
                by_day[day].append((file, number))
    days = {str(rows[k].get("publishedAt"))[:10] for k in wanted}
    keep: list[tuple[str, int]] = list(wanted)
    for day in sorted(days):
        others = [k for k in by_day[day] if k not in wanted]
        keep += others if background is None else others[:background]
    missing = [k for k in wanted if k not in rows]
    if missing or not files:
        raise SystemExit(f"labelled rows not in {shared / FEED}: {missing[:3]}")
    with open(out, "w", encoding="utf-8") as handle:
        for key in keep:
            handle.write(json.dumps(rows[key], ensure_ascii=False) + "\n")
    return {str(rows[k]["url"]): s for k, s in wanted.items()}, len(keep) - len(wanted)


def evaluate(shared: Path, work: Path, *, background: int | None = None) -> Result:
    from newsidx.api import Archive
    from newsidx.model import canonical_url

    data = work / "newsapi-labelled.jsonl"
    labelled, extra = build_dataset(shared, data, background)
    archive = Archive(work / "catalogue")
    start = time.perf_counter()
    archive.ingest([data], stories=True)
    seconds = time.perf_counter() - start
    truth = {canonical_url(u): s for u, s in labelled.items()}
    found: dict[str, str] = {}
    titles: dict[str, str] = {}
    for record in archive.export():
        key = canonical_url(record.url) if record.url else None
        if key in truth:
            found[key] = record.story or record.id
            titles[key] = record.title
    if len(found) != len(truth):
        raise SystemExit(f"{len(truth) - len(found)} labelled rows not found after ingest")
    positive = predicted = true = 0
    false_merges, missed = [], []
    for a, b in combinations(sorted(truth), 2):
        same, grouped = truth[a] == truth[b], found[a] == found[b]
        positive += same
        predicted += grouped
        true += same and grouped
        if grouped and not same:
            false_merges.append((titles[a], titles[b]))
        if same and not grouped:
            missed.append((titles[a], titles[b]))
    return Result(len(truth), len(set(truth.values())), positive, predicted, true, extra,
                  seconds, tuple(false_merges), tuple(missed))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shared", type=Path,
                        default=Path(__file__).resolve().parent.parent.parent / "shared")
    parser.add_argument("--background", type=int, default=None,
                        help="at most this many unlabelled rows per labelled day")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args(argv)
    if not (args.shared / FEED).is_dir():
        print(f"storyeval: {args.shared / FEED} is not present", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="storyeval-") as tmp:
        r = evaluate(args.shared, Path(tmp), background=args.background)
    print(f"labelled rows {r.rows}, stories {r.stories}, positive pairs {r.positive_pairs}, "
          f"background rows {r.background}, ingest {r.seconds:.1f} s")
    print(f"pair precision {r.precision:.3f} ({r.true_pairs}/{r.predicted_pairs}), "
          f"recall {r.recall:.3f} ({r.true_pairs}/{r.positive_pairs})")
    if args.verbose:
        for a, b in r.false_merges:
            print(f"  merged: {a[:60]!r} ~ {b[:60]!r}")
        for a, b in r.missed:
            print(f"  missed: {a[:60]!r} ~ {b[:60]!r}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
