"""Every file of ../shared/inputs (plus make_fs_cases.sh) in ONE ingest run, as CASES.md says.

The run is a subprocess limited to 1.5 GiB of address space and a timeout: it must not
crash, hang or blow up, must name every rejected file with its reason, and must store
every file CASES.md expects as a record.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_walk import _remove_deep

from newsidx.catalogue import Catalogue
from newsidx.safetext import escape_name

MEMORY_LIMIT = 1536 * 1024 * 1024
TIMEOUT = 180

# CASES.md rows -> what the run must give (path relative to the copy of inputs/).
FAILED = {
    "frontmatter/unterminated.md": ":1: unterminated front matter",
    "yaml/python-object.md": "unsafe YAML tag",
    "yaml/alias-bomb.md": "expands to more than",
    "yaml/deep-nesting.md": "nested deeper than 100 levels",
    "yaml/deep-dashes.md": "nested deeper than 100 levels",
    "yaml/not-a-mapping.md": "front matter is not a mapping",
    "yaml/scalar.md": "front matter is not a mapping",
    "yaml/invalid.md": ":2: invalid YAML",
    "gen/fifty-mb.md": "over the 10 MiB limit (--max-size)",
    "gen/long-line.md": ":4: line 4 is 9.5 MiB long, over the 1 MiB line limit",
}
SKIPPED = {
    "encoding/binary.md": "binary file",
    "encoding/empty.md": "empty file",
    "encoding/whitespace-only.txt": "empty file",
    "fs/.hidden": "hidden",
    "gen/fifo.md": "not a regular file",
    "gen/zero.md": "not a regular file",
    "gen/loop": "not followed",
    "gen/escape": "not followed",
    "make_fs_cases.sh": "not an article",  # the generator script itself, a shell script
}
TITLES = {
    "frontmatter/bom.md": "BOM before the fence",
    "frontmatter/dots-end.md": "Closed by three dots",
    "frontmatter/empty-fm.md": "Heading becomes the title",
    "frontmatter/toml.md": "Hugo TOML front matter",
    "frontmatter/leading-blank-lines.md": "Front matter after blank lines",
    "encoding/utf16.md": "UTF-16 with BOM",
    "encoding/latin1.txt": "Café au lait prices rise in Zürich",
    "yaml/implicit-types.md": "2024",
    "structure/no-title.md": "First sentence stands in for the missing title.",
    "structure/blank-title.md": "Heading title",
    "structure/non-string-keys.md": "Odd keys",
    "gen/new\nline.md": "Newline in name",
    os.fsdecode(b"gen/caf\xe9.md"): "Latin-1 name",
    "gen/unreadable.md": "Unreadable",  # root reads mode 000; CASES allows a record then
}
RECORDED = {
    "frontmatter/crlf.md", "frontmatter/dashes-in-body.md", "frontmatter/only-fm.md",
    "yaml/duplicate-keys.md", "dates/formats.md", "dates/offset.md", "dates/epoch.md",
    "dates/impossible.md", "dates/garbage.md", "dates/naive.md", "dates/year-9999.md",
    "dates/related-bad-date.md", "dates/mixed-zones-a.md", "dates/mixed-zones-b.md",
    "encoding/invalid-utf8.md", "encoding/nul-bytes.md", "encoding/unicode-titles.md",
    "encoding/terminal-escapes.md", "structure/provider-string.md",
    "structure/related-mapping.md", "structure/related-partial.md", "structure/huge-title.md",
    "structure/same-url-a.md", "structure/same-url-b.md", "fs/name with spaces.md",
    *TITLES,
}

_LIBRARY_RUN = """
import json, sys
from newsidx.catalogue import Catalogue
from newsidx.ingest import ingest
r = ingest([sys.argv[1]], Catalogue(sys.argv[2]))
print(json.dumps({"failed_files": [{"path": p, "reason": m} for p, m in r.failed],
                  "skipped_files": [{"path": p, "reason": m} for p, m in r.skipped],
                  "records_total": r.records_total}, ensure_ascii=True))
