"""The bundled demo data loads and holds the cases the gateway's demo points at."""

from __future__ import annotations

from collections.abc import Iterator
from importlib import resources

import httpx
import pytest

from fake_stripe import create_app
from fake_stripe.shapes import fixture_keys
from tests.fake_stripe.conftest import SSL
from tests.fake_stripe.sample import KEY
from tests.servers import serve_in_thread


@pytest.fixture(scope="module")
def demo() -> Iterator[httpx.Client]:
    path = resources.files("fake_stripe").joinpath("demo_data.json")
    app = create_app(str(path))
    headers = {"Authorization": f"Bearer {KEY}"}
    with serve_in_thread(app) as url, httpx.Client(base_url=url, headers=headers, verify=SSL) as c:
        yield c


def search(demo: httpx.Client, query: str) -> list[str]:
    response = demo.get("/v1/customers/search", params={"query": query})
    assert response.status_code == 200, response.text
    return sorted(c["id"] for c in response.json()["data"])


def test_customer_by_id_has_a_subscription_and_every_kind_of_charge(demo: httpx.Client) -> None:
    customer = demo.get("/v1/customers/cus_demo_byid?expand[]=subscriptions").json()
    assert [s["status"] for s in customer["subscriptions"]["data"]] == ["active"]
    charges = demo.get("/v1/charges", params={"customer": "cus_demo_byid", "limit": 100}).json()
    data = charges["data"]
    assert any(c["refunded"] for c in data)
    assert any(c["status"] == "failed" for c in data)
    assert any(c["disputed"] for c in data)
    for charge in data:
        assert set(charge) == set(fixture_keys("charge"))


def test_email_domain_duplicates_and_public_provider(demo: httpx.Client) -> None:
    assert search(demo, 'email:"ada@lovelace.example"') == ["cus_demo_ada"]
    assert search(demo, 'email~"@initech.example"') == [
        "cus_demo_initech_billing",
        "cus_demo_initech_ops",
    ]
    assert search(demo, 'email:"sam@rivera-design.example"') == [
        "cus_demo_dup_active",
        "cus_demo_dup_old",
    ]
    assert search(demo, 'email~"@gmail.com"') == ["cus_demo_gmail"]


def test_deleted_customer_and_statuses(demo: httpx.Client) -> None:
    assert demo.get("/v1/customers/cus_demo_deleted").json()["deleted"] is True
    subs = demo.get("/v1/subscriptions", params={"status": "all", "limit": 100}).json()["data"]
    statuses = {s["status"] for s in subs}
    assert {"active", "trialing", "past_due", "canceled"} <= statuses


def test_yen_customer_has_a_zero_decimal_price(demo: httpx.Client) -> None:
    subs = demo.get("/v1/subscriptions", params={"customer": "cus_demo_jpy"}).json()["data"]
    price = subs[0]["items"]["data"][0]["price"]
    assert (price["currency"], price["unit_amount"]) == ("jpy", 1500)
    products = demo.get("/v1/products", params={"ids[]": price["product"]}).json()["data"]
    assert products[0]["name"] == "Pro"
