"""README's commands and Python example work as written."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from minica.storage.home import Home

README = Path(__file__).resolve().parents[2] / "README.md"


def _python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)


def test_readme_has_exactly_the_two_commands_and_ci_runs_the_test_one() -> None:
    text = README.read_text(encoding="utf-8")
    assert "python3 -m pip install . && minica quickstart" in text
    ci = (README.parent / ".ci" / "run").read_text()
    last = [line for line in ci.splitlines() if line.strip() and not line.startswith(("#", "set ", "cd "))][-1]
    assert last in text


def test_python_api_example_runs(tmp_path: Path) -> None:
    """The example reads the wall clock, as a user's program does: the quickstart before it runs in
    the same environment, so both see the same clock whatever the date."""
    home = Home(tmp_path / "home")
    env = {"MINICA_HOME": str(home.root), "PATH": "/usr/bin:/bin"}
    quickstart = subprocess.run([sys.executable, "-m", "minica", "quickstart"], capture_output=True, text=True,
                                env=env, timeout=120)  # fmt: skip
    assert quickstart.returncode == 0, quickstart.stderr
    example = _python_blocks()[0]
    out = subprocess.run([sys.executable, "-c", example], capture_output=True, text=True, env=env, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "True []"


def test_mock_ca_example_runs_and_writes_nothing(tmp_path: Path) -> None:
    example = _python_blocks()[1]
    assert "MockCA" in example
    out = subprocess.run([sys.executable, "-c", example], capture_output=True, text=True, cwd=tmp_path,
                         env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "True"
    assert list(tmp_path.iterdir()) == []


def test_every_api_path_the_readme_names_exists() -> None:
    from minica.server.openapi import openapi_document

    text = README.read_text(encoding="utf-8")
    named = set(re.findall(r"\$API(/[\w/{}$.-]+)", text)) | set(re.findall(r"`(/(?:requests|vendor)[\w/$-]*)", text))
    templates = [re.compile(re.sub(r"\\\{\w+\\\}", "[^/]+", re.escape(path)))
                 for path in openapi_document("http://x")["paths"]]
    paths = {"/api/v1" + p.replace("$R", "cdc3cc2c-deaa-4070-bada-5588f305dda4").rstrip("/") for p in named}
    assert len(paths) >= 10
    assert [p for p in paths if not any(t.fullmatch(p) for t in templates)] == []
