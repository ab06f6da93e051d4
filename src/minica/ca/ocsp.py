"""The OCSP responder of the mock CA (RFC 6960, with RFC 5019's pre-signed responses).

:class:`OcspResponder` turns request bytes into response bytes and never raises for bad input: a
request that does not parse gets a ``malformedRequest`` response, one about another CA an
``unauthorized`` one. Answers are ``good``, ``revoked`` (time and reason) or ``unknown`` (a serial
this CA never issued), signed by a **delegated responder certificate** (issued by the issuing CA with
EKU id-kp-OCSPSigning and id-pkix-ocsp-nocheck; its key 0600 in the home, created on first use and
renewed before it expires).

The responder answers for the whole chain: a request about the issuing CA's own certificate (issued
by the root) is answered by a second delegated responder, issued by the **root** (``ca/ocsp-root.*``),
so a client that checks every certificate of the path by OCSP alone (Java's ``PKIXRevocationChecker``
with ``NO_FALLBACK``, following the issuing CA's AIA) validates the chain.

Speed: a response without a nonce is signed once and reused until its nextUpdate (RFC 5019 §2.2),
looked up by the request's exact bytes first, then by certificate id. The cache is dropped as soon as
the database changes (``PRAGMA data_version``, a counter SQLite bumps when another connection
commits: a revocation is seen on the very next request) and the certificates' statuses differ.
Requests with a nonce are signed fresh.
"""

from __future__ import annotations

import datetime as _dt
import threading
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509 import ocsp
from cryptography.x509.oid import ExtendedKeyUsageOID

from minica.ca.crl import CrlScope, RevokedEntry, reason_flag
from minica.ca.hierarchy import Authority, ca_name, load_authority
from minica.clock import Clock
from minica.storage import audit
from minica.storage.database import Database
from minica.storage.files import atomic_write
from minica.storage.home import Home
from minica.storage.recovery import home_transaction

#: How long a response is current (nextUpdate - thisUpdate), and so how long it is cached.
DEFAULT_RESPONSE_VALIDITY = _dt.timedelta(hours=1)
RESPONDER_VALIDITY = _dt.timedelta(days=90)
#: Renew the responder certificate when less than this is left (responses must not outlive it).
_RENEW_MARGIN = _dt.timedelta(days=2)
_BACKDATE = _dt.timedelta(minutes=1)
#: RFC 8954: a nonce is 1 to 32 octets.
_MAX_NONCE = 32
#: Bound the caches: random serials must not grow memory without limit.
_MAX_CACHED = 20_000
_HASHES: tuple[type[hashes.HashAlgorithm], ...] = (hashes.SHA1, hashes.SHA224, hashes.SHA256, hashes.SHA384,
                                                  hashes.SHA512)


#: The CA whose certificates a responder answers for: the issuing CA (end-entity certificates) or
#: the root (the issuing CA's certificate). The same two scopes as the CRLs.
ResponderScope = CrlScope

_FILE_STEM = {CrlScope.ISSUING: "ocsp", CrlScope.ROOT: "ocsp-root"}
_RESPONDER_NAME = {CrlScope.ISSUING: "MINICA MOCK OCSP RESPONDER", CrlScope.ROOT: "MINICA MOCK ROOT OCSP RESPONDER"}


def responder_cert_path(home: Home, scope: ResponderScope = CrlScope.ISSUING) -> Path:
    return home.ca_dir / f"{_FILE_STEM[scope]}.crt"


def responder_key_path(home: Home, scope: ResponderScope = CrlScope.ISSUING) -> Path:
    return home.ca_dir / f"{_FILE_STEM[scope]}.key"


def _issuer_of(authority: Authority, scope: ResponderScope) -> x509.Certificate:
    return authority.issuing if scope is CrlScope.ISSUING else authority.root


@dataclass(frozen=True)
class ResponderIdentity:
    """The certificate and key that sign OCSP responses."""

    certificate: x509.Certificate
    key: rsa.RSAPrivateKey
    delegated: bool


