"""Each PKCS#12 profile opens where the design promises, and a wrong password fails everywhere."""

from __future__ import annotations

import json
import stat
import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import pkcs12
from support import PASSWORD, Cli

from minica.ca.hierarchy import Authority
from minica.storage.home import Home


def _issue(run: Cli, password_file: Path, *extra: str) -> dict:  # type: ignore[type-arg]
    result = run("issue", "--nit", "900373987-9", "--name", "MINICA PRUEBAS S.A.S.",
                 "--password-file", str(password_file), "--json", *extra)
    assert result.exit_code == 0, result.output + result.stderr
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def _openssl(path: str, password: str, *flags: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["openssl", "pkcs12", "-in", path, "-info", "-noout", "-passin", f"pass:{password}", *flags],
                          capture_output=True, text=True)


def _keytool(path: str, password: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["keytool", "-list", "-v", "-storetype", "PKCS12", "-keystore", path,
                           "-storepass", password], capture_output=True, text=True)


@pytest.mark.parametrize(("profile", "bag_algorithm"), [
    ("compat", "pbeWithSHA1And3-KeyTripleDES-CBC"),
    ("modern", "PBES2, PBKDF2, AES-256-CBC"),
])
def test_compat_and_modern_open_in_openssl3_keytool_and_cryptography(
    authority: Authority, run: Cli, password_file: Path, profile: str, bag_algorithm: str
) -> None:
    issued = _issue(run, password_file, "--p12-profile", profile)
    for path in issued["stores"].values():
        assert stat.S_IMODE(Path(path).stat().st_mode) == 0o600
        info = _openssl(path, PASSWORD)  # no -legacy flag
        assert info.returncode == 0, info.stderr
        assert bag_algorithm in info.stderr + info.stdout
        listing = _keytool(path, PASSWORD)
        assert listing.returncode == 0, listing.stdout + listing.stderr
        assert "PrivateKeyEntry" in listing.stdout
        assert "Certificate chain length: 3" in listing.stdout
        loaded = pkcs12.load_pkcs12(Path(path).read_bytes(), PASSWORD.encode())
        assert loaded.cert is not None and loaded.key is not None
        assert format(loaded.cert.certificate.serial_number, "X") == issued["serial"]
        assert loaded.cert.friendly_name and b"900373987-9" in loaded.cert.friendly_name
        assert [c.certificate for c in loaded.additional_certs] == [authority.issuing, authority.root]
        # wrong password fails in each consumer
        assert _openssl(path, "Wrong#Pass1").returncode != 0
        assert _keytool(path, "Wrong#Pass1").returncode != 0
        with pytest.raises(ValueError):
            pkcs12.load_pkcs12(Path(path).read_bytes(), b"Wrong#Pass1")


def test_legacy_needs_openssl_legacy_provider_but_opens_in_keytool(
    authority: Authority, run: Cli, password_file: Path
) -> None:
    issued = _issue(run, password_file, "--p12-profile", "legacy", "--env", "habilitacion")
    path = issued["stores"]["habilitacion"]
    assert _openssl(path, PASSWORD).returncode != 0
    legacy = _openssl(path, PASSWORD, "-legacy")
    assert legacy.returncode == 0 and "pbeWithSHA1And40BitRC2-CBC" in legacy.stderr + legacy.stdout
    assert _keytool(path, PASSWORD).returncode == 0
    assert pkcs12.load_pkcs12(Path(path).read_bytes(), PASSWORD.encode()).key is not None


def test_same_certificate_in_both_environments_by_default(
    authority: Authority, run: Cli, password_file: Path, home: Home
) -> None:
    issued = _issue(run, password_file)
    assert sorted(issued["stores"]) == ["habilitacion", "produccion"]
    for env, path in issued["stores"].items():
        assert Path(path).parent == home.stores_root / env
        assert Path(path).name == f"900373987-9_{issued['serial']}.p12"
    one = _issue(run, password_file, "--env", "producción")
    assert list(one["stores"]) == ["produccion"]


def test_password_from_environment_variable(authority: Authority, run: Cli) -> None:
    result = run("issue", "--nit", "900373987", "--name", "EMPRESA", "--json",
                 env={"MINICA_STORE_PASSWORD": "Otra#Clave99"})
    assert result.exit_code == 0, result.stderr
    path = json.loads(result.stdout)["stores"]["habilitacion"]
    assert pkcs12.load_pkcs12(Path(path).read_bytes(), b"Otra#Clave99").key is not None


def test_password_prompt_asks_for_confirmation(authority: Authority, run: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("minica.cli.context.interactive", lambda: True)
    result = run("issue", "--nit", "900373987", "--name", "EMPRESA", input="Otra#Clave99\nOtra#Clave99\n")
    assert result.exit_code == 0, result.stderr
    assert "Issued certificate" in result.stdout
