"""A damaged catalogue is reported, never read silently short: the reader gives what it
can, then one line naming `newsidx check --repair`, and exits 2."""

from __future__ import annotations

import json
from pathlib import Path

import clirun
import pytest

SEEDS = Path(__file__).resolve().parent.parent / "seeds"


def newsidx(cat: Path, *args: str) -> clirun.Done:
    return clirun.newsidx(*args, catalogue=cat)


@pytest.mark.slow
def test_an_emptied_shard_is_named_and_exits_2(tmp_path: Path) -> None:
    cat = tmp_path / "cat"
    assert newsidx(cat, "ingest", str(SEEDS)).returncode == 0
    whole = [json.loads(line) for line in newsidx(cat, "export").stdout.splitlines()]
    shards = json.loads((cat / "catalogue.json").read_text())["shards"]
    _, entry = max(shards.items(), key=lambda kv: kv[1]["count"])
    (cat / entry["files"][0]).write_text("")
    done = newsidx(cat, "export")
    assert done.returncode == 2, done.stderr
    left = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(left) == len(whole) - entry["count"]
    (line,) = done.stderr.strip().splitlines()
    assert "check --repair" in line and str(cat) in line
    lost = next(r["id"] for r in whole if r["id"] not in {x["id"] for x in left})
    shown = newsidx(cat, "show", lost)
    assert shown.returncode == 2 and "Traceback" not in shown.stderr
    assert "check --repair" in shown.stderr
    assert newsidx(cat, "check", "--repair").returncode == 0
    assert len(newsidx(cat, "export").stdout.splitlines()) == len(whole)


def test_garbage_in_the_index_is_one_line_and_repaired(tmp_path: Path) -> None:
    cat = tmp_path / "cat"
    assert newsidx(cat, "ingest", str(SEEDS)).returncode == 0
    stores = list((cat / "index").glob("data-*/*.store"))
    assert stores
    for store in stores:
        data = bytearray(store.read_bytes())
        for i in range(0, len(data), 7):
            data[i] = (data[i] * 31 + 7) % 256
        store.write_bytes(bytes(data))
    for args in (("list",), ("search", "Alibaba"), ("stats",)):
        done = newsidx(cat, *args)
        assert done.returncode == 2, (args, done.stderr)
        (line,) = done.stderr.strip().splitlines()
        assert "search index" in line and "check --repair" in line, line
    assert newsidx(cat, "check", "--repair").returncode == 0
    assert newsidx(cat, "search", "Alibaba").returncode == 0
