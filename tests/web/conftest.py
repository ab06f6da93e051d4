"""Fixtures of the web-page tests: a CA home, its server at the fixed clock, a headless Chromium."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # for ``web_support``
from web_support import Browser, Served, chromium, free_port, serve

from minica.ca.hierarchy import Authority, create_authority
from minica.clock import FixedClock
from minica.storage.home import Home


@pytest.fixture
def port() -> int:
    return free_port()


@pytest.fixture
def authority(home: Home, clock: FixedClock, port: int) -> Authority:
    """The home's CA, published where its server will listen (the welcome e-mail links there)."""
    return create_authority(home, now=clock.now(), key_size=2048, base_url=f"http://127.0.0.1:{port}")


@pytest.fixture
def site(authority: Authority, home: Home, clock: FixedClock, port: int) -> Iterator[Served]:
    with serve(home, clock, port=port) as served:
        yield served


@pytest.fixture
def browser(site: Served, tmp_path: Path) -> Iterator[Browser]:
    driver = chromium(tmp_path / "chromium-profile")
    try:
        yield Browser(driver, site.url)
    finally:
        driver.quit()
