"""Every example in README.md's "Everyday use" and in each command's ``--help`` works as
written on a copy of ``seeds/`` (issue 14, item 2): each runs in a shell, in order,
against one fresh catalogue, and must exit 0."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from newsidx.cli import cli

ROOT = Path(__file__).resolve().parent.parent


def readme_examples() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = text.split("## Everyday use", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    return [line.split("  #", 1)[0].strip() for line in block.splitlines()
            if line.startswith("newsidx ")]


def help_examples() -> list[str]:
    found = []
    for name in sorted(cli.commands):
        out = CliRunner().invoke(cli, [name, "--help"]).stdout
        found += re.findall(r"^\s+((?:\w+=\S+ )?newsidx .+)$", out.split("Example", 1)[1]
                            if "Example" in out else "", re.MULTILINE)
    return found


def test_every_command_shows_examples() -> None:
    examples = help_examples()
    for name in cli.commands:
        assert sum(1 for e in examples if re.search(rf"\bnewsidx {name}\b", e)) >= 1, name


@pytest.mark.slow
def test_every_example_works_on_the_seeds(tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    shutil.copytree(ROOT / "seeds", work / "seeds")
    env = {**os.environ, "NEWSIDX_CATALOGUE": str(tmp_path / "catalogue"), "BROWSER": "echo",
           "PATH": os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"]}
    if not shutil.which("newsidx", path=env["PATH"]):
        pytest.skip("the newsidx script is not installed beside this interpreter")
    examples = readme_examples()
    assert len(examples) >= 15
    for example in [*examples, *help_examples()]:
        done = subprocess.run(["bash", "-o", "pipefail", "-c", example], cwd=work, env=env,
                              capture_output=True, text=True, timeout=120, check=False)
        assert done.returncode == 0, (example, done.stderr)
        assert (done.stdout + done.stderr).strip() or "-o " in example, example
