"""Start-up cost of the read commands: a real ``newsidx`` process must not import what it
does not use (issue #6: a whole ``search`` process under 0.2 s at 1M articles, most of
which is interpreter start-up and imports).

Each case runs the command in a fresh interpreter with stdout piped, as a script or a
benchmark would, and records ``sys.modules`` when the command has finished.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest

import newsidx
from newsidx.catalogue import Catalogue
from newsidx.index import SearchIndex
from newsidx.model import Article, Provider

#: Never needed to read a catalogue: the ingest machinery, YAML, rich when piped,
#: process pools, and stdlib modules the read path was made to avoid.
FORBIDDEN = (
    "rich", "yaml", "dateutil", "tomllib", "newsidx.parse", "newsidx.frontmatter",
    "newsidx.fieldmap", "newsidx.ingest", "newsidx.parsepool", "newsidx.batch",
    "newsidx.prepared", "newsidx.walk",
    "newsidx.jsonl", "newsidx.check", "concurrent.futures", "multiprocessing", "shutil",
    "bz2", "lzma", "csv", "difflib", "subprocess", "tempfile",
)
#: Only a date filter needs the date-expression parser.
NO_DATES = ("newsidx.timeparse", "calendar")

PROBE = """
import json, os, sys
from newsidx.cli import main
try:
    main(sys.argv[1:])
finally:
    with open(os.environ["NEWSIDX_TEST_MODULES"], "w") as out:
        json.dump(sorted(sys.modules), out)
"""


@pytest.fixture(scope="module")
def catalogue(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small catalogue with a current index, so no command rebuilds anything."""
    root = tmp_path_factory.mktemp("startup") / "catalogue"
    records = [
        Article(id=f"{i:016x}", kind="article", title=f"Alibaba invests, part {i}",
                body="Alibaba backs MiniMax in a funding round.",
                published=datetime(2024, 3, i + 1, tzinfo=timezone.utc),
                provider=Provider("SCMP", "scmp.com"), topics=("AI",),
                sources=(f"/archive/{i}.md",))
        for i in range(5)
    ]
    with Catalogue(root).writer() as writer:
        generation = writer.commit(upserts=records, deletes=(), files={})
    SearchIndex(root / "index").rebuild(records, generation)
    return root


def modules_after(catalogue: Path, tmp_path: Path, *argv: str) -> tuple[set[str], str]:
    """The modules loaded by a ``newsidx`` process running ``argv``, and its stdout."""
    record = tmp_path / "modules.json"
    src = str(Path(newsidx.__file__).resolve().parent.parent)
    env = {**os.environ, "NEWSIDX_CATALOGUE": str(catalogue), "NEWSIDX_TEST_MODULES": str(record),
           "PYTHONPATH": os.pathsep.join([src, os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.run([sys.executable, "-c", PROBE, *argv], env=env, capture_output=True,
                          text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    return set(json.loads(record.read_text())), proc.stdout


def loaded(modules: set[str], names: tuple[str, ...]) -> list[str]:
    """Which of ``names`` (or their submodules) are in ``modules``."""
    return sorted(m for m in modules for n in names if m == n or m.startswith(n + "."))


@pytest.mark.parametrize("argv", [
    ("search", "Alibaba"),
    ("search", "Alibaba MiniMax", "--format", "ids"),
    ("search", "Alibaba", "--format", "json"),
    ("list", "--provider", "scmp.com", "--format", "ids"),
    ("providers",),
    ("topics",),
    ("timeline", "Alibaba", "--by", "day"),
    ("stats",),
])
def test_read_commands_import_only_what_they_use(
    catalogue: Path, tmp_path: Path, argv: tuple[str, ...]
) -> None:
    modules, out = modules_after(catalogue, tmp_path, *argv)
    assert out.strip()
    assert "newsidx.index" in modules or argv == ("stats",)  # the probe sees real imports
    assert loaded(modules, FORBIDDEN) == []
    assert loaded(modules, NO_DATES) == []


def test_date_filters_import_only_the_date_parser(catalogue: Path, tmp_path: Path) -> None:
    modules, out = modules_after(catalogue, tmp_path, "search", "Alibaba after:2024-03-02",
                                 "--since", "2024-03", "--format", "ids")
    assert len(out.split()) == 4  # March 2-5: after: is inclusive
    assert "newsidx.timeparse" in modules
    assert loaded(modules, FORBIDDEN) == []


#: The search side of the index, which a parse worker never uses.
NOT_IN_WORKERS = ("newsidx.index", "newsidx.indexrequest", "newsidx.indexcounts",
                  "newsidx.indexsession", "newsidx.indexdirs", "newsidx.hits",
                  "newsidx.hitrecords")

WORKER_PROBE = """
import json, sys
from datetime import datetime, timezone
import newsidx.formats.work, newsidx.parsepool
from newsidx.model import Article
from newsidx.prepared import Prepared
record = Article(id="0123456789abcdef", kind="article", title="Alibaba backs MiniMax",
                 body="A funding round.", published=datetime(2024, 3, 5, tzinfo=timezone.utc))
Prepared.of(record).document()
print(json.dumps(sorted(sys.modules)))
"""


def test_parse_workers_load_only_the_document_side_of_the_index() -> None:
    """A worker builds index documents (``indexdoc``) without loading what searches."""
    src = str(Path(newsidx.__file__).resolve().parent.parent)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([src, os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.run([sys.executable, "-c", WORKER_PROBE], env=env, capture_output=True,
                          text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    modules = set(json.loads(proc.stdout))
    assert "newsidx.indexdoc" in modules  # the probe built a document
    assert loaded(modules, NOT_IN_WORKERS) == []
