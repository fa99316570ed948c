"""Article text never reaches a terminal raw, in any format; piped JSON and CSV stay exact.

A crafted article carries an OSC title change, a screen clear, colour, a hyperlink, a C1
CSI, a carriage return and bidi overrides. Each command runs as a real subprocess, on a
pseudo-terminal (output post-processing off, so every CR seen is the program's) and
into a pipe.
"""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from ptyrun import run_on_pty

from newsidx.render import dumps
from newsidx.safetext import is_safe, json_escape

NEWSIDX = [sys.executable, "-m", "newsidx"]
EVIL = ("\x1b]0;pwned\x07 \x1b[2J\x1b[31mred\x1b[0m \x1b]8;;http://x.example\x1b\\link"
        "\x1b]8;;\x1b\\ \x9b31m \r cr \u202eRTL\u2066iso\u2069 \x7f end")
# The same text as YAML double-quoted escapes, so the file itself is plain ASCII.
EVIL_YAML = (r"\e]0;pwned\a \e[2J\e[31mred\e[0m \e]8;;http://x.example\e\\link\e]8;;\e\\"
             r" \x9b31m \r cr \u202eRTL\u2066iso\u2069 \x7f end")
# What a terminal must never receive: C0 controls but newline, DEL, C1, bidi controls.
RAW = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("terminal")
    news = root / "news"
    news.mkdir()
    (news / "evil.md").write_text(
        f'---\ntitle: "Harbour {EVIL_YAML}"\nexcerpt: "harbour {EVIL_YAML}"\n'
        f'provider: "Evil {EVIL_YAML}"\n---\n\nHarbour body with an escape.\n',
        encoding="ascii")
    (news / "calm.md").write_text("# Calm harbour\n\nNothing odd here, harbour.\n")
    cat = root / "cat"
    done = subprocess.run([*NEWSIDX, "--catalogue", str(cat), "ingest", str(news)],
                          capture_output=True, text=True, check=False, timeout=120)
    assert done.returncode == 0, done.stderr
    return cat


def on_terminal(cat: Path, *args: str) -> str:
    """stdout of ``newsidx args`` written to a pseudo-terminal, as the terminal got it."""
    code, out, err = run_on_pty([*NEWSIDX, "--catalogue", str(cat), *args], raw=True)
    assert code == 0, err
    return out



def piped(cat: Path, *args: str) -> str:
    done = subprocess.run([*NEWSIDX, "--catalogue", str(cat), *args], capture_output=True,
                          check=False, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout.decode("utf-8")


FORMATS = [
    ("list", "--format", "csv"), ("list", "--format", "json"), ("list", "--format", "jsonl"),
    ("search", "harbour", "--format", "csv"), ("search", "harbour", "--format", "json"),
    ("search", "harbour", "--format", "jsonl"),
    ("export", "--format", "csv"), ("export", "--format", "json"),
    ("export", "--format", "jsonl"),
    ("providers", "--format", "csv"), ("providers", "--format", "json"),
]


@pytest.mark.parametrize("args", FORMATS, ids=" ".join)
def test_no_format_writes_controls_to_a_terminal(archive: Path, args: tuple[str, ...]) -> None:
    out = on_terminal(archive, *args)
    assert "pwned" in out  # the text is there, shown
    assert RAW.search(out) is None, repr(RAW.findall(out))
    if "csv" in args:
        assert "\\x1b]0;pwned\\x07" in out and "\\u202e" in out  # escaped visibly
    else:
        assert "\\u001b]0;pwned\\u0007" in out and "\\u202e" in out


@pytest.mark.parametrize("args", [("list",), ("search", "harbour"), ("show", "harbour")])
def test_tables_and_records_on_a_terminal_carry_no_payload(archive: Path,
                                                           args: tuple[str, ...]) -> None:
    if args[0] == "show":
        found = piped(archive, "search", "pwned", "--format", "ids").split()
        args = ("show", found[0])
    out = on_terminal(archive, *args)
    assert "pwned" in out
    for payload in ("\x1b]", "\x07", "\r", "\x9b", "\u202e", "\u2066", "\x1b[2J"):
        assert payload not in out


def _evil_record(records: list[dict[str, object]]) -> dict[str, object]:
    (record,) = [r for r in records if "pwned" in str(r["title"])]
    return record


@pytest.mark.parametrize("command", [("list",), ("search", "harbour"), ("export",)])
def test_piped_json_escapes_and_round_trips(archive: Path, command: tuple[str, ...]) -> None:
    out = piped(archive, *command, "--format", "json")
    assert RAW.search(out) is None
    data = json.loads(out)
    record = _evil_record(data.get("results") or data.get("records"))
    # Titles are folded to one line of text when parsed (controls go); excerpts keep
    # every character, so the excerpt shows the escape surviving the round trip.
    assert EVIL in str(record["excerpt"]) and "pwned" in str(record["title"])
    lines = piped(archive, *command, "--format", "jsonl").splitlines()
    assert all(RAW.search(line) is None for line in lines)
    from_lines = _evil_record([json.loads(line) for line in lines])
    assert (from_lines["title"], from_lines["excerpt"]) == (record["title"], record["excerpt"])


def _unquoted_unsafe(text: str) -> list[str]:
    """Unsafe characters of a CSV document that stand outside a quoted field."""
    found, quoted = [], False
    for ch in text:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch != "\n" and not is_safe(ch):
            found.append(ch)
    return found


@pytest.mark.parametrize("command", [("list",), ("search", "harbour"), ("export",),
                                     ("providers",)])
def test_piped_csv_keeps_controls_only_inside_quotes(archive: Path,
                                                     command: tuple[str, ...]) -> None:
    out = piped(archive, *command, "--format", "csv")
    assert RAW.search(out) is not None  # the text is kept exact...
    assert _unquoted_unsafe(out) == []  # ...but only ever inside quotes
    rows = list(csv.reader(io.StringIO(out, newline="")))
    assert any(EVIL in cell for row in rows for cell in row)
    assert {len(row) for row in rows} == {len(rows[0])}


def test_json_escape_keeps_values_and_structure() -> None:
    value = {"a": EVIL, "astral": "\U000e0041 tag \ud800 lone", "ok": "Grüße 日本\u200d"}
    text = dumps(value, indent=2)
    assert RAW.search(text) is None
    assert "\U000e0041" not in text and "\\udb40\\udc41" in text
    assert "Grüße 日本\u200d" in text  # readable text and joiners stay as they are
    assert json.loads(text) == value
    assert json_escape('{"x": 1}\n') == '{"x": 1}\n'
