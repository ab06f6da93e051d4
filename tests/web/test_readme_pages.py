"""README's section on the web pages names real pages and shows screenshots that exist."""

from __future__ import annotations

import re
from pathlib import Path

from starlette.routing import Route
from support import NOW

from minica.clock import FixedClock
from minica.server.pages import page_routes
from minica.server.pages.site import Site
from minica.storage.home import Home

ROOT = Path(__file__).resolve().parents[2]


def test_readme_names_real_pages_and_committed_screenshots(tmp_path: Path) -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index("### The web pages"):text.index("## Development")]
    images = re.findall(r"\]\((docs/[\w.-]+\.png)\)", section)
    assert len(images) >= 10 and all((ROOT / image).is_file() for image in images), images
    assert {p.name for p in (ROOT / "docs").glob("web-*.png")} == {Path(i).name for i in images}


    site = Site(Home(tmp_path / "home"), FixedClock(NOW), "t" * 16, None, None)  # type: ignore[arg-type]
    paths = {route.path for route in page_routes(site) if isinstance(route, Route)}
    named = set(re.findall(r"`(/(?:dian|plataforma|proveedor|operador)[\w/-]*)`", section))
    assert named and named <= paths, named - paths
