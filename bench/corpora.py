"""The real corpora in ``../shared/corpora/``, benchmarked in place, and their queries.

A corpus is a folder of article files (``bbc``: plain text, headline on the first line;
``ruby-lang-news``: Markdown with YAML front matter). The benchmark reads it as it is and
never writes into it: what it ingests is the corpus' folders and files except the
top-level documentation files (``PROVENANCE.md``, ``README.*``), which are not articles.

The queries are chosen from the corpus itself by fixed rules, never by hand:

- words are runs of letters and digits (tantivy's and FTS5's simple tokenizers split the
  same way), lower-cased; only ASCII-letter words of 4+ letters are candidates, so that
  newsidx, SQLite FTS5, ripgrep and recoll all read a query word the same way. Document
  frequency (df) is counted over title + body, without URLs and Liquid tags
  (``{% ... %}``, ``{{ ... }}``), each file a document;
- *common*: the non-stopword with the highest df;
- *rare*: among the words with df 3 (else 2, 4, 5, 1) and 6+ letters whose family (the
  words sharing their first ``len - 3``, at least 5, letters) is in at most 5 files in
  all, so that newsidx's stemming cannot make them common (``adicione`` would match
  every ``adicional``), the one with the smallest SHA-1 (an arbitrary but fixed choice,
  not a flattering one);
- *anchor*: the first file, in SHA-1 order of its path under the corpus, with 100+
  candidate words in its body; *two words*: the two non-stopwords of median df among its
  body's words (so they co-occur at least there); *phrase*: the first two adjacent
  non-stopwords in one of its body lines, separated by one space;
- *filtered*: the common word, with the anchor's provider (front matter ``provider``) and
  the year up to the anchor's date (front matter, else a Jekyll file name
  ``YYYY-MM-DD-slug.md``, as newsidx reads it); the parts the corpus lacks are left out, and with
  neither it is ``n/a``;
- ``list``: ``--provider`` the most frequent provider, ``--since`` 90 days before the
  newest date, each only when the corpus has it.

Usage: ``python bench/corpora.py DIR`` prints the queries chosen for a corpus as JSON.
"""

from __future__ import annotations

import argparse
import bisect
import hashlib
import json
import os
import re
import statistics
import sys
from collections import Counter
from collections.abc import Iterator, Sequence
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
DOC_FILES = re.compile(r"^(PROVENANCE|README)(\.[A-Za-z]+)?$", re.I)
TOKEN_RE = re.compile(r"[^\W_]+")
NOISE_RE = re.compile(r"\S+://\S+|\{%.*?%\}|\{\{.*?\}\}", re.S)
PAIR_RE = re.compile(r"(?<![\w'’-])([A-Za-z]{4,}) ([A-Za-z]{4,})(?![\w'’-])")
JEKYLL_RE = re.compile(r"(\d{4}-\d{2}-\d{2})-")
DATE_KEYS = ("publishedDateTime", "publishedAt", "published", "pubDate", "date")
MIN_LETTERS = 4
RARE_LETTERS = 6
RARE_DF = (3, 2, 4, 5, 1)
RARE_FAMILY_DF = 5
ANCHOR_WORDS = 100
LIST_DAYS = 90
FILTER_DAYS = 365
# Function words of the Latin-script languages in the corpora (4+ letters: shorter words
# are never candidates). Content words, however frequent ("said", "ruby"), stay in.
_STOP_TEXT = """
about above after again against also although among another because been before being
below between both could does doing down during each either even ever every from further
have having here hers herself himself however into itself just many more most much must
myself neither only other ours over same shall should since some such than that their
theirs them themselves then there these they this those though through under until upon
very were what when where whether which while whom whose will with within without would
your yours yourself
aber alle auch dass dies diese dieser durch eine einem einen einer eines hier ihre kann
keine mehr nach nicht noch oder sein sich sind sowie unter viel wenn werden wird wurde
como cuando desde donde entre esta este esto estos hasta para pero porque sobre todo todos
unas unos
avec dans elle elles leur leurs mais nous pour sans sont sous tout tous vous
alla anche come della delle degli dello nella nelle questa questo sono
pela pelo pelos uma umas
bagi dalam dari dengan juga untuk yang pada akan atau adalah telah
daha gibi olan olarak veya
oraz jest przez przy jako albo
trong
"""
STOPWORDS = frozenset(_STOP_TEXT.split())


def ingest_paths(root: Path) -> list[Path]:
    """What the benchmark ingests: every entry of ``root`` but hidden and documentation files."""
    return sorted(p for p in root.iterdir()
                  if not p.name.startswith(".")
                  and (p.is_dir() or (p.is_file() and not DOC_FILES.match(p.name))))


def walk(paths: Sequence[Path]) -> Iterator[Path]:
    """The regular files under ``paths``, hidden entries skipped, in sorted order."""
    for path in paths:
        if path.is_file():
            yield path
            continue
        for base, dirs, files in os.walk(path):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for name in sorted(files):
                if not name.startswith("."):
                    yield Path(base, name)


def read_text(path: Path) -> str:
    """The file as text: UTF-8, else Windows-1252 (what newsidx falls back to)."""
    data = path.read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", "replace")


def _day(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip()[:10])
        except ValueError:
            return None
    return None


def _provider(value: Any) -> str | None:
    if isinstance(value, dict):
        value = value.get("domain") or value.get("name")
    return value.strip() if isinstance(value, str) and value.strip() else None


