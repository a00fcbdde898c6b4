"""Contract: every object the fake serves has exactly the keys of Stripe's fixture."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from fake_stripe import DataError, Store, create_app
from fake_stripe.render import render
from fake_stripe.shapes import fixture, fixture_keys
from tests.fake_stripe.conftest import Fake

LIST_KEYS = {"object", "data", "has_more", "url"}


def keys(obj: dict[str, Any]) -> set[str]:
    return set(obj)


async def test_customer_has_the_fixture_keys(client: httpx.AsyncClient) -> None:
    customer = (await client.get("/v1/customers/cus_ada")).json()
    assert keys(customer) == set(fixture_keys("customer"))
    assert "subscriptions" not in customer


async def test_deleted_customer_has_the_fixture_keys(client: httpx.AsyncClient) -> None:
    deleted = (await client.get("/v1/customers/cus_gone")).json()
    assert keys(deleted) == set(fixture_keys("deleted_customer"))
    assert deleted == {"id": "cus_gone", "object": "customer", "deleted": True}


async def test_customer_with_expanded_subscriptions_adds_only_that_key(
    client: httpx.AsyncClient,
) -> None:
    customer = (await client.get("/v1/customers/cus_ada?expand[]=subscriptions")).json()
    assert keys(customer) == set(fixture_keys("customer")) | {"subscriptions"}
    envelope = customer["subscriptions"]
    assert keys(envelope) == LIST_KEYS
    assert envelope["url"] == "/v1/customers/cus_ada/subscriptions"
    for sub in envelope["data"]:
        assert keys(sub) == set(fixture_keys("subscription"))


async def test_charge_has_the_fixture_keys(client: httpx.AsyncClient) -> None:
    charge = (await client.get("/v1/charges/ch_ada_ok")).json()
    assert keys(charge) == set(fixture_keys("charge"))
    assert keys(charge["refunds"]) == keys(fixture("charge")["refunds"])


async def test_subscription_item_and_nested_price_have_the_fixture_keys(
    client: httpx.AsyncClient,
) -> None:
    sub = (await client.get("/v1/subscriptions/sub_jpy")).json()
    assert keys(sub) == set(fixture_keys("subscription"))
    assert keys(sub["items"]) == keys(fixture("subscription")["items"])
    assert sub["items"]["url"] == "/v1/subscription_items?subscription=sub_jpy"
    item = sub["items"]["data"][0]
    assert keys(item) == set(fixture_keys("subscription_item"))
    assert keys(item["price"]) == set(fixture_keys("price"))
    assert keys(item["plan"]) == keys(fixture("subscription_item")["plan"])


async def test_price_and_product_have_the_fixture_keys(client: httpx.AsyncClient) -> None:
    price = (await client.get("/v1/prices/price_pro")).json()
    product = (await client.get("/v1/products/prod_pro")).json()
    assert keys(price) == set(fixture_keys("price"))
    assert keys(product) == set(fixture_keys("product"))


async def test_every_listed_object_has_the_fixture_keys(client: httpx.AsyncClient) -> None:
    for path, name in [
        ("/v1/customers?limit=100", "customer"),
        ("/v1/charges?limit=100", "charge"),
        ("/v1/subscriptions?limit=100&status=all", "subscription"),
        ("/v1/products?limit=100", "product"),
        ("/v1/prices?limit=100", "price"),
    ]:
        page = (await client.get(path)).json()
        assert keys(page) == LIST_KEYS
        assert page["data"], path
        for obj in page["data"]:
            assert keys(obj) == set(fixture_keys(name)), (path, obj["id"])


async def test_left_out_fields_take_stripe_defaults_not_fixture_values(
    client: httpx.AsyncClient,
) -> None:
    customer = (await client.get("/v1/customers/cus_ada_lower")).json()
    assert customer["email"] == "ada@lovelace.example"
    assert customer["name"] is None
    assert customer["description"] is None
    assert customer["discount"] is None
    assert customer["metadata"] == {}
    assert customer["preferred_locales"] == []
    assert customer["livemode"] is False
    assert customer["balance"] == 0
    assert customer["delinquent"] is False
    assert customer["invoice_prefix"] is None
    charge = (await client.get("/v1/charges/ch_ada_ok")).json()
    assert charge["status"] == "succeeded" and charge["paid"] is True
    assert charge["description"] is None
    assert charge["receipt_url"] is None
    assert charge["payment_method"] is None
    assert charge["source"] is None
    failed = (await client.get("/v1/charges/ch_ada_failed")).json()
    assert failed["paid"] is False and failed["amount_captured"] == 0
    refunded = (await client.get("/v1/charges/ch_ada_refunded")).json()
    assert refunded["refunded"] is True and refunded["amount_refunded"] == 500


async def test_nested_objects_are_filled_with_nulls(client: httpx.AsyncClient) -> None:
    customer = (await client.get("/v1/customers/cus_ada")).json()
    assert customer["address"] == {
        "city": "London",
        "country": "GB",
        "line1": None,
        "line2": None,
        "postal_code": None,
        "state": None,
    }


async def test_subscription_price_by_id_and_periods_on_items(client: httpx.AsyncClient) -> None:
    sub = (await client.get("/v1/subscriptions/sub_jpy")).json()
    item = sub["items"]["data"][0]
    assert item["id"] == "si_jpy"
    assert item["current_period_start"] == 1_750_000_300
    assert item["current_period_end"] == 1_750_000_400
    assert item["price"]["currency"] == "jpy" and item["price"]["unit_amount"] == 1500
    assert item["price"]["product"] == "prod_tea"
    assert item["plan"]["amount"] == 1500 and item["plan"]["interval"] == "month"
    assert sub["currency"] == "jpy"
    by_id = (await client.get("/v1/subscriptions/sub_ada_active")).json()
    price = by_id["items"]["data"][0]["price"]
    assert price["id"] == "price_pro" and price["unit_amount"] == 2000
    assert price["unit_amount_decimal"] == "2000" and price["type"] == "recurring"
    assert by_id["items"]["data"][0]["quantity"] == 2


async def test_embedded_objects_are_stored(client: httpx.AsyncClient) -> None:
    assert (await client.get("/v1/prices/price_yen")).status_code == 200
    product = (await client.get("/v1/products/prod_tea")).json()
    assert product["name"] == "Tea club"


def test_unknown_keys_are_dropped(fake: Fake) -> None:
    stored = fake.store.upsert({"object": "customer", "id": "cus_x", "favourite_colour": "red"})
    assert "favourite_colour" not in stored
    assert set(stored) == set(fixture_keys("customer"))


def test_data_can_be_a_file_json_text_or_a_store(tmp_path: Path) -> None:
    text = json.dumps({"customers": [{"id": "cus_1", "email": "a@b.example"}]})
    path = tmp_path / "data.json"
    path.write_text(text)
    for data in (text, str(path), path, Store.from_data(text)):
        assert create_app(data).state.store.get("customer", "cus_1")["email"] == "a@b.example"


@pytest.mark.parametrize(
    "data",
    [
        "{not json",
        '{"customers": {"id": "cus_1"}}',
        '{"customers": ["cus_1"]}',
        '{"customers": [{"id": 7}]}',
        "/nonexistent/data.json",
    ],
)
def test_bad_data_is_a_data_error(data: str) -> None:
    with pytest.raises(DataError):
        create_app(data)


def test_a_customer_may_embed_its_subscriptions() -> None:
    store = Store.from_data(
        {
            "prices": [{"id": "price_1", "unit_amount": 100, "recurring": {"interval": "year"}}],
            "customers": [
                {"id": "cus_1", "subscriptions": {"data": [{"id": "sub_1", "items": ["price_1"]}]}}
            ],
        }
    )
    sub = render(store, store.all("subscription")[0])
    assert sub["customer"] == "cus_1" and "subscriptions" not in store.all("customer")[0]
    item = sub["items"]["data"][0]
    assert item["price"]["id"] == "price_1"
    assert item["current_period_end"] == item["current_period_start"] + 365 * 86_400
