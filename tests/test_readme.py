"""The README documents every command the CLI has."""

from __future__ import annotations

import re
from pathlib import Path

from newsidx.cli import cli

README = Path(__file__).resolve().parent.parent / "README.md"


def test_readme_names_every_command() -> None:
    text = README.read_text(encoding="utf-8")
    missing = [name for name in cli.commands
               if not re.search(rf"\bnewsidx {re.escape(name)}\b", text)]
    assert missing == [], f"README.md never shows `newsidx <command>` for: {missing}"
