"""``minica serve``: the mock CA over HTTP (CA certificates, CRLs, OCSP, JSON API)."""
