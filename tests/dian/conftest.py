"""Fixtures of the local DIAN's tests: a CA, a company certificate, a registered software, a real
``minica serve`` on loopback and a zeep client built from its WSDL, all at the fixed instant NOW."""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # for ``dian_kit``
from dian_kit import DianSignature, Served, pem_pair, zeep_client
from support import NOW, PASSWORD

from minica.ca.hierarchy import Authority
from minica.ca.issuance import IssuedCertificate, IssueRequest, issue_certificate
from minica.clock import FixedClock
from minica.dian.registration import RegistrationRequest, SoftwareRegistration, register_software
from minica.environment import Environment
from minica.identity import Nit
from minica.server.app import ServerSettings, create_app
from minica.signing.service import Signer
from minica.storage.home import Home

TOKEN = "test-token-0123456789abcdef"
PIN = "12345"
PROVIDER = "830095213"


@pytest.fixture
def company(authority: Authority, home: Home, clock: FixedClock) -> IssuedCertificate:
    return issue_certificate(home, IssueRequest(Nit.parse("900373987-9"), "MINICA PRUEBAS S.A.S."),
                             store_password=PASSWORD.encode(), clock=clock)


@pytest.fixture
def registration(home: Home, clock: FixedClock, company: IssuedCertificate) -> SoftwareRegistration:
    return register_software(home, clock, RegistrationRequest(Nit.parse("900373987-9"), pin=PIN,
                                                              provider_nit=Nit.parse(PROVIDER)))


@pytest.fixture
def signer(company: IssuedCertificate, authority: Authority) -> Signer:
    return Signer.from_keystore(company.store_paths[Environment.HABILITACION], PASSWORD.encode(),
                                trust=[authority.root])


@pytest.fixture
def sign(signer: Signer) -> Callable[[bytes], bytes]:
    return lambda data: signer.sign(data, signing_time=NOW)


@pytest.fixture
def serve(home: Home, clock: FixedClock, authority: Authority) -> Iterator[Callable[..., Served]]:
    started: list[Served] = []

    def start(**changes: object) -> Served:
        settings = ServerSettings(**{"home": home, "clock": clock, "token": TOKEN, "workers": 2, **changes})
        app = create_app(settings)
        app.pool.start(warm=True)
        started.append(Served(app))
        return started[-1]

    yield start
    for served in started:
        served.stop()


@pytest.fixture
def served(serve: Callable[..., Served]) -> Served:
    return serve()


@pytest.fixture
def stamp() -> tuple[dt.datetime, dt.datetime]:
    return NOW - dt.timedelta(seconds=5), NOW + dt.timedelta(minutes=5)


@pytest.fixture
def client(served: Served, signer: Signer, stamp: tuple[dt.datetime, dt.datetime]):  # type: ignore[no-untyped-def]
    return zeep_client(served, DianSignature(*pem_pair(signer), stamp))
