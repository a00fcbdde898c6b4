"""The fake's own endpoints: upserting objects and changing settings while it serves."""

from __future__ import annotations

import httpx

from tests.fake_stripe.conftest import Fake


async def test_posted_customer_is_served_and_searchable(
    fake: Fake, client: httpx.AsyncClient
) -> None:
    posted = fake.http.post(
        "/_fake/objects",
        json={"object": "customer", "id": "cus_posted", "email": "posted@new.example"},
    )
    assert posted.status_code == 200 and posted.json()["email"] == "posted@new.example"
    assert (await client.get("/v1/customers/cus_posted")).json()["id"] == "cus_posted"
    found = await client.get("/v1/customers/search", params={"query": 'email:"posted@new.example"'})
    assert [c["id"] for c in found.json()["data"]] == ["cus_posted"]


async def test_posting_replaces_and_deletes(fake: Fake, client: httpx.AsyncClient) -> None:
    fake.http.post("/_fake/objects", json={"object": "customer", "id": "cus_ada", "name": "New"})
    assert (await client.get("/v1/customers/cus_ada")).json()["name"] == "New"
    fake.http.post("/_fake/objects", json={"object": "customer", "id": "cus_ada", "deleted": True})
    assert (await client.get("/v1/customers/cus_ada")).json()["deleted"] is True


async def test_posting_a_list_and_a_subscription(fake: Fake, client: httpx.AsyncClient) -> None:
    objects = [
        {"object": "price", "id": "price_new", "unit_amount": 700, "recurring": {}},
        {
            "object": "subscription",
            "id": "sub_new",
            "customer": "cus_jpy",
            "items": [{"price": "price_new"}],
        },
    ]
    served = fake.http.post("/_fake/objects", json=objects).json()
    assert served[1]["items"]["data"][0]["price"]["unit_amount"] == 700
    subs = (await client.get("/v1/subscriptions", params={"customer": "cus_jpy"})).json()
    assert {s["id"] for s in subs["data"]} == {"sub_jpy", "sub_new"}


async def test_posting_something_invalid_is_400(fake: Fake) -> None:
    for body in [{"object": "invoice", "id": "in_1"}, {"object": "customer"}, [1], "text"]:
        assert fake.http.post("/_fake/objects", json=body).status_code == 400
    assert fake.http.post("/_fake/objects", content=b"{not json").status_code == 400


async def test_config_reads_and_changes_settings(fake: Fake) -> None:
    assert fake.http.get("/_fake/config").json() == {
        "latency_ms": 0.0,
        "jitter_ms": 0.0,
        "rate_limit_rps": None,
        "search_rate_limit_rps": None,
        "search_lag_seconds": 0.0,
    }
    changed = fake.http.post("/_fake/config", json={"latency_ms": 5, "rate_limit_rps": 100})
    assert changed.json()["latency_ms"] == 5.0 and changed.json()["rate_limit_rps"] == 100.0
    assert fake.app.state.config.latency_ms == 5.0
    for bad in [{"latency_ms": -1}, {"nope": 1}, {"rate_limit_rps": 0}, {"latency_ms": "x"}]:
        assert fake.http.post("/_fake/config", json=bad).status_code == 400
    assert fake.app.state.config.latency_ms == 5.0


async def test_faults_are_listed(fake: Fake) -> None:
    fake.http.post("/_fake/faults", json={"path": "/v1/charges", "status": 500, "times": 3})
    listed = fake.http.get("/_fake/faults").json()["faults"]
    assert listed[0]["path"] == "/v1/charges" and listed[0]["times"] == 3
