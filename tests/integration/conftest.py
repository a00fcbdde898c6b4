"""Real servers on 127.0.0.1 for integration tests: the fake Stripe and the gateway."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

import fake_stripe
from stripe_gateway.config import load_settings
from stripe_gateway.server import create_app
from tests.servers import serve_in_thread

DATA = Path(__file__).parent.parent / "data" / "stripe.json"
TEST_KEY = "rk_test_integration0000secret"
# Every `extensions.code` the gateway may answer (issue 5's error model).
ERROR_CODES = frozenset(
    {
        "UNAUTHENTICATED",
        "FORBIDDEN",
        "BAD_USER_INPUT",
        "NOT_FOUND",
        "RATE_LIMITED",
        "STRIPE_AUTH_FAILED",
        "STRIPE_PERMISSION_DENIED",
        "STRIPE_UNAVAILABLE",
        "INTERNAL",
    }
)
# The bearer token every test gateway accepts (GATEWAY_API_TOKENS) and `Gateway` sends.
TEST_TOKEN = "test-token-0123456789abcdef0123456789"


@dataclass
class FakeStripe:
    """Client for the fake's control endpoints."""

    url: str

    def requests(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = httpx.get(f"{self.url}/_fake/requests").json()["requests"]
        return found

    def paths(self) -> list[str]:
        return [r["path"] for r in self.requests()]

    def clear(self) -> None:
        httpx.delete(f"{self.url}/_fake/requests").raise_for_status()
        httpx.delete(f"{self.url}/_fake/faults").raise_for_status()

    def fault(self, **spec: Any) -> None:
        httpx.post(f"{self.url}/_fake/faults", json=spec).raise_for_status()

    def put(self, obj: dict[str, Any]) -> None:
        httpx.post(f"{self.url}/_fake/objects", json=obj).raise_for_status()


@dataclass
class Gateway:
    """A GraphQL client for a running gateway."""

    url: str
    token: str | None = None

    def post(self, query: str, variables: dict[str, Any] | None = None) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        return httpx.post(
            f"{self.url}/graphql",
            json={"query": query, "variables": variables or {}},
            headers=headers,
            timeout=30,
        )

    def query(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """Run an operation that must succeed; return its data."""
        response = self.post(query, variables)
        body: dict[str, Any] = response.json()
        assert response.status_code == 200, body
        assert not body.get("errors"), body["errors"]
        data: dict[str, Any] = body["data"]
        return data

    def identify(self, contact_id: str, **fields: Any) -> dict[str, Any]:
        data = self.query(
            "mutation($input: IdentifyContactInput!) { identifyContact(input: $input) { id } }",
            {"input": {"id": contact_id, **fields}},
        )
        return data["identifyContact"]  # type: ignore[no-any-return]


@pytest.fixture(scope="session")
def fake() -> Iterator[FakeStripe]:
    data = json.loads(DATA.read_text())
    with serve_in_thread(fake_stripe.create_app(data)) as url:
        yield FakeStripe(url)


GatewayFactory = Callable[..., AbstractContextManager[Gateway]]


@pytest.fixture(scope="session")
def start_gateway(fake: FakeStripe, tmp_path_factory: pytest.TempPathFactory) -> GatewayFactory:
    """Start a gateway against the fake; keyword arguments override settings."""

    @contextmanager
    def start(**overrides: Any) -> Iterator[Gateway]:
        overrides.setdefault("gateway_api_tokens", TEST_TOKEN)
        if "database_url" not in overrides:
            db = tmp_path_factory.mktemp("db") / "contacts.sqlite3"
            overrides["database_url"] = f"sqlite+aiosqlite:///{db}"
        # Tests that count the Stripe requests of one query must not see lookups cached by
        # other tests: no cross-request cache unless a test asks for one.
        overrides.setdefault("cache_url", "none://")
        settings = load_settings(stripe_api_key=TEST_KEY, stripe_api_base=fake.url, **overrides)
        token = settings.api_tokens[0] if settings.gateway_auth and settings.api_tokens else None
        with serve_in_thread(create_app(settings)) as url:
            yield Gateway(url, token=token)

    return start


@pytest.fixture(scope="session")
def gateway(start_gateway: GatewayFactory) -> Iterator[Gateway]:
    """One gateway on a SQLite file, shared by the tests that only read."""
    with start_gateway() as running:
        yield running


@pytest.fixture
def fresh(fake: FakeStripe) -> FakeStripe:
    """The fake with its request log and faults cleared before the test."""
    fake.clear()
    return fake
