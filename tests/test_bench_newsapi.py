"""bench/newsapi.py: the front-matter copy holds the same articles as the datasets, the
comparison skips cleanly without ``../shared``, and its report section says the verdict."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

from newsidx.api import Archive

BENCH = Path(__file__).resolve().parent.parent / "bench"


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCH / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


newsapi = _load("newsapi")
report = _load("report")


def _row(i: int, country: str) -> dict[str, Any]:
    return {"source": {"id": None, "name": f"Paper {i % 3}"}, "author": f"Writer {i}",
            "title": f"{country} headline {i}: a: colon, and 'quotes'",
            "description": f"What happened, {i}" if i % 2 else None,
            "url": f"https://www.paper{i % 3}.example/{country}/{i}",
            "urlToImage": f"https://img.example/{i}.jpg",
            "publishedAt": f"2023-03-{i % 28 + 1:02d}T10:00:00Z",
            "content": f"The story {i} begins here… [+{1000 + i} chars]",
            "country": country}


def _feeds(tmp_path: Path) -> Path:
    folder = tmp_path / "shared" / "feeds" / "newsapi-2023"
    folder.mkdir(parents=True)
    for name in newsapi.NAMES:
        rows = [_row(i, name[:2]) for i in range(5)]
        (folder / name).write_text("".join(json.dumps(r) + "\n" for r in rows), "utf-8")
    return tmp_path / "shared"


def _view(archive: Archive) -> set[tuple[Any, ...]]:
    return {(r.title, r.url, r.published, r.provider.name if r.provider else None,
             r.provider.domain if r.provider else None, r.excerpt, r.body, tuple(r.authors))
            for r in archive.export()}


def test_front_matter_copy_holds_the_same_articles(tmp_path: Path) -> None:
    files = newsapi.newsapi_files(_feeds(tmp_path))
    assert len(files) == 4
    assert newsapi.write_front_matter(files, tmp_path / "copy") == 20
    datasets, copy = Archive(tmp_path / "a"), Archive(tmp_path / "b")
    assert datasets.ingest(files).exit_code == 0
    assert copy.ingest(tmp_path / "copy").exit_code == 0
    assert len(_view(datasets)) == 20
    assert _view(datasets) == _view(copy)


def test_missing_shared_is_skipped(tmp_path: Path) -> None:
    assert newsapi.newsapi_files(tmp_path / "nowhere") == []
    text = "\n".join(report.newsapi_section({"skipped": "no newsapi-2023 here"}))
    assert "Skipped" in text


def test_report_section_gives_the_verdict() -> None:
    side = {"walls": [10.0, 11.0], "rates": [5000, 4500], "articles": 50_000,
            "median_rate": 4750, "maxrss_mib": 300.0}
    data = {"files": ["au.jsonl"], "front_matter_files": 50_000, "runs": 2,
            "datasets": side, "front_matter": {**side, "median_rate": 5000},
            "datasets_at_least_as_fast": False}
    text = "\n".join(report.newsapi_section(data))
    assert "**FAIL**" in text and "5,000, 4,500" in text
    text = "\n".join(report.newsapi_section({**data, "datasets_at_least_as_fast": True}))
    assert "**pass**" in text
