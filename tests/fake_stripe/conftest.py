"""A fake Stripe under uvicorn on 127.0.0.1, shared by a module, reset before each test."""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from fake_stripe import FakeConfig, Store, create_app
from tests.fake_stripe.sample import KEY, sample_data
from tests.servers import serve_in_thread

# Building an SSL context takes tens of ms; every client here shares one (all plain HTTP).
SSL = ssl.create_default_context()


@dataclass
class Fake:
    """A running fake: its app (state: store, config, faults, log), base URL, a plain client."""

    app: Starlette
    url: str
    http: httpx.Client

    @property
    def store(self) -> Store:
        store: Store = self.app.state.store
        return store

    def requests(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self.http.get("/_fake/requests").json()["requests"]
        return found


@pytest.fixture(scope="module")
def served() -> Iterator[Fake]:
    app = create_app(sample_data())
    with serve_in_thread(app) as url, httpx.Client(base_url=url, verify=SSL) as http:
        yield Fake(app, url, http)


@pytest.fixture
def fake(served: Fake) -> Fake:
    """The module's fake with fresh data, no faults, an empty log and default settings."""
    served.app.state.store = Store.from_data(sample_data())
    served.app.state.faults.clear()
    served.app.state.request_log.clear()
    served.app.state.config.update(FakeConfig().as_dict())
    return served


@pytest.fixture
async def client(fake: Fake) -> AsyncIterator[httpx.AsyncClient]:
    headers = {"Authorization": f"Bearer {KEY}"}
    async with httpx.AsyncClient(base_url=fake.url, headers=headers, verify=SSL) as http:
        yield http


def error_of(response: httpx.Response) -> dict[str, Any]:
    """The `error` object of a Stripe error response."""
    body: dict[str, Any] = response.json()
    assert set(body) == {"error"}, body
    error: dict[str, Any] = body["error"]
    return error