"""


@pytest.fixture(scope="module")
def cases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    shared = Path(__file__).resolve().parent.parent.parent / "shared"
    if not (shared / "inputs").is_dir():
        pytest.skip("../shared/ is not present")
    if shutil.which("mkfifo") is None:
        pytest.skip("mkfifo is not available")
    root = tmp_path_factory.mktemp("inputs") / "in"
    shutil.copytree(shared / "inputs", root)
    for top, dirs, files in os.walk(root):
        for name in dirs + files:
            os.chmod(os.path.join(top, name), 0o755)
    subprocess.run(["sh", str(root / "make_fs_cases.sh"), str(root / "gen")], check=True,
                   timeout=120)
    yield root
    _remove_deep(root / "gen" / "deep-tree")


def _limited() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def _run(args: list[str]) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, *args], capture_output=True, timeout=TIMEOUT,
                          preexec_fn=_limited, check=False)


def _assert_cases(root: Path, data: dict[str, Any], catalogue: Catalogue) -> None:
    failed = {os.path.relpath(f["path"], root): f["reason"] for f in data["failed_files"]}
    skipped = {os.path.relpath(f["path"], root): f["reason"] for f in data["skipped_files"]}
    assert failed.keys() == FAILED.keys()
    for name, reason in FAILED.items():
        assert reason in failed[name], (name, failed[name])
        assert "\n" not in failed[name]
    assert skipped.keys() == SKIPPED.keys()
    for name, reason in SKIPPED.items():
        assert reason in skipped[name], (name, skipped[name])
    states = catalogue.files()
    stored = {os.path.relpath(p, root): s for p, s in states.items()}
    assert stored.keys() >= RECORDED
    assert not stored.keys() & (FAILED.keys() | SKIPPED.keys())
    articles = catalogue.get_many(stored[n].ids[0] for n in RECORDED)
    for name, title in TITLES.items():
        assert articles[stored[name].ids[0]].title == title, name
    same = stored["structure/same-url-a.md"].ids[0]
    assert stored["structure/same-url-b.md"].ids[0] == same
    assert sorted(os.path.relpath(s, root) for s in articles[same].sources) == [
        "structure/same-url-a.md", "structure/same-url-b.md"]
    assert not any("/escape/" in p or "/loop/" in p or p.startswith("/etc") for p in states)
    assert catalogue.check() == []
    assert not os.path.exists("/tmp/newsidx-pwned")


@pytest.mark.slow
def test_library_ingest_of_every_input(cases: Path, tmp_path: Path) -> None:
    done = _run(["-c", _LIBRARY_RUN, str(cases), str(tmp_path / "cat")])
    assert done.returncode == 0, done.stderr.decode(errors="replace")[-2000:]
    _assert_cases(cases, json.loads(done.stdout), Catalogue(tmp_path / "cat"))


@pytest.mark.slow
def test_cli_ingest_of_every_input(cases: Path, tmp_path: Path) -> None:
    cat = tmp_path / "cat"
    done = _run(["-m", "newsidx", "--catalogue", str(cat), "ingest", str(cases),
                 "--format", "json"])
    stderr = done.stderr.decode("utf-8", errors="replace")
    assert "Traceback" not in stderr, stderr[-2000:]
    assert done.returncode == 1  # some files failed, each named; the rest were ingested
    data = json.loads(done.stdout)
    _assert_cases(cases, data, Catalogue(cat))
    lines = stderr.splitlines()
    for entry in data["failed_files"]:
        assert f"newsidx: failed: {escape_name(entry['path'])}: " in stderr
    for entry in data["skipped_files"]:
        assert f"newsidx: skipped: {escape_name(entry['path'])}: " in stderr
    assert all(line.startswith("newsidx: ") for line in lines)
    assert all(line.isprintable() for line in lines)
    check = _run(["-m", "newsidx", "--catalogue", str(cat), "check"])
    assert check.returncode == 0, check.stdout
