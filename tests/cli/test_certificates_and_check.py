"""Issue 11 §2: ``check`` reads what people have (OpenSSL's PEM, keystores without a password in
cron), shows each certificate's one NIT with its DV, names subject attributes, counts days the
same way everywhere; ``check`` and ``certs list`` filter; ``certs export``; read-only commands on a
home without a CA create nothing."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs7
from cryptography.x509.oid import NameOID
from support import NOW, PASSWORD, Cli, files_under

from minica.ca import oids
from minica.ca.hierarchy import Authority
from minica.ca.profiles import nits_in_name
from minica.storage.home import Home


def _issue(run: Cli, password_file: Path, *extra: str, nit: str = "900373987-9",
           name: str = "MINICA PRUEBAS S.A.S.") -> dict:  # type: ignore[type-arg]
    result = run("issue", "--nit", nit, "--name", name, "--password-file", str(password_file), "--json", *extra)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def _check(run: Cli, *args: str, at: str | None = "default") -> tuple[int, dict]:  # type: ignore[type-arg]
    result = run("check", "--json", *args, at=at)
    assert result.stdout, result.stderr
    return result.exit_code, json.loads(result.stdout)


# --- reading what people have ---------------------------------------------------------------------

def test_check_reads_the_pem_openssl_pkcs12_writes_with_bag_attributes(
    authority: Authority, run: Cli, password_file: Path, tmp_path: Path
) -> None:
    issued = _issue(run, password_file)
    store = issued["stores"]["habilitacion"]
    leaf_only, everything = tmp_path / "cert.pem", tmp_path / "all.pem"
    for out, extra in ((leaf_only, ["-nokeys", "-clcerts"]), (everything, ["-nodes"])):
        subprocess.run(["openssl", "pkcs12", "-in", store, *extra, "-passin", f"pass:{PASSWORD}", "-out", str(out)],
                       check=True, capture_output=True)  # fmt: skip
    assert leaf_only.read_text().startswith("Bag Attributes")
    code, report = _check(run, str(leaf_only), str(everything))
    assert code == 0, report
    # The key and the CA certificates beside it are passed over: the report is about the leaf.
    assert [c["serial"] for c in report["certificates"]] == [issued["serial"]] * 2


def test_check_of_an_encrypted_p12_without_a_password_says_none_was_given(
    authority: Authority, run: Cli, password_file: Path
) -> None:
    issued = _issue(run, password_file)
    code, report = _check(run, issued["stores"]["produccion"])  # no file, no $MINICA_STORE_PASSWORD, no terminal
    assert code == 3
    detail = report["certificates"][0]["detail"]
    assert "no password was given" in detail and "--password-file" in detail
    assert "does not open" not in detail


# --- the NIT, subject names and day counts --------------------------------------------------------

def test_check_json_shows_one_nit_with_its_dv_from_each_profiles_placement(
    authority: Authority, run: Cli, password_file: Path
) -> None:
    serials = {
        _issue(run, password_file, "--profile", "gse")["serial"]: "900373987-9",  # serialNumber without DV
        _issue(run, password_file, "--profile", "andes", "--person", "natural", nit="52345678",
               name="ANA PEREZ")["serial"]: "52345678-3",
        _issue(run, password_file, "--profile", "certicamara")["serial"]: "900373987-9",  # not its internal number
    }
    _code, report = _check(run)
    shown = {c["serial"]: (c["nit"], c["nits"]) for c in report["certificates"]}
    assert shown == {serial: (nit, [nit]) for serial, nit in serials.items()}


def _foreign(*attributes: tuple[x509.ObjectIdentifier, str]) -> x509.Name:
    return x509.Name([x509.NameAttribute(oid, value) for oid, value in attributes])


def test_real_cas_placements_read_the_same_way() -> None:
    """Subjects shaped like the decoded real certificates of reference §3 (synthetic values)."""
    gse = _foreign((NameOID.ORGANIZATIONAL_UNIT_NAME, "ADMINISTRACION"), (NameOID.SERIAL_NUMBER, "902043550"),
                   (oids.X520_NAME, "NIT"), (oids.GSE_NIT, "902043550"), (NameOID.COMMON_NAME, "EMPRESA S.A.S."))
    gse_serial_only = _foreign((NameOID.SERIAL_NUMBER, "900364032"), (oids.X520_NAME, "NIT"))
    andes_natural = _foreign((NameOID.COMMON_NAME, "ANA PEREZ"), (NameOID.SERIAL_NUMBER, "523456783"),
                             (NameOID.TITLE, "Emisor Factura Electronica - Persona Natural"))
    certicamara = _foreign((NameOID.ORGANIZATIONAL_UNIT_NAME, "CERTIFACTURA"), (NameOID.SERIAL_NUMBER, "897201"),
                           (oids.CERTICAMARA_NIT, "9005295133"), (NameOID.COMMON_NAME, "EMPRESA S.A."))
    gse_legacy_issuer = _foreign((NameOID.SERIAL_NUMBER, "NIT 9002042728"))
    spanish = _foreign((NameOID.SERIAL_NUMBER, "IDCES-12345678Z"))
    assert nits_in_name(gse) == ["902043550-6"]
    assert nits_in_name(gse_serial_only) == ["900364032-2"]
    assert nits_in_name(andes_natural) == ["52345678-3"]
    assert nits_in_name(certicamara) == ["900529513-3"]
    assert nits_in_name(gse_legacy_issuer) == ["900204272-8"]
    assert nits_in_name(spanish) == []


def test_subjects_name_their_attributes(authority: Authority, run: Cli, password_file: Path) -> None:
    andes = _issue(run, password_file, "--profile", "andes", "--email", "firma@empresa.com.co")
    gse = _issue(run, password_file, "--profile", "gse")
    assert "title=PERSONA JURIDICA" in andes["subject"] and "emailAddress=firma@empresa.com.co" in andes["subject"]
    assert "description=FEPJ MINICA MOCK" in gse["subject"] and "serialNumber=900373987" in gse["subject"]
    shown = run("check").stdout + run("certs", "show", andes["serial"]).stdout
    assert "title=PERSONA JURIDICA" in shown and "emailAddress=" in shown
    assert "2.5.4.12=" not in shown and "1.2.840.113549.1.9.1=" not in shown and "2.5.4.5=" not in shown


def test_day_counts_are_calendar_days_the_same_in_check_and_certs(
    authority: Authority, run: Cli, password_file: Path
) -> None:
    issued = _issue(run, password_file)  # at NOW, one year
    _code, report = _check(run, at=(NOW + dt.timedelta(seconds=30)).isoformat())
    [entry] = report["certificates"]
    assert entry["days_left"] == 365 and entry["detail"] == "valid for 365 more days"
    assert "(365 days left)" in run("check").stdout
    assert "(365 days left)" in run("certs", "show", issued["serial"]).stdout
    later = "2029-10-22T18:00:00-05:00"  # notAfter 2027-11-22 plus 700 days
    _code, report = _check(run, at=later)
    assert report["certificates"][0]["days_left"] == -700
    assert report["certificates"][0]["detail"] == "expired 700 days ago"
    human = run("check", at=later).stdout + run("certs", "show", issued["serial"], at=later).stdout
    assert human.count("expired 700 days ago") == 3 and "-700" not in human
    last_day = run("check", "--json", at="2027-11-22T08:00:00-05:00")
    assert json.loads(last_day.stdout)["certificates"][0]["detail"] == "expires today (warning at 30)"


# --- filters, for cron ----------------------------------------------------------------------------

def test_filters_leave_out_scenarios_but_not_a_certificate_that_expired_in_use(
    authority: Authority, run: Cli, password_file: Path
) -> None:
    in_use = _issue(run, password_file)["serial"]
    other = _issue(run, password_file, "--env", "habilitacion", nit="800197268-4", name="OTRA S.A.S.")["serial"]
    expired = _issue(run, password_file, "--not-before", "2024-01-01", "--not-after", "2025-01-01",
                     name="VENCIDO S.A.S.")["serial"]
    cannot_sign = _issue(run, password_file, "--key-usage", "encipherment")["serial"]
    revoked = _issue(run, password_file)["serial"]
    assert run("revoke", revoked).exit_code == 0

    def serials(*args: str, at: str | None = "default") -> tuple[int, set[str]]:
        code, report = _check(run, *args, at=at)
        return code, {c["serial"] for c in report["certificates"]}

    assert serials()[0] == 2
    assert serials("--skip-scenarios") == (0, {in_use, other})
    assert serials("--nit", "800197268") == (0, {other})
    assert serials("--env", "produccion", "--skip-scenarios") == (0, {in_use})
    assert serials("--status", "revoked,expired") == (2, {revoked, expired})
    assert serials("--exclude-status", "revoked", "--exclude-status", "expired") == (0, {in_use, other, cannot_sign})
    # A year later the certificate issued for use has expired: the cron job must still see it.
    assert serials("--skip-scenarios", at="2028-01-01") == (2, {in_use, other})

    listed = run("certs", "list", "--json", "--skip-scenarios", "--nit", "900373987-9")
    assert [c["serial"] for c in json.loads(listed.stdout)] == [in_use]
    listed = run("certs", "list", "--json", "--status", "expired")
    assert [(c["serial"], c["status"]) for c in json.loads(listed.stdout)] == [(expired, "expired")]

    wrong = run("check", "--status", "vencido")
    assert wrong.exit_code == 2 and "unknown status 'vencido'" in wrong.stderr and "expiring" in wrong.stderr
    files = run("check", "--env", "produccion", str(authority.home.root_cert_path))
    assert files.exit_code == 2 and "not files" in files.stderr


def test_the_readmes_cron_line_ignores_scenarios_and_warns_before_expiry(
    authority: Authority, run: Cli, password_file: Path
) -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    [line] = [line for line in readme.splitlines() if "minica check --nit" in line and line.startswith("0 7")]
    args = line.split("minica check ", 1)[1].split(" > ")[0].split()
    _issue(run, password_file)
    _issue(run, password_file, "--not-before", "2024-01-01", "--not-after", "2025-01-01", name="VENCIDO S.A.S.")
    assert run("check", *args).exit_code == 0
    assert run("check", *args, at="2027-10-20").exit_code == 1  # 33 days before the end
    assert run("check", *args, at="2027-11-23").exit_code == 2


# --- export ---------------------------------------------------------------------------------------

def test_certs_export_certificate_chain_and_the_key_only_encrypted(
    authority: Authority, run: Cli, password_file: Path, tmp_path: Path
) -> None:
    issued = _issue(run, password_file)
    serial = issued["serial"]
    pem = run("certs", "export", serial)
    assert pem.exit_code == 0
    cert = x509.load_pem_x509_certificate(pem.stdout_bytes)
    assert format(cert.serial_number, "X") == serial
    chain = x509.load_pem_x509_certificates(run("certs", "export", serial, "--chain").stdout_bytes)
    assert chain == [cert, authority.issuing, authority.root]

    der = tmp_path / "cert.der"
    assert run("certs", "export", serial, "--format", "der", "-o", str(der)).exit_code == 0
    assert x509.load_der_x509_certificate(der.read_bytes()) == cert
    p7b = tmp_path / "chain.p7b"
    assert run("certs", "export", serial, "--chain", "--format", "der", "-o", str(p7b)).exit_code == 0
    assert set(pkcs7.load_der_pkcs7_certificates(p7b.read_bytes())) == {cert, authority.issuing, authority.root}
    again = run("certs", "export", serial, "-o", str(der))
    assert again.exit_code == 2 and "already exists" in again.stderr

    to_stdout = run("certs", "export", serial, "--key", "--password-file", str(password_file))
    assert to_stdout.exit_code == 2 and "-o FILE" in to_stdout.stderr and "PRIVATE" not in to_stdout.stdout
    key_file = tmp_path / "keys" / "empresa.key"
    wrong = tmp_path / "wrong.txt"
    wrong.write_text("Wrong#Pass1\n")
    refused = run("certs", "export", serial, "--key", "-o", str(key_file), "--password-file", str(wrong))
    assert refused.exit_code == 2 and not key_file.exists()
    done = run("certs", "export", serial, "--key", "-o", str(key_file), "--password-file", str(password_file))
    assert done.exit_code == 0, done.stderr
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert key_file.read_bytes().startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    key = serialization.load_pem_private_key(key_file.read_bytes(), PASSWORD.encode())
    assert isinstance(key, rsa.RSAPrivateKey) and key.public_key() == cert.public_key()


# --- a home without a CA --------------------------------------------------------------------------

def test_read_only_commands_on_a_home_without_a_ca_create_nothing(tmp_path: Path) -> None:
    home = Home(tmp_path / "empty-home")
    run = Cli(home)
    pem = tmp_path / "cert.pem"
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "X")])
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(NOW).not_valid_after(NOW + dt.timedelta(days=9))
            .sign(key, hashes.SHA256()))  # fmt: skip
    pem.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    for args in (("certs", "list"), ("certs", "show", "ABCDEF"), ("revoke", "ABCDEF"), ("check",),
                 ("request", "list"), ("request", "show", "cdc3cc2c-deaa-4070-bada-5588f305dda4"),
                 ("request", "outbox")):
        result = run(*args)
        assert result.exit_code == 1, (args, result.stderr)
        assert "no CA here" in result.stderr and "`minica init`" in result.stderr, (args, result.stderr)
        assert "no certificate with serial" not in result.stderr and "minica issue" not in result.stderr
    assert run("check", str(pem)).exit_code == 2  # a file is checked (untrusted: there is no CA to trust)
    assert not home.root.exists() and files_under(tmp_path) == {pem}
