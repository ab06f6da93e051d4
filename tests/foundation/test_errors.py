"""Bad input: one line saying what is wrong and what to do, the right exit status, nothing written."""

from __future__ import annotations

import contextlib
import os
import sqlite3
from pathlib import Path

import pytest
from support import PASSWORD, Cli, files_under, minica_process

from minica.ca.hierarchy import Authority
from minica.storage.home import Home


def _rows(home: Home) -> dict[str, int]:
    with contextlib.closing(sqlite3.connect(home.db_path)) as conn:
        return {t: conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
                for t in ("certificates", "certificate_stores", "audit_log")}


def _assert_one_line(stderr: str, *fragments: str) -> None:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert lines[0].startswith("error: ") and " — " in lines[0]
    assert "Traceback" not in stderr
    for fragment in fragments:
        assert fragment in lines[0]


@pytest.mark.parametrize(("args", "code", "fragments"), [
    (["--nit", "900373987-1"], 2, ["wrong check digit", "900373987-9"]),
    (["--nit", "ABC"], 2, ["not a NIT"]),
    (["--nit", "900373987", "--email", "not-an-email"], 2, ["e-mail"]),
    (["--nit", "900373987", "--days", "0"], 2, ["--days"]),
    (["--nit", "900373987", "--not-before", "2027-01-01", "--not-after", "2026-01-01"], 2, ["not after"]),
    (["--nit", "900373987", "--not-before", "yesterday"], 2, ["ISO-8601"]),
    (["--nit", "900373987", "--env", "staging"], 2, ["unknown environment"]),
])
def test_bad_issue_input_writes_nothing(
    authority: Authority, run: Cli, home: Home, password_file: Path, args: list[str], code: int, fragments: list[str]
) -> None:
    before_files, before_rows = files_under(home.stores_root), _rows(home)
    result = run("issue", "--name", "EMPRESA", "--password-file", str(password_file), *args)
    assert result.exit_code == code
    _assert_one_line(result.stderr, *fragments)
    assert files_under(home.stores_root) == before_files
    assert _rows(home) == before_rows


def test_weak_password_names_every_rule_and_writes_nothing(
    authority: Authority, run: Cli, home: Home, tmp_path: Path
) -> None:
    weak = tmp_path / "weak.txt"
    weak.write_text("corta")
    before = _rows(home)
    result = run("issue", "--nit", "900373987", "--name", "EMPRESA", "--password-file", str(weak))
    assert result.exit_code == 2
    _assert_one_line(result.stderr, "at least 8", "upper-case", "digit", "special")
    assert files_under(home.stores_root) == set()
    assert _rows(home) == before


def test_no_password_without_terminal_is_a_clear_error(authority: Authority, run: Cli, home: Home) -> None:
    result = run("issue", "--nit", "900373987", "--name", "EMPRESA")
    assert result.exit_code == 2
    _assert_one_line(result.stderr, "--password-file", "MINICA_STORE_PASSWORD")


def test_missing_ca_is_refused_before_anything(run: Cli, home: Home, password_file: Path) -> None:
    result = run("issue", "--nit", "900373987", "--name", "EMPRESA", "--password-file", str(password_file))
    assert result.exit_code == 1
    _assert_one_line(result.stderr, "no CA", "minica init")
    assert files_under(home.root) == set()


def test_init_twice_is_refused(authority: Authority, run: Cli, home: Home) -> None:
    before = {p: p.read_bytes() for p in files_under(home.ca_dir)}
    result = run("init")
    assert result.exit_code == 1
    _assert_one_line(result.stderr, "already holds a CA")
    assert {p: p.read_bytes() for p in files_under(home.ca_dir)} == before


def test_encrypted_ca_without_password_refuses_to_issue(tmp_path: Path, password_file: Path) -> None:
    home = Home(tmp_path / "enc")
    cli = Cli(home)
    assert cli("init", env={"MINICA_CA_PASSWORD": "Ca#Secret99"}).exit_code == 0
    result = cli("issue", "--nit", "900373987", "--name", "EMPRESA", "--password-file", str(password_file))
    assert result.exit_code == 1
    _assert_one_line(result.stderr, "CA key is encrypted")
    wrong = cli("issue", "--nit", "900373987", "--name", "EMPRESA", "--password-file", str(password_file),
                env={"MINICA_CA_PASSWORD": "nope"})
    assert wrong.exit_code == 2
    _assert_one_line(wrong.stderr, "CA password")
    assert files_under(home.stores_root) == set()
    ok = cli("issue", "--nit", "900373987", "--name", "EMPRESA", "--password-file", str(password_file),
             env={"MINICA_CA_PASSWORD": "Ca#Secret99"})
    assert ok.exit_code == 0, ok.stderr


def test_unknown_serial(authority: Authority, run: Cli) -> None:
    result = run("certs", "show", "ABCDEF")
    assert result.exit_code == 2
    _assert_one_line(result.stderr, "no certificate with serial ABCDEF")


def test_real_process_prints_no_traceback_unless_verbose(tmp_path: Path, password_file: Path) -> None:
    home = str(tmp_path / "h")
    assert minica_process("--home", home, "init").returncode == 0
    plain = minica_process("--home", home, "issue", "--nit", "900373987-1", "--name", "X",
                           "--password-file", str(password_file))
    assert plain.returncode == 2
    _assert_one_line(plain.stderr, "wrong check digit")
    verbose = minica_process("--home", home, "--verbose", "issue", "--nit", "900373987-1", "--name", "X",
                             "--password-file", str(password_file))
    assert verbose.returncode == 2 and "Traceback" in verbose.stderr
    assert not (tmp_path / "h" / "stores").exists()


def test_password_never_reaches_database_or_logs(
    authority: Authority, run: Cli, home: Home, password_file: Path
) -> None:
    assert run("issue", "--nit", "900373987", "--name", "EMPRESA", "--password-file", str(password_file)).exit_code == 0
    raw = b"".join(p.read_bytes() for p in home.root.glob("minica.db*"))
    assert PASSWORD.encode() not in raw
    assert b"PRIVATE KEY" not in raw


def test_arguments_that_are_not_utf8_get_a_clear_error(tmp_path: Path, password_file: Path) -> None:
    """A shell can pass bytes that are not UTF-8 (Python sees lone surrogates): still one line."""
    home = str(tmp_path / "h")
    assert minica_process("--home", home, "init").returncode == 0
    odd = os.fsdecode(b"\xff")
    for args in (["issue", "--nit", "900373987-9", "--name", "ACME" + odd, "--password-file", str(password_file)],
                 ["issue", "--nit", "9003" + odd, "--name", "ACME", "--password-file", str(password_file)],
                 ["certs", "show", odd], ["revoke", odd], ["request", "show", odd], ["request", "outbox", odd],
                 ["request", "finalize", odd], ["verify", str(tmp_path / odd)]):
        result = minica_process("--home", home, *args)
        assert result.returncode == 2, (args, result.stderr)
        _assert_one_line(result.stderr, "")
        assert "unexpected" not in result.stderr, (args, result.stderr)
    assert not (tmp_path / "h" / "stores").exists()
