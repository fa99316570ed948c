"""Readers (search, list, stats) in a loop beside an ingest of 10,000 files: every read is
consistent, no count ever goes backwards, and the ingest finishes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from test_crash import make_tree

from newsidx.catalogue import Catalogue
from newsidx.check import check

FILES = 10_000

_WRITER = """
import sys
from newsidx.catalogue import Catalogue
from newsidx.index import SearchIndex
from newsidx.ingest import index_sync_for, ingest
cat = Catalogue(sys.argv[2])
r = ingest([sys.argv[1]], cat, jobs=2, batch_size=2000,
           index_sync=index_sync_for(SearchIndex(cat.root / "index")))
print(r.commits, r.records_total)
"""

_READER = """
import json, os, sys, time
from click.testing import CliRunner
from newsidx.cli import cli
cat, stop = sys.argv[1], sys.argv[2]
runner = CliRunner()
commands = {
    "list": ["list", "--format", "ids", "--limit", "1000000"],
    "search": ["search", "story", "--format", "ids", "--limit", "1000000"],
    "stats": ["stats", "--format", "json"],
}
last = dict.fromkeys(commands, 0)
reads = 0
while not os.path.exists(stop):
    for name, args in commands.items():
        r = runner.invoke(cli, ["--catalogue", cat, *args])
        if r.exception is not None and not isinstance(r.exception, SystemExit):
            raise r.exception
        if "being written by another newsidx process" in r.stderr:
            # before the first commit: said so, exit 2, nothing counted yet
            assert r.exit_code == 2 and last[name] == 0, r.output
            continue
        if name == "stats":
            assert r.exit_code == 0, r.output
            count = json.loads(r.stdout)["records"]
        else:
            # 2 only in the moment between the first commit and its index: an error, said so
            assert r.exit_code in (0, 1) or "has no search index yet" in r.stderr, r.output
            count = len(r.stdout.split())
            assert r.exit_code == 0 or count == 0, r.output
        assert count >= last[name], (name, count, last[name])
        last[name] = count
        reads += 1
    time.sleep(0.2)
print(json.dumps({"reads": reads, **last}))
"""


@pytest.mark.slow
def test_reads_during_a_10k_ingest(tmp_path: Path) -> None:
    root = tmp_path / "news"
    make_tree(root, FILES)
    cat = tmp_path / "cat"
    stop = tmp_path / "stop"
    readers = [subprocess.Popen([sys.executable, "-c", _READER, str(cat), str(stop)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
               for _ in range(1)]
    writer = subprocess.run([sys.executable, "-c", _WRITER, str(root), str(cat)],
                            capture_output=True, timeout=240, check=False)
    stop.touch()
    results = [r.communicate(timeout=60) for r in readers]
    assert writer.returncode == 0, writer.stderr.decode()[-2000:]
    commits, total = map(int, writer.stdout.split())
    assert commits == FILES // 2000 and total == FILES + 101
    for reader, (out, err) in zip(readers, results, strict=True):
        assert reader.returncode == 0, err.decode()[-2000:]
        seen = json.loads(out)
        assert seen["reads"] >= 1
    assert check(Catalogue(cat)).ok
