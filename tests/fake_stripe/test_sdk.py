"""The real stripe SDK (16.1.0, async over httpx) talks to the fake without surprises."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import stripe

from tests.fake_stripe.conftest import Fake
from tests.fake_stripe.sample import KEY


@pytest.fixture
async def sdk(fake: Fake) -> AsyncIterator[stripe.StripeClient]:
    http = stripe.HTTPXClient()
    yield stripe.StripeClient(KEY, http_client=http, base_addresses={"api": fake.url})
    await http.close_async()  # type: ignore[no-untyped-call]


async def test_search_and_retrieve_with_expand(fake: Fake, sdk: stripe.StripeClient) -> None:
    found = await sdk.v1.customers.search_async(
        params={
            "query": 'email:"ada@lovelace.example"',
            "limit": 10,
            "expand": ["data.subscriptions"],
        }
    )
    assert sorted(c.id for c in found.data) == ["cus_ada", "cus_ada_lower"]
    ada = next(c for c in found.data if c.id == "cus_ada")
    assert ada.subscriptions is not None and len(ada.subscriptions.data) == 4
    customer = await sdk.v1.customers.retrieve_async(
        "cus_ada", params={"expand": ["subscriptions"]}
    )
    assert customer.email == "Ada@Lovelace.example"
    assert customer.subscriptions is not None
    item = customer.subscriptions.data[0]["items"].data[0]
    assert item.price.unit_amount == 2000
    assert item.current_period_start is not None
    log = fake.requests()
    assert log[-1]["query"] == {"expand[0]": ["subscriptions"]}


async def test_search_pages_through_next_page(sdk: stripe.StripeClient) -> None:
    first = await sdk.v1.customers.search_async(params={"query": 'email~"bulk"', "limit": 6})
    ids = [c.id async for c in first.auto_paging_iter()]
    assert len(ids) == 15 and len(set(ids)) == 15


async def test_lists_and_products_by_ids(sdk: stripe.StripeClient) -> None:
    charges = await sdk.v1.charges.list_async(params={"customer": "cus_ada", "limit": 2})
    assert [c.id for c in charges.data] == ["ch_ada_refunded", "ch_ada_failed"]
    assert charges.has_more
    subs = await sdk.v1.subscriptions.list_async(params={"customer": "cus_ada", "status": "all"})
    assert len(subs.data) == 6
    products = await sdk.v1.products.list_async(params={"ids": ["prod_pro", "prod_basic"]})
    assert sorted(p.id for p in products.data) == ["prod_basic", "prod_pro"]
    deleted = await sdk.v1.customers.retrieve_async("cus_gone")
    assert deleted.to_dict() == {"id": "cus_gone", "object": "customer", "deleted": True}


async def test_errors_map_to_the_sdks_exceptions(fake: Fake, sdk: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as missing:
        await sdk.v1.customers.retrieve_async("cus_nope")
    assert missing.value.code == "resource_missing" and missing.value.http_status == 404
    with pytest.raises(stripe.InvalidRequestError):
        await sdk.v1.customers.search_async(params={"query": "email:unquoted"})
    fake.http.post("/_fake/faults", json={"path": "/v1/charges", "status": 403, "times": 1})
    with pytest.raises(stripe.PermissionError):
        await sdk.v1.charges.list_async()
    fake.http.post("/_fake/faults", json={"path": "/v1/charges", "status": 429, "times": 1})
    with pytest.raises(stripe.RateLimitError) as limited:
        await sdk.v1.charges.list_async()
    body = limited.value.json_body
    assert isinstance(body, dict) and body["error"]["code"] == "rate_limit"
    http = stripe.HTTPXClient()
    bad_key = stripe.StripeClient("sk_nope", http_client=http, base_addresses={"api": fake.url})
    with pytest.raises(stripe.AuthenticationError):
        await bad_key.v1.customers.retrieve_async("cus_ada")
    await http.close_async()  # type: ignore[no-untyped-call]
