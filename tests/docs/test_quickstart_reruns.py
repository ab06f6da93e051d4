"""Issue 11 §2: re-running ``minica quickstart`` never loses a password; the README's Python
example works after any number of runs, whatever else was issued in the home between them."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from support import PASSWORD, Cli

from minica.storage.home import Home

README = Path(__file__).resolve().parents[2] / "README.md"


def _minica(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "minica", *args], capture_output=True, text=True, env=env,
                          timeout=120)  # fmt: skip


def test_readme_example_works_after_many_quickstarts_and_other_certificates(tmp_path: Path) -> None:
    home = Home(tmp_path / "home")
    env = {"MINICA_HOME": str(home.root), "PATH": "/usr/bin:/bin"}
    own = tmp_path / "own-password.txt"
    own.write_text("Otra#Clave2026\n")
    pw = tmp_path / "pw.txt"
    pw.write_text(PASSWORD + "\n")
    assert _minica(env, "quickstart").returncode == 0
    saved = (home.root / "quickstart-password.txt").read_bytes()
    # The README's own next step, a certificate for the same NIT with another password, then more runs.
    issued = _minica(env, "issue", "--nit", "900373987-9", "--name", "MI EMPRESA S.A.S.", "--password-file", str(pw))
    assert issued.returncode == 0, issued.stderr
    for extra in ([], ["--password-file", str(own)], []):
        again = _minica(env, "quickstart", *extra)
        assert again.returncode == 0, again.stderr
    assert (home.root / "quickstart-password.txt").read_bytes() == saved
    example = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)[0]
    out = subprocess.run([sys.executable, "-c", example], capture_output=True, text=True, env=env, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "True []"
    # Every keystore made with the saved password still opens with it.
    stores = sorted((home.root / "stores").rglob("*.p12"))
    opened = [p for p in stores if subprocess.run(
        ["openssl", "pkcs12", "-in", str(p), "-nokeys", "-passin", f"pass:{saved.decode()}"],
        capture_output=True).returncode == 0]  # fmt: skip
    assert len(stores) == 10 and len(opened) == 6


def test_a_damaged_password_file_is_refused_not_replaced(home: Home, run: Cli) -> None:
    assert run("quickstart").exit_code == 0
    saved = home.root / "quickstart-password.txt"
    saved.write_text("short\n")
    again = run("quickstart")
    assert again.exit_code == 1
    assert "quickstart-password.txt does not hold a usable keystore password" in again.stderr
    assert saved.read_text() == "short\n"
