"""Fixtures for the reference server's own tests: an in-process app and client per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ._support import TestClient, make_client


@pytest.fixture
def client() -> Iterator[TestClient]:
    """A client of a fresh, seeded, in-memory reference app."""
    with make_client() as test_client:
        yield test_client
