"""Shared fixtures. Service-dependent tests skip without the service, unless
GATEWAY_TEST_REQUIRE_SERVICES=1 (set by .ci/run), which turns such a skip into a failure."""

from __future__ import annotations

import os
import socket

import pytest

REQUIRE_SERVICES = os.environ.get("GATEWAY_TEST_REQUIRE_SERVICES") == "1"

REDIS_URL = "redis://127.0.0.1:6379/15"
POSTGRES_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"


def skip_or_fail(reason: str) -> None:
    """Skip the test, or fail it when CI requires every service to be present."""
    if REQUIRE_SERVICES:
        pytest.fail(f"required service missing: {reason}", pytrace=False)
    pytest.skip(reason)


def port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture(scope="session")
def redis_url() -> str:
    if not port_open("127.0.0.1", 6379):
        skip_or_fail("Redis is not listening on 127.0.0.1:6379")
    return REDIS_URL


@pytest.fixture(scope="session")
def postgres_url() -> str:
    if not port_open("127.0.0.1", 5432):
        skip_or_fail("PostgreSQL is not listening on 127.0.0.1:5432")
    return POSTGRES_URL
