"""pytest fixtures for software that signs DIAN documents (registered as the ``minica`` plugin).

``minica_ca``: a fresh in-memory :class:`~minica.testing.MockCA` per test, created at the current
time; tests that need a fixed time build their own ``MockCA(now=...)``.
"""

from __future__ import annotations

import pytest

from minica.testing import MockCA


@pytest.fixture
def minica_ca() -> MockCA:
    """An in-memory mock CA (root + issuing, RSA-2048): ``minica_ca.issue(nit, name)``."""
    return MockCA()
