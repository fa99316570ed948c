"""Shared fixtures: a hermetic catalogue home, the seeds and the shared corpora."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# No test may pass or fail on the machine's speed: no per-example deadline and no
# "generation is slow" check (the machine is shared; tests run on every core at once).
settings.register_profile("newsidx", deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("newsidx")

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
SHARED = ROOT.parent / "shared"


def pytest_configure(config: pytest.Config) -> None:
    """Write newsidx's bytecode once, in the controlling process: with
    PYTHONDONTWRITEBYTECODE set (as on the project's machines) every `python -m newsidx`
    a test starts would otherwise compile the whole package again."""
    if not hasattr(config, "workerinput"):
        import compileall

        compileall.compile_dir(ROOT / "src" / "newsidx", quiet=1)


@pytest.fixture(autouse=True)
def _hermetic_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No test reads or writes the user's real catalogue."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))
    monkeypatch.delenv("NEWSIDX_CATALOGUE", raising=False)
    monkeypatch.setenv("TERM", "dumb")
    monkeypatch.setenv("NO_COLOR", "1")


@pytest.fixture
def seeds() -> Path:
    return SEEDS


@pytest.fixture
def shared() -> Path:
    """The shared material folder; tests using it skip cleanly when it is absent."""
    if not SHARED.is_dir():
        pytest.skip("../shared/ is not present")
    return SHARED


@pytest.fixture
def catalogue_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh catalogue directory, also exported as NEWSIDX_CATALOGUE."""
    path = tmp_path / "catalogue"
    monkeypatch.setenv("NEWSIDX_CATALOGUE", str(path))
    return path
