"""A home named relatively, or moved, keeps working; odd input gives one clear line and exit 2."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from support import NOW, PASSWORD, Cli

from minica.errors import InvalidInput, one_line

ROOT = Path(__file__).resolve().parents[2]
HAB = ROOT / "testdata" / "invoice-habilitacion.xml"


def minica_in(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The real console script, run from ``cwd`` (relative paths mean something there)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MINICA_")}
    return subprocess.run([sys.executable, "-m", "minica", "--at", NOW.isoformat(), *args], cwd=cwd,
                          capture_output=True, text=True, env=env, timeout=120, check=False)  # fmt: skip


def test_relative_home_works_from_anywhere_and_moves(tmp_path: Path) -> None:
    here, elsewhere = tmp_path / "here", tmp_path / "elsewhere"
    here.mkdir()
    elsewhere.mkdir()
    (tmp_path / "pw.txt").write_text(PASSWORD)
    assert minica_in(here, "--home", "hr", "init").returncode == 0
    issued = minica_in(here, "--home", "hr", "--json", "issue", "--nit", "900373987-9", "--name", "EMPRESA S.A.S.",
                       "--password-file", "../pw.txt")  # fmt: skip
    assert issued.returncode == 0, issued.stderr
    # The same home, named from another folder: its keystores are found.
    signed = minica_in(elsewhere, "--home", "../here/hr", "sign", str(HAB), "-o", "signed.xml",
                       "--password-file", "../pw.txt")  # fmt: skip
    assert signed.returncode == 0, signed.stderr
    assert minica_in(elsewhere, "--home", "../here/hr", "verify", "signed.xml").returncode == 0
    # Moved (renamed) as a whole, it still signs, checks and lists paths inside its new place.
    moved = tmp_path / "moved-home"
    shutil.move(str(here / "hr"), moved)
    again = minica_in(elsewhere, "--home", str(moved), "sign", str(HAB), "-o", "again.xml", "--password-file",
                      "../pw.txt")  # fmt: skip
    assert again.returncode == 0, again.stderr
    checked = minica_in(elsewhere, "--home", str(moved), "check", "--warn-days", "0")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    listed = json.loads(minica_in(elsewhere, "--home", str(moved), "--json", "certs", "list").stdout)
    for path in listed[0]["stores"].values():
        assert Path(path).is_relative_to(moved) and Path(path).exists()


@pytest.mark.parametrize("moment", ["0001-01-01", "9999-12-31", "1969-12-31T23:59:59Z", "3000-01-01"])
def test_times_out_of_range_are_one_clear_line(run: Cli, moment: str) -> None:
    result = run("init", at=moment)
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and "outside the times minica works with" in result.stderr
    assert "unexpected" not in result.stderr


def test_time_range_edges_are_accepted(run: Cli) -> None:
    assert run("init", at="1970-01-01T00:00:00Z").exit_code == 0
    assert run("certs", "list", at="2999-12-31T23:59:59Z").exit_code == 0


def test_input_with_line_breaks_stays_one_line(run: Cli, password_file: Path, authority: object) -> None:
    result = run("issue", "--nit", "900373987-9", "--name", "EMPRESA S.A.S.", "--email", "a@b.co\nerror: forged",
                 "--password-file", str(password_file))  # fmt: skip
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("error: ")


def test_malformed_xml_error_is_one_line(run: Cli, tmp_path: Path) -> None:
    bad = tmp_path / "bad.xml"
    bad.write_bytes(b"<Invoice>\n<a>\n</Invoice>\x00")
    result = run("verify", str(bad))
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and "does not parse" in result.stderr


def test_one_line_escapes_what_could_fool_a_terminal() -> None:
    assert one_line("a\r\nb\tc") == "a  b c"
    assert one_line("x\x1b[31mred\u202eevil") == "x\\x1b[31mred\\u202eevil"
    assert str(InvalidInput("line\none", "hint\nhere")) == "line one — hint here"


@pytest.mark.parametrize(
    ("args", "says", "help_of"),
    [
        (["sign", "--bogus", "x.xml"], "No such option '--bogus'", "minica sign"),
        (["--bogus"], "No such option '--bogus'", "minica"),
        (["sign"], "Missing argument 'INPUTS...'", "minica sign"),
        (["sign", "--jobs", "many", "x.xml"], "Invalid value for '--jobs'", "minica sign"),
        (["request", "show"], "Missing argument 'RADICADO'", "minica request show"),
        (["nosuch"], "No such command 'nosuch'", "minica"),
    ],
)
def test_usage_mistakes_are_one_line_naming_the_help(tmp_path: Path, args: list[str], says: str,
                                                     help_of: str) -> None:  # fmt: skip
    """The real process (click's usage block is replaced before it is printed): one line, exit 2."""
    result = minica_in(tmp_path, "--home", "h", *args)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("error: ")
    assert says in result.stderr and f"see '{help_of} --help'" in result.stderr
    assert not (tmp_path / "h").exists()  # a refused command line creates no home


def test_a_bare_group_shows_its_help(tmp_path: Path) -> None:
    result = minica_in(tmp_path, "dian")
    assert result.returncode == 2 and "Commands:" in result.stderr and "habilitacion" in result.stderr
