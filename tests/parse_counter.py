"""Counting parses (importable as ``parse_counter``): every lxml parse entry point, and the hostile-XML
pre-scan (:func:`minica.signing.xmllimits.scan`) that :func:`minica.signing.xmlsafe.parse_xml` runs
once per parse. Issue 14 asks for one of each per document on every signing path."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from lxml import etree

from minica.signing import xmllimits


def count_parses(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """From now on (until the test ends), ``counts["lxml"]`` and ``counts["scan"]`` go up by one per
    call."""
    counts: Counter[str] = Counter()

    def counting(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            counts[name] += 1
            return function(*args, **kwargs)

        return wrapper

    for name in ("fromstring", "XML", "parse", "iterparse"):
        monkeypatch.setattr(etree, name, counting("lxml", getattr(etree, name)))
    monkeypatch.setattr(xmllimits, "scan", counting("scan", xmllimits.scan))
    return counts
