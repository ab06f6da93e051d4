"""A server worker reuses opened keystores (issue 14) without ever skipping a check: the same file
and password only, a wrong password never answered from the cache, a rewritten file read again,
and revocation and validity judged at every request."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from support import NOW, PASSWORD

from minica.ca import registry
from minica.ca.issuance import IssuedCertificate, IssueRequest, issue_certificate
from minica.clock import FixedClock
from minica.errors import CertificateNotUsable, WrongPassword
from minica.identity import Nit
from minica.server import jobs
from minica.signing.policy import SHA256, SignerRole
from minica.signing.selection import Selection
from minica.storage.home import Home
from minica.storage.keystore import load_keystore
from minica.storage.keystore_cache import KeystoreCache

ROOT = Path(__file__).resolve().parents[2]
HAB = ROOT / "testdata" / "invoice-habilitacion.xml"


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> Counter[Path]:
    """How often each keystore file is really opened (decrypted) through a cache."""
    counts: Counter[Path] = Counter()

    def counting(data: bytes, password: bytes | None, *, source: str) -> Any:
        counts[Path(source)] += 1
        return load_keystore(data, password, source=source)

    monkeypatch.setattr("minica.storage.keystore_cache.load_keystore", counting)
    jobs.KEYSTORES.clear()
    return counts


def _store(leaf: IssuedCertificate, home: Home) -> Path:
    return home.root / next(iter(registry.get_certificate(home, leaf.serial_hex).stores.values()))


def test_same_file_and_password_open_once(leaf: IssuedCertificate, home: Home, reads: Counter[Path]) -> None:
    cache = KeystoreCache()
    path = _store(leaf, home)
    first = cache.open(path, PASSWORD.encode())
    assert cache.open(path, PASSWORD.encode()) is first and reads[path] == 1
    with pytest.raises(WrongPassword):
        cache.open(path, b"Wrong#2026x")  # never from the cache
    assert reads[path] == 2


def test_a_rewritten_file_is_read_again(
    leaf: IssuedCertificate, home: Home, clock: FixedClock, reads: Counter[Path]
) -> None:
    cache = KeystoreCache()
    path = _store(leaf, home)
    first = cache.open(path, PASSWORD.encode())
    other = issue_certificate(home, IssueRequest(Nit.parse("860001022-7"), "OTRA S.A.S."),
                              store_password=PASSWORD.encode(), clock=clock)
    path.write_bytes(_store(other, home).read_bytes())  # same path, size and maybe mtime, another keystore
    second = cache.open(path, PASSWORD.encode())
    assert second.certificate != first.certificate and reads[path] == 2


def test_capacity_drops_the_least_recently_used(leaf: IssuedCertificate, home: Home, reads: Counter[Path]) -> None:
    cache = KeystoreCache(capacity=1)
    stores = [home.root / p for p in registry.get_certificate(home, leaf.serial_hex).stores.values()]
    assert len(stores) == 2  # habilitación and producción
    for path in (*stores, stores[0]):
        cache.open(path, PASSWORD.encode())
    assert reads[stores[0]] == 2 and reads[stores[1]] == 1


def test_api_signing_opens_the_keystore_once_and_checks_every_time(
    leaf: IssuedCertificate, home: Home, reads: Counter[Path]
) -> None:
    def sign(at: dt.datetime) -> dict[str, Any]:
        return jobs.sign(home, at, HAB.read_bytes(), PASSWORD.encode(), Selection(), SignerRole.SUPPLIER, SHA256,
                         False)

    for _ in range(3):
        assert sign(NOW)["serial"] == leaf.serial_hex
    assert sum(reads.values()) == 1
    with pytest.raises(CertificateNotUsable, match="expired"):
        sign(NOW + dt.timedelta(days=400))
    registry.revoke(home, leaf.serial_hex, registry.RevocationReason.parse("keyCompromise"), now=NOW)
    with pytest.raises(CertificateNotUsable, match="revoked"):
        sign(NOW + dt.timedelta(minutes=1))
    assert sum(reads.values()) == 1
