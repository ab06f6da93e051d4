"""What can go wrong between minica's DIAN client and a DIAN web service, each one line with what to do.

Every one is a :class:`~minica.errors.RefusedOperation` (exit status 1): the request was well formed
but not answered as DIAN answers. None of them means the documents were received: callers mark a
document as sent only after a reply that says so (a ZipKey, or a DianResponse).
"""

from __future__ import annotations

from minica.errors import RefusedOperation


class DianServiceError(RefusedOperation):
    """The web service could not be reached or did not answer as DIAN does."""


class DianUnreachable(DianServiceError):
    """No connection, or no answer within the timeout."""


class DianFault(DianServiceError):
    """The service answered with a SOAP Fault (WS-Security refused, unknown operation, …)."""

    def __init__(self, what: str, hint: str = "", *, code: str = "", subcode: str = "", reason: str = "") -> None:
        super().__init__(what, hint)
        self.code = code
        self.subcode = subcode
        self.reason = reason


class DianBadReply(DianServiceError):
    """An answer that is not DIAN's: an HTTP error without a SOAP Fault, bytes that are not XML, or
    XML without the operation's result."""