def _usable(cert: x509.Certificate, issuer: x509.Certificate, now: _dt.datetime) -> bool:
    return (
        cert.issuer == issuer.subject
        and cert.not_valid_before_utc <= now
        and now + _RENEW_MARGIN < cert.not_valid_after_utc
    )


def responder_identity(
    home: Home,
    *,
    now: _dt.datetime,
    ca_password: bytes | None,
    authority: Authority | None = None,
    scope: ResponderScope = CrlScope.ISSUING,
) -> ResponderIdentity:
    """The delegated responder of ``home`` for ``scope``'s certificates, creating (or renewing) it
    when needed.

    Creating one needs that CA's key (so the CA password when the key is encrypted): raises
    :class:`~minica.errors.RefusedOperation` / :class:`~minica.errors.WrongPassword` otherwise.
    """
    authority = authority or load_authority(home)
    cert_path, key_path = responder_cert_path(home, scope), responder_key_path(home, scope)
    if cert_path.exists() and key_path.exists():
        cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
        key = serialization.load_pem_private_key(key_path.read_bytes(), None)
        # The key must be the certificate's: a pair from two different runs never signs.
        if (isinstance(key, rsa.RSAPrivateKey) and key.public_key() == cert.public_key()
                and _usable(cert, _issuer_of(authority, scope), now)):
            return ResponderIdentity(cert, key, delegated=True)
    return _create_responder(home, authority, now=now, ca_password=ca_password, scope=scope)


def _create_responder(
    home: Home, authority: Authority, *, now: _dt.datetime, ca_password: bytes | None, scope: ResponderScope
) -> ResponderIdentity:
    issuer = _issuer_of(authority, scope)
    issuer_key = authority.issuing_key(ca_password) if scope is CrlScope.ISSUING else authority.root_key(ca_password)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    not_after = min(now + RESPONDER_VALIDITY, issuer.not_valid_after_utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name(_RESPONDER_NAME[scope]))
        .issuer_name(issuer.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - _BACKDATE)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True, content_commitment=False, key_encipherment=False,
                data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=False,
                encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.OCSP_SIGNING]), critical=False)
        # id-pkix-ocsp-nocheck: clients need not ask anyone about the responder's own status.
        .add_extension(x509.OCSPNoCheck(), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.public_key()),  # type: ignore[arg-type]
            critical=False,
        )
        .sign(issuer_key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    # Unencrypted but 0600: the responder signs unattended; it can only vouch for status, and a
    # stolen key is worth less than the CA key (which stays encrypted when a password was set).
    with home_transaction(home) as write:  # under the home's lock, so a killed run is reconciled
        atomic_write(responder_key_path(home, scope), key_pem, mode=0o600)
        atomic_write(responder_cert_path(home, scope), cert.public_bytes(serialization.Encoding.PEM), mode=0o644)
        conn = write.conn
        conn.execute(
            "INSERT OR IGNORE INTO authorities (role, subject, serial, not_before, not_after, fingerprint,"
            " cert_path, key_encrypted, created_at) VALUES ('ocsp', ?, ?, ?, ?, ?, ?, 0, ?)",
            (
                cert.subject.rfc4514_string(), format(cert.serial_number, "X"),
                cert.not_valid_before_utc.isoformat(), cert.not_valid_after_utc.isoformat(),
                cert.fingerprint(hashes.SHA256()).hex(), home.relative(responder_cert_path(home, scope)),
                now.isoformat(),
            ),
        )
        audit.record(conn, now, "ocsp-responder", format(cert.serial_number, "X"),
                     {"not_after": cert.not_valid_after_utc.isoformat(), "for": scope.value})
    return ResponderIdentity(cert, key, delegated=True)


def _issuer_hashes(issuer: x509.Certificate) -> dict[str, tuple[bytes, bytes]]:
    """(issuerNameHash, issuerKeyHash) of ``issuer`` for every hash a client may use."""
    name = issuer.subject.public_bytes()
    # The key hash covers the subjectPublicKey BIT STRING's value: for RSA, the PKCS#1 structure.
    key = issuer.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.PKCS1)
    found = {}
    for algorithm in _HASHES:
        pair = []
        for data in (name, key):
            digest = hashes.Hash(algorithm())
            digest.update(data)
            pair.append(digest.finalize())
        found[algorithm().name] = (pair[0], pair[1])
    return found


