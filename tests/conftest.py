"""Shared fixtures: a fixed clock, a fresh home, a CA in it, and a CLI runner.

Everything runs against a temporary home and a fixed clock; nothing reads the wall clock or the
user's real home.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from support import NOW, PASSWORD, Cli

from minica.ca.hierarchy import Authority, create_authority
from minica.clock import FixedClock
from minica.storage.home import Home


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test sees the developer's own minica home or secrets."""
    for name in ("MINICA_HOME", "MINICA_NOW", "MINICA_STORE_PASSWORD", "MINICA_CA_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
def home(tmp_path: Path) -> Home:
    return Home(tmp_path / "home")


@pytest.fixture
def authority(home: Home, clock: FixedClock) -> Authority:
    return create_authority(home, now=clock.now(), key_size=2048)


@pytest.fixture
def password_file(tmp_path: Path) -> Path:
    path = tmp_path / "store-password.txt"
    path.write_text(PASSWORD + "\n")
    return path


@pytest.fixture
def run(home: Home) -> Cli:
    return Cli(home)
