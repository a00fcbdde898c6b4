"""What every /v1 request passes: API key, request log, faults, latency, rate limits."""

from __future__ import annotations

import asyncio
import base64
import time

import httpx
import pytest

from fake_stripe.errors import NO_API_KEY, RATE_LIMIT_LIVE, RATE_LIMIT_TEST
from tests.fake_stripe.conftest import Fake, error_of
from tests.fake_stripe.sample import KEY


async def test_missing_key_is_401_with_stripes_body(fake: Fake) -> None:
    response = fake.http.get("/v1/customers/cus_ada")
    assert response.status_code == 401
    assert error_of(response) == {"message": NO_API_KEY, "type": "invalid_request_error"}
    assert response.headers["request-id"].startswith("req_")


@pytest.mark.parametrize(
    ("key", "masked"),
    [
        ("pk_test_1234abcd", "pk_test_****abcd"),
        ("rk_test_", "rk_test_****"),
        ("whatever9876", "****9876"),
    ],
)
async def test_invalid_key_is_401_with_the_key_masked(fake: Fake, key: str, masked: str) -> None:
    response = fake.http.get("/v1/customers/cus_ada", headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 401
    assert error_of(response) == {
        "message": f"Invalid API Key provided: {masked}",
        "type": "invalid_request_error",
    }


@pytest.mark.parametrize("key", ["sk_test_a1", "sk_live_a1", "rk_test_a1", "rk_live_a1"])
async def test_secret_and_restricted_keys_are_accepted(fake: Fake, key: str) -> None:
    response = fake.http.get("/v1/customers/cus_ada", headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 200


async def test_basic_auth_with_the_key_as_user(fake: Fake) -> None:
    token = base64.b64encode(f"{KEY}:".encode()).decode()
    response = fake.http.get("/v1/customers/cus_ada", headers={"Authorization": f"Basic {token}"})
    assert response.status_code == 200


async def test_unknown_url_and_method_are_stripes_404(client: httpx.AsyncClient) -> None:
    for method, path in [("GET", "/v1/invoices"), ("POST", "/v1/customers"), ("GET", "/nope")]:
        response = await client.request(method, path)
        assert response.status_code == 404
        assert error_of(response)["message"].startswith(
            f"Unrecognized request URL ({method}: {path})."
        )


async def test_request_log_records_every_stripe_request(
    fake: Fake, client: httpx.AsyncClient
) -> None:
    await client.get("/v1/customers/cus_ada", params={"expand[]": "subscriptions"})
    await client.get("/v1/customers/search", params={"query": 'email:"a@b.c"', "limit": ""})
    await client.get("/v1/customers/cus_nope")
    fake.http.get("/v1/customers")
    log = fake.requests()
    assert [(r["method"], r["path"], r["status"]) for r in log] == [
        ("GET", "/v1/customers/cus_ada", 200),
        ("GET", "/v1/customers/search", 200),
        ("GET", "/v1/customers/cus_nope", 404),
        ("GET", "/v1/customers", 401),
    ]
    assert log[0]["query"] == {"expand[]": ["subscriptions"]}
    assert log[1]["query"] == {"query": ['email:"a@b.c"'], "limit": [""]}
    for entry in log:
        assert entry["started_at"] <= entry["finished_at"] <= time.time()
    assert fake.http.delete("/_fake/requests").status_code == 200
    assert fake.requests() == []


async def test_control_endpoints_are_not_logged(fake: Fake) -> None:
    fake.http.get("/_fake/requests")
    fake.http.get("/_fake/config")
    assert fake.requests() == []


async def test_fault_403_names_the_missing_permission(
    fake: Fake, client: httpx.AsyncClient
) -> None:
    fake.http.post("/_fake/faults", json={"path": "/v1/charges", "status": 403})
    response = await client.get("/v1/charges/search", params={"query": 'customer:"cus_ada"'})
    assert response.status_code == 403
    assert error_of(response) == {
        "message": "The provided key 'sk_test_****abcd' does not have the required permissions "
        "for this endpoint on account 'acct_fake'. Having the 'rak_charge_read' permission "
        "would allow this request to continue.",
        "type": "invalid_request_error",
    }
    assert (await client.get("/v1/customers/cus_ada")).status_code == 200
    for path, permission in [
        ("/v1/customers", "rak_customer_read"),
        ("/v1/subscriptions", "rak_subscription_read"),
        ("/v1/products", "rak_product_read"),
    ]:
        fake.http.post("/_fake/faults", json={"path": path, "status": 403})
        assert permission in error_of(await client.get(path))["message"]


async def test_fault_times_method_and_headers(fake: Fake, client: httpx.AsyncClient) -> None:
    spec = {
        "path": "/v1/customers/search",
        "status": 429,
        "times": 2,
        "method": "get",
        "headers": {"Stripe-Should-Retry": "true"},
    }
    assert fake.http.post("/_fake/faults", json=spec).status_code == 200
    params = {"query": 'email:"x@y.example"'}
    first = await client.get("/v1/customers/search", params=params)
    assert first.status_code == 429
    assert first.headers["stripe-should-retry"] == "true"
    assert error_of(first) == {
        "code": "rate_limit",
        "doc_url": "https://stripe.com/docs/error-codes/rate-limit",
        "message": RATE_LIMIT_TEST,
        "type": "invalid_request_error",
    }
    assert (await client.get("/v1/customers/search", params=params)).status_code == 429
    assert (await client.get("/v1/customers/search", params=params)).status_code == 200
    assert [r["status"] for r in fake.requests()] == [429, 429, 200]


async def test_fault_5xx_is_api_error_until_cleared(fake: Fake, client: httpx.AsyncClient) -> None:
    fake.http.post("/_fake/faults", json={"path": "/v1/", "status": 503})
    response = await client.get("/v1/customers/cus_ada")
    assert response.status_code == 503 and error_of(response)["type"] == "api_error"
    assert fake.http.delete("/_fake/faults").status_code == 200
    assert (await client.get("/v1/customers/cus_ada")).status_code == 200


async def test_fault_with_a_custom_body(fake: Fake, client: httpx.AsyncClient) -> None:
    body = {"error": {"type": "invalid_request_error", "message": "custom"}}
    fake.http.post("/_fake/faults", json={"path": "/v1/", "status": 400, "body": body})
    assert (await client.get("/v1/customers/cus_ada")).json() == body


async def test_malformed_fault_is_400(fake: Fake) -> None:
    for spec in [{"status": 500}, {"path": "/v1/", "status": 200}, {"path": "/v1/"}]:
        assert fake.http.post("/_fake/faults", json=spec).status_code == 400


async def test_delay_fault_slows_matching_requests(fake: Fake, client: httpx.AsyncClient) -> None:
    fake.http.post("/_fake/faults", json={"path": "/v1/charges", "delay_ms": 200})
    started = time.perf_counter()
    assert (await client.get("/v1/charges")).status_code == 200
    assert time.perf_counter() - started >= 0.2
    started = time.perf_counter()
    await client.get("/v1/customers/cus_ada")
    assert time.perf_counter() - started < 0.2


async def test_latency_applies_to_every_request(fake: Fake, client: httpx.AsyncClient) -> None:
    fake.app.state.config.update({"latency_ms": 100, "jitter_ms": 20})
    started = time.perf_counter()
    await asyncio.gather(*(client.get("/v1/customers/cus_ada") for _ in range(5)))
    elapsed = time.perf_counter() - started
    assert 0.08 <= elapsed < 0.5  # concurrent: one latency, not five
    log = fake.requests()
    for entry in log:
        assert entry["finished_at"] - entry["started_at"] >= 0.079


async def test_rate_limit_answers_429_at_once(fake: Fake, client: httpx.AsyncClient) -> None:
    fake.app.state.config.update({"rate_limit_rps": 5, "latency_ms": 0})
    statuses = [(await client.get("/v1/customers/cus_ada")).status_code for _ in range(8)]
    assert statuses.count(200) in (5, 6) and statuses.count(429) >= 2
    log = fake.requests()
    assert [r["status"] for r in log] == statuses
    await asyncio.sleep(0.25)
    assert (await client.get("/v1/customers/cus_ada")).status_code == 200


async def test_live_keys_get_the_live_rate_limit_message(fake: Fake) -> None:
    fake.app.state.config.update({"rate_limit_rps": 1})
    headers = {"Authorization": "Bearer rk_live_abc123"}
    responses = [fake.http.get("/v1/customers", headers=headers) for _ in range(3)]
    limited = [r for r in responses if r.status_code == 429]
    assert limited and error_of(limited[0])["message"] == RATE_LIMIT_LIVE


async def test_search_has_its_own_limit(fake: Fake, client: httpx.AsyncClient) -> None:
    fake.app.state.config.update({"search_rate_limit_rps": 2})
    params = {"query": 'email:"a@b.example"'}
    searches = [
        (await client.get("/v1/customers/search", params=params)).status_code for _ in range(4)
    ]
    assert searches.count(429) >= 1
    others = [(await client.get("/v1/customers/cus_ada")).status_code for _ in range(4)]
    assert others == [200] * 4


async def test_a_client_timeout_is_logged_as_499(fake: Fake) -> None:
    fake.http.post("/_fake/faults", json={"path": "/v1/customers", "delay_ms": 2000, "times": 1})
    headers = {"Authorization": f"Bearer {KEY}"}
    with pytest.raises(httpx.ReadTimeout):
        fake.http.get("/v1/customers", headers=headers, timeout=0.2)
    for _ in range(50):
        if fake.requests()[0]["status"] is not None:
            break
        await asyncio.sleep(0.02)
    assert fake.requests()[0]["status"] == 499
