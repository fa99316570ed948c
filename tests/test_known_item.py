"""Known-item search on the shared corpora: an article's title finds it in the top 3."""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest
import yaml
from heldindex import HeldIndex

from newsidx.index import SearchRequest
from newsidx.model import Article

Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
SAMPLE = 200
_FRONT = re.compile(r"\A---\s*\n(.*?)\n---\s*\n(.*)\Z", re.DOTALL)


def _bbc(path: Path) -> Article | None:
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    if not lines or not lines[0].strip():
        return None
    return Article(id=str(path), kind="article", title=lines[0].strip(), body="\n".join(lines[1:]))


def _post(path: Path) -> Article | None:
    m = _FRONT.match(path.read_text(encoding="utf-8", errors="replace"))
    if not m:
        return None
    try:
        meta = yaml.load(m[1], Loader=Loader)
    except yaml.YAMLError:
        return None
    title = meta.get("title") if isinstance(meta, dict) else None
    if not isinstance(title, str) or not title.strip():
        return None
    return Article(id=str(path), kind="article", title=title.strip(), body=m[2])


def _as_typed(title: str) -> str:
    """The title as someone would type it: no quotes, brackets or leading minus signs."""
    words = re.sub(r'[()"]', " ", title).split()
    return " ".join(w.lstrip("-") for w in words if w not in ("OR", "AND", "NOT"))


@pytest.mark.slow
def test_titles_find_their_articles(shared: Path, tmp_path: Path) -> None:
    corpora = shared / "corpora"
    records = [r for p in sorted((corpora / "bbc").rglob("*.txt")) if (r := _bbc(p))]
    records += [r for p in sorted((corpora / "ruby-lang-news").rglob("*.md")) if (r := _post(p))]
    assert len(records) > 5000
    index = HeldIndex(tmp_path / "index")
    index.rebuild(records, generation=1)
    sample = random.Random(20240305).sample(records, SAMPLE)
    found = 0
    for record in sample:
        hits = index.search(SearchRequest(text=_as_typed(record.title), limit=3)).hits
        found += any(h.record.id == record.id for h in hits)
    share = found / SAMPLE
    print(f"known-item: {found}/{SAMPLE} titles found their article in the top 3 ({share:.1%})")
    assert share >= 0.95
