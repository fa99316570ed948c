"""The ingest summary adds up: seen = new + updated + unchanged + skipped + failed, in two
short lines for people and the same counts in ``--format json``; merges are explained."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import clirun

NEWSIDX = [sys.executable, "-m", "newsidx"]
PARTS = ("new", "updated", "unchanged", "skipped", "failed")


def story(i: int, url: str | None = None) -> str:
    return (f"---\ntitle: Quay story {i}\ndate: 2024-03-0{i % 9 + 1}\nprovider: Quay News\n"
            f"url: {url or f'https://quay.example/{i}'}\n---\n\nThe quay {i}.\n")


def ingest(cat: Path, news: Path, *args: str) -> clirun.Done:
    return clirun.newsidx("ingest", str(news), "-j", "1", *args, catalogue=cat)


def counts(line: str) -> dict[str, int]:
    return {name: int(n) for n, name in re.findall(r"(\d+) (seen|new|updated|unchanged|"
                                                    r"skipped|failed)", line)}


def test_the_summary_adds_up_in_text_and_json(tmp_path: Path) -> None:
    news, cat = tmp_path / "news", tmp_path / "cat"
    news.mkdir()
    for i in range(4):
        (news / f"s{i}.md").write_text(story(i))
    (news / "copy.md").write_text(story(9, url="https://quay.example/0"))  # same record
    (news / "LICENSE").write_text("MIT License\n\nPermission is hereby granted...\n")
    (news / "broken.json").write_text('{"title": "half')
    first = ingest(cat, news)
    lines = first.stdout.splitlines()
    assert len(lines) == 2, first.stdout
    seen = counts(lines[0])
    assert seen["seen"] == sum(seen[p] for p in PARTS) == 7
    assert seen["new"] == 5 and seen["skipped"] >= 1 and seen["failed"] >= 1
    assert "merged" in lines[1]
    assert first.returncode == 1  # a file failed

    (news / "s1.md").write_text(story(1) + "\nMore.\n")
    again = ingest(cat, news, "--format", "json")
    data = json.loads(again.stdout)
    assert data["files_seen"] == sum(data[p] for p in PARTS) == 7
    assert (data["updated"], data["unchanged"], data["new"]) == (1, 4, 0)
    assert data["skipped"] == seen["skipped"] and data["failed"] == seen["failed"]
    text = counts(ingest(cat, news).stdout.splitlines()[0])
    assert text["seen"] == sum(text[p] for p in PARTS) == 7 and text["unchanged"] == 5