def read_article(path: Path) -> dict[str, Any]:
    """Title, body, date and provider of one file (front matter, else plain text)."""
    text = read_text(path)
    meta: Any = None
    if text.startswith("---"):
        end = text.find("\n---", 3)
        if end > 0:
            try:
                meta = yaml.load(text[3:end], Loader=LOADER)
            except yaml.YAMLError:
                meta = None
            if isinstance(meta, dict):
                text = text[end + 4:].partition("\n")[2]
    if isinstance(meta, dict):
        day = next((d for d in map(_day, (meta.get(k) for k in DATE_KEYS)) if d), None)
        if day is None and (jekyll := JEKYLL_RE.match(path.name)):
            day = _day(jekyll.group(1))
        return {"title": str(meta.get("title") or ""), "body": text, "date": day,
                "provider": _provider(meta.get("provider"))}
    title, _, body = text.lstrip("\ufeff").partition("\n")
    return {"title": title, "body": body, "date": None, "provider": None}


def words(text: str) -> list[str]:
    """Candidate query words of ``text``, lower-cased, in order."""
    return [w.lower() for w in TOKEN_RE.findall(NOISE_RE.sub(" ", text))
            if len(w) >= MIN_LETTERS and w.isascii() and w.isalpha()]


def _sha(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def pick_queries(root: Path, paths: Sequence[Path] | None = None) -> dict[str, Any]:
    """The queries for the corpus at ``root`` by the rules above, with how they were found."""
    paths = list(paths) if paths is not None else ingest_paths(root)
    df: Counter[str] = Counter()
    providers: Counter[str] = Counter()
    newest: date | None = None
    anchor: tuple[str, dict[str, Any]] | None = None
    docs = 0
    for path in walk(paths):
        article = read_article(path)
        docs += 1
        df.update(set(words(article["title"] + "\n" + article["body"])))
        if article["provider"]:
            providers[article["provider"]] += 1
        if article["date"] and (newest is None or article["date"] > newest):
            newest = article["date"]
        rel = path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)
        if len(words(article["body"])) >= ANCHOR_WORDS and (
                anchor is None or _sha(rel) < _sha(anchor[0])):
            anchor = (rel, article)
    if not df or anchor is None:
        raise ValueError(f"{root}: no file with {ANCHOR_WORDS}+ words to choose queries from")
    common = min((w for w in df if w not in STOPWORDS), key=lambda w: (-df[w], w))
    vocab = sorted(df)
    rare = next(min(cands, key=_sha) for want in RARE_DF if (cands := [
        w for w, c in df.items() if c == want and len(w) >= RARE_LETTERS
        and _family_df(w, vocab, df) <= RARE_FAMILY_DF]))
    rel, article = anchor
    body_words = sorted({w for w in words(article["body"]) if w not in STOPWORDS},
                        key=lambda w: (df[w], w))
    mid = max(0, len(body_words) // 2 - 1)
    pair = body_words[mid:mid + 2]
    phrase = next((f"{a} {b}".lower() for line in article["body"].splitlines()
                   for a, b in PAIR_RE.findall(NOISE_RE.sub(" ", line))
                   if a.lower() not in STOPWORDS and b.lower() not in STOPWORDS), None)
    if phrase is None:
        phrase = next(f"{a} {b}".lower() for line in article["body"].splitlines()
                      for a, b in PAIR_RE.findall(line))
    filtered: dict[str, Any] = {"query": common}
    if article["provider"]:
        filtered["provider"] = article["provider"]
    if article["date"]:
        filtered["since"] = (article["date"] - timedelta(days=FILTER_DAYS)).isoformat()
        filtered["until"] = (article["date"] + timedelta(days=1)).isoformat()
    return {
        "rare": rare,
        "common": common,
        "two_words": " ".join(pair),
        "phrase": phrase,
        "filtered": filtered if len(filtered) > 1 else None,
        "list_provider": providers.most_common(1)[0][0] if providers else None,
        "list_since": (newest - timedelta(days=LIST_DAYS)).isoformat() if newest else None,
        "how": {
            "documents": docs, "anchor": rel, "df": {
                "rare": df[rare], "common": df[common],
                "two_words": [df[w] for w in pair],
                "two_words_together": _together(paths, pair),
                "anchor_body_words_median_df": statistics.median(df[w] for w in body_words)
                if body_words else None,
            },
            "dated": newest is not None, "providers": len(providers),
        },
    }


def _family_df(word: str, vocab: Sequence[str], df: Counter[str]) -> int:
    """The summed df of the words sharing ``word``'s first ``len - 3`` (at least 5)
    letters: an upper bound on how many files a stemming engine finds for it."""
    prefix = word[:max(5, len(word) - 3)]
    start = bisect.bisect_left(vocab, prefix)
    end = bisect.bisect_left(vocab, prefix + "\x7f")
    return sum(df[w] for w in vocab[start:end])


def _together(paths: Sequence[Path], pair: Sequence[str]) -> int:
    """Documents holding every word of ``pair``."""
    want = set(pair)
    found = 0
    for path in walk(paths):
        lower = read_text(path).lower()
        if all(w in lower for w in want):  # cheap test first: most files lack a word
            article = read_article(path)
            found += want <= set(words(article["title"] + "\n" + article["body"]))
    return found


def find(shared: Path, names: str) -> list[Path]:
    """The corpora to run: ``all`` (every folder under ``shared/corpora``), ``none``, or a
    comma list of names; a named corpus that is missing raises ``FileNotFoundError``."""
    base = shared / "corpora"
    if names == "none":
        return []
    if names == "all":
        return sorted(p for p in base.iterdir() if p.is_dir()) if base.is_dir() else []
    found = []
    for name in (n.strip() for n in names.split(",") if n.strip()):
        if not (base / name).is_dir():
            raise FileNotFoundError(f"no corpus {name!r} under {base}")
        found.append(base / name)
    return found


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="the queries chosen for a real corpus")
    parser.add_argument("root", type=Path)
    args = parser.parse_args(argv)
    print(json.dumps(pick_queries(args.root), indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
