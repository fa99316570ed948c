"""From a result to the article (issue 14, item 2): ``show`` with several refs or ids on
stdin, text before metadata, ``--query`` highlighting and ``$PAGER`` on a terminal;
``open`` through ``$BROWSER``. Real subprocesses; a pseudo-terminal for the pager."""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

import pytest
from test_workflows import on_terminal, run


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("records")
    news = root / "news"
    news.mkdir()
    (news / "a.md").write_text("---\ntitle: Harbour war story\ndate: 2024-03-01\n"
                               "url: https://port.example/a\nship: Aurora\n---\n\n"
                               "He warns that the war at the harbour goes on.\n")
    (news / "b.md").write_text("---\ntitle: Quiet harbour\ndate: 2024-03-02\n---\n\n"
                               "Nothing happens at the harbour.\n")
    cat = root / "cat"
    assert run(cat, "ingest", str(news)).returncode == 0
    return cat


def ids(cat: Path, *query: str) -> list[str]:
    return run(cat, "search", *query, "--format", "ids").stdout.split()


def test_show_takes_several_refs_and_stdin(archive: Path) -> None:
    both = ids(archive, "harbour")
    assert len(both) == 2
    shown = run(archive, "show", *both)
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.count("title: ") == 2
    piped = run(archive, "show", "-", stdin="\n".join(both) + "\n")
    assert piped.stdout == shown.stdout
    missing = run(archive, "show", both[0], "ffffffff")
    assert missing.returncode == 1 and missing.stdout.count("title: ") == 1
    assert len(missing.stderr.splitlines()) == 1 and "ffffffff" in missing.stderr
    several = run(archive, "show", *both, "--format", "json")
    import json

    assert [r["id"] for r in json.loads(several.stdout)["records"]] == both


def test_show_puts_the_text_before_the_metadata(archive: Path) -> None:
    out = run(archive, "show", ids(archive, "war")[0]).stdout
    order = [out.index(s) for s in ("title: ", "published: ", "url: ", "He warns", "id: ",
                                    "extra.ship: Aurora", "source: ")]
    assert order == sorted(order)


def _pager(tmp_path: Path) -> tuple[str, Path]:
    """A $PAGER that copies what it is given to a file."""
    script = tmp_path / "pager.py"
    seen = tmp_path / "paged.txt"
    script.write_text(f"import sys\nopen({str(seen)!r}, 'w').write(sys.stdin.read())\n")
    return f"{shutil.which('python3') or sys.executable} {script}", seen


def test_show_pages_on_a_terminal_only(archive: Path, tmp_path: Path) -> None:
    pager, seen = _pager(tmp_path)
    ref = ids(archive, "war")[0]
    code, out, err = on_terminal(archive, "show", ref, env={"PAGER": pager})
    assert code == 0, err
    assert "Harbour war story" in seen.read_text() and "Harbour war story" not in out
    seen.unlink()
    code, out, _ = on_terminal(archive, "show", ref, "--no-pager", env={"PAGER": pager})
    assert "Harbour war story" in out and not seen.exists()
    piped = run(archive, "show", ref)  # PAGER comes from the environment of the test
    assert "Harbour war story" in piped.stdout and not seen.exists()


def test_show_query_marks_whole_words_on_a_terminal(archive: Path) -> None:
    env = {"PAGER": "cat", "TERM": "xterm-256color", "NO_COLOR": ""}
    code, out, _ = on_terminal(archive, "show", ids(archive, "war")[0], "--query", "war",
                               env=env)
    assert code == 0
    marked = re.findall(r"\x1b\[[0-9;]*m(\w+)\x1b\[0m", out)
    assert "war" in marked and "warns" not in marked and "wa" not in marked
    assert "\x1b[" not in run(archive, "show", ids(archive, "war")[0], "--query", "war").stdout


def test_open_hands_the_url_to_the_browser(archive: Path, tmp_path: Path) -> None:
    got = tmp_path / "url.txt"
    browser = tmp_path / "browser"
    browser.write_text(f"#!{sys.executable}\nimport sys\nopen({str(got)!r}, 'w')"
                       ".write(sys.argv[1])\n")
    browser.chmod(0o755)
    import os
    import subprocess

    from test_workflows import NEWSIDX

    env = {**os.environ, "BROWSER": str(browser)}
    done = subprocess.run([*NEWSIDX, "--catalogue", str(archive), "open",
                           ids(archive, "war")[0][:6]], env=env, capture_output=True,
                          text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert got.read_text() == "https://port.example/a"
    no_url = subprocess.run([*NEWSIDX, "--catalogue", str(archive), "open",
                             ids(archive, "quiet")[0]], env=env, capture_output=True,
                            text=True, timeout=60, check=False)
    assert no_url.returncode == 1 and "no URL" in no_url.stderr