def _unsuccessful(status: ocsp.OCSPResponseStatus) -> bytes:
    return ocsp.OCSPResponseBuilder.build_unsuccessful(status).public_bytes(serialization.Encoding.DER)


MALFORMED = _unsuccessful(ocsp.OCSPResponseStatus.MALFORMED_REQUEST)
UNAUTHORIZED = _unsuccessful(ocsp.OCSPResponseStatus.UNAUTHORIZED)
INTERNAL_ERROR = _unsuccessful(ocsp.OCSPResponseStatus.INTERNAL_ERROR)


@dataclass(frozen=True)
class _Cached:
    der: bytes
    next_update: _dt.datetime


@dataclass(frozen=True)
class _Status:
    """What the database says about one serial; ``revoked`` None means good."""

    revoked: RevokedEntry | None


class OcspResponder:
    """Answers OCSP requests for the certificates of ``home``'s CAs: the issuing CA's (end-entity
    certificates, from the database) and the root's (the issuing CA). Thread-safe; cheap to call.

    ``validity`` is nextUpdate - thisUpdate of each response (and how long it is reused).
    """

    def __init__(
        self,
        home: Home,
        clock: Clock,
        *,
        ca_password: bytes | None = None,
        validity: _dt.timedelta = DEFAULT_RESPONSE_VALIDITY,
    ) -> None:
        self.home = home
        self.clock = clock
        self.validity = validity
        self._ca_password = ca_password
        self._authority = load_authority(home)
        self._issuer_hashes = {scope: _issuer_hashes(_issuer_of(self._authority, scope)) for scope in CrlScope}
        self._lock = threading.Lock()
        self._db = Database.open(home)
        self._identities = {
            scope: responder_identity(home, now=clock.now(), ca_password=ca_password, authority=self._authority,
                                      scope=scope)
            for scope in CrlScope
        }
        # The root issued one certificate: the issuing CA's (minica never revokes it).
        self._ca_statuses = {self._authority.issuing.serial_number: _Status(None)}
        self._data_version = -1
        self._statuses: dict[int, _Status] = {}
        self._by_bytes: dict[bytes, _Cached] = {}
        self._by_id: dict[tuple[str, bytes, bytes, int], _Cached] = {}

    @property
    def responder_certificate(self) -> x509.Certificate:
        """The responder that answers for end-entity certificates (issued by the issuing CA)."""
        return self._identities[CrlScope.ISSUING].certificate

    def close(self) -> None:
        self._db.close()

    def respond(self, request_der: bytes) -> bytes:
        """The DER OCSP response to ``request_der`` (never raises for malformed input)."""
        now = self.clock.now()
        with self._lock:
            try:
                self._refresh()
            except Exception:  # noqa: BLE001 - e.g. the database is unreadable: an OCSP answer, not a crash
                return INTERNAL_ERROR
            hit = self._by_bytes.get(request_der)
            if hit is not None and now < hit.next_update:
                return hit.der
        try:
            request = ocsp.load_der_ocsp_request(request_der)
            algorithm = request.hash_algorithm
            name_hash, key_hash, serial = request.issuer_name_hash, request.issuer_key_hash, request.serial_number
            nonce = _nonce(request)
        except Exception:  # noqa: BLE001 - any parse failure of hostile bytes is a malformed request
            return MALFORMED
        if nonce is not None and not 1 <= len(nonce) <= _MAX_NONCE:
            return MALFORMED
        scope = next((s for s, found in self._issuer_hashes.items()
                      if found.get(algorithm.name) == (name_hash, key_hash)), None)
        if scope is None:
            return UNAUTHORIZED  # a certificate of another CA: not ours to answer for
        key = (algorithm.name, name_hash, key_hash, serial)
        with self._lock:
            cached = self._by_id.get(key)
            if nonce is None and cached is not None and now < cached.next_update:
                self._remember(self._by_bytes, request_der, cached)
                return cached.der
            status = (self._statuses if scope is CrlScope.ISSUING else self._ca_statuses).get(serial)
        try:
            answer = self._sign(scope, algorithm, name_hash, key_hash, serial, status, nonce, now)
        except Exception:  # noqa: BLE001 - e.g. the responder key became unreadable: say so in OCSP
            return INTERNAL_ERROR
        if nonce is None:
            with self._lock:
                self._remember(self._by_id, key, answer)
                self._remember(self._by_bytes, request_der, answer)
        return answer.der

    @staticmethod
    def _remember(cache: dict, key: object, value: _Cached) -> None:  # type: ignore[type-arg]
        if len(cache) >= _MAX_CACHED:
            cache.clear()
        cache[key] = value

    def _refresh(self) -> None:
        """Reload statuses and drop every cached response when the database changed."""
        version = int(self._db.connection.execute("PRAGMA data_version").fetchone()[0])
        if version == self._data_version:
            return
        rows = self._db.connection.execute(
            "SELECT serial, status, revoked_at, revocation_reason FROM certificates"
        ).fetchall()
        statuses = {}
        for row in rows:
            serial = int(row["serial"], 16)
            revoked = None
            if row["status"] == "revoked" and row["revoked_at"]:
                revoked = RevokedEntry(
                    serial, _dt.datetime.fromisoformat(row["revoked_at"]), reason_flag(row["revocation_reason"])
                )
            statuses[serial] = _Status(revoked)
        if statuses != self._statuses:  # other writes (a CRL number, an audit row) keep the cache
            self._statuses = statuses
            self._by_bytes.clear()
            self._by_id.clear()
        self._data_version = version

    def _signer(self, scope: ResponderScope, now: _dt.datetime) -> ResponderIdentity:
        if not _usable(self._identities[scope].certificate, _issuer_of(self._authority, scope), now):
            self._identities[scope] = responder_identity(
                self.home, now=now, ca_password=self._ca_password, authority=self._authority, scope=scope
            )
        return self._identities[scope]

    def _sign(
        self,
        scope: ResponderScope,
        algorithm: hashes.HashAlgorithm,
        name_hash: bytes,
        key_hash: bytes,
        serial: int,
        status: _Status | None,
        nonce: bytes | None,
        now: _dt.datetime,
    ) -> _Cached:
        identity = self._signer(scope, now)
        next_update = min(now + self.validity, identity.certificate.not_valid_after_utc)
        revoked = status.revoked if status is not None else None
        if revoked is not None and revoked.revoked_at > now:
            revoked = None  # recorded for a later time (--at travel): not revoked yet
        if status is None:
            cert_status, when, reason = ocsp.OCSPCertStatus.UNKNOWN, None, None
        elif revoked is not None:
            cert_status, when, reason = ocsp.OCSPCertStatus.REVOKED, revoked.revoked_at, revoked.reason
        else:
            cert_status, when, reason = ocsp.OCSPCertStatus.GOOD, None, None
        builder = (
            ocsp.OCSPResponseBuilder()
            .add_response_by_hash(
                issuer_name_hash=name_hash, issuer_key_hash=key_hash, serial_number=serial,
                algorithm=algorithm, cert_status=cert_status, this_update=now, next_update=next_update,
                revocation_time=when, revocation_reason=reason,
            )
            .responder_id(ocsp.OCSPResponderEncoding.HASH, identity.certificate)
            .certificates([identity.certificate])
        )
        if nonce is not None:
            builder = builder.add_extension(x509.OCSPNonce(nonce), critical=False)
        response = builder.sign(identity.key, hashes.SHA256())
        return _Cached(response.public_bytes(serialization.Encoding.DER), next_update)


def _nonce(request: ocsp.OCSPRequest) -> bytes | None:
    try:
        return request.extensions.get_extension_for_class(x509.OCSPNonce).value.nonce
    except x509.ExtensionNotFound:
        return None

