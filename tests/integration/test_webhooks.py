"""POST /webhooks/stripe over real HTTP: signature checks, and the cache before and after.

The gateway here caches Stripe lookups in memory. "Cached" is seen from the outside: the
fake's data changes, the gateway keeps answering the old data without a Stripe request;
a verified event makes it answer the new data, a refused one changes nothing.
"""

from __future__ import annotations

import json
import statistics
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
import stripe

import fake_stripe
from stripe_gateway.config import load_settings
from stripe_gateway.server import create_app
from tests.integration.conftest import (
    DATA,
    TEST_KEY,
    TEST_TOKEN,
    FakeStripe,
    Gateway,
    GatewayFactory,
)
from tests.servers import serve_in_thread

WHSEC = "whsec_test_0123456789abcdefghijklmnopqrstuv"
CUSTOMER = "query($id: ID!) { stripeCustomer(id: $id) { id name email } }"
MATCH = "query($e: String!) { stripeMatch(contact: {email: $e}) { method customer { id name } } }"


def sign(payload: str, secret: str = WHSEC, timestamp: int | None = None) -> str:
    return stripe.WebhookSignature.generate_signature_header(payload, secret, timestamp)


def event(kind: str, obj: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {
        "id": f"evt_{uuid.uuid4().hex[:16]}",
        "object": "event",
        "api_version": "2024-06-20",
        "created": int(time.time()),
        "livemode": False,
        "pending_webhooks": 1,
        "type": kind,
        "data": {"object": obj},
        **fields,
    }


def deliver(
    gateway: Gateway,
    body: dict[str, Any] | str | bytes,
    *,
    signature: str | None = "sign",
    secret: str = WHSEC,
    timestamp: int | None = None,
) -> httpx.Response:
    """POST an event as Stripe does; `signature="sign"` signs it with `secret`."""
    raw = body if isinstance(body, str | bytes) else json.dumps(body)
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    headers = {"Content-Type": "application/json; charset=utf-8"}
    if signature == "sign":
        headers["Stripe-Signature"] = sign(text, secret, timestamp)
    elif signature is not None:
        headers["Stripe-Signature"] = signature
    return httpx.post(f"{gateway.url}/webhooks/stripe", content=raw, headers=headers)


def customer(customer_id: str, email: str, name: str, created: int = 1700100000) -> dict[str, Any]:
    return {
        "id": customer_id,
        "object": "customer",
        "email": email,
        "name": name,
        "created": created,
        "livemode": False,
        "metadata": {},
    }


def eventually(check: Callable[[], bool], timeout: float = 3.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "the event was not applied in time"
        time.sleep(0.02)


def name_of(gateway: Gateway, customer_id: str) -> str | None:
    found = gateway.query(CUSTOMER, {"id": customer_id})["stripeCustomer"]
    return None if found is None else found["name"]  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def hooked(start_gateway: GatewayFactory) -> Iterator[Gateway]:
    """A gateway with the memory cache and a webhook secret."""
    with start_gateway(cache_url="memory://", stripe_webhook_secret=WHSEC) as running:
        yield running


@pytest.fixture
def cached_customer(hooked: Gateway, fake: FakeStripe) -> dict[str, Any]:
    """A new customer in the fake, read once through the gateway (so now cached), then
    renamed in the fake behind the gateway's back."""
    tag = uuid.uuid4().hex[:10]
    original = customer(f"cus_wh_{tag}", f"owner@wh-{tag}.example", "Before")
    fake.put(original)
    assert name_of(hooked, original["id"]) == "Before"
    renamed = {**original, "name": "After"}
    fake.put(renamed)
    fake.clear()
    assert name_of(hooked, original["id"]) == "Before"  # cached: no Stripe request
    assert fake.requests() == []
    return renamed


# Refused deliveries change nothing


def test_unsigned_delivery_is_400_and_changes_nothing(
    hooked: Gateway, cached_customer: dict[str, Any], fake: FakeStripe
) -> None:
    response = deliver(hooked, event("customer.updated", cached_customer), signature=None)
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "Stripe-Signature" in response.json()["errors"][0]["message"]
    time.sleep(0.2)
    assert name_of(hooked, cached_customer["id"]) == "Before"


def test_forged_delivery_is_400_and_changes_nothing(
    hooked: Gateway, cached_customer: dict[str, Any]
) -> None:
    body = event("customer.updated", cached_customer)
    forged = deliver(hooked, body, secret="whsec_attacker_guess_0123456789abcdef")
    assert forged.status_code == 400
    assert "does not match" in forged.json()["errors"][0]["message"]
    # A signature made for another body, replayed onto this one.
    other = json.dumps(event("customer.updated", {**cached_customer, "name": "Other"}))
    replayed = deliver(hooked, body, signature=sign(other))
    assert replayed.status_code == 400
    time.sleep(0.2)
    assert name_of(hooked, cached_customer["id"]) == "Before"


def test_stale_delivery_is_400_and_changes_nothing(
    hooked: Gateway, cached_customer: dict[str, Any]
) -> None:
    body = event("customer.updated", cached_customer)
    stale = deliver(hooked, body, timestamp=int(time.time()) - 301)
    assert stale.status_code == 400
    assert "300 s" in stale.json()["errors"][0]["message"]
    future = deliver(hooked, body, timestamp=int(time.time()) + 301)
    assert future.status_code == 400
    time.sleep(0.2)
    assert name_of(hooked, cached_customer["id"]) == "Before"


@pytest.mark.parametrize(
    ("body", "signature"),
    [
        ("not json", "sign"),
        ('{"id": "evt_1", "object": "event"}', "sign"),
        ('{"object": "event", "type": "customer.updated", "data": {"object": {}}}', "sign"),
        ("[]", "sign"),
        (b"\xff\xfe", "t=1,v1=abc"),
        ('{"id": "evt_1"}', "garbage"),
        ('{"id": "evt_1"}', "t=notanumber,v1=abc"),
        ('{"id": "evt_1"}', f"t={int(time.time())}"),
        ('{"id": "evt_1"}', f"t={int(time.time())},v0=abc"),
    ],
)
def test_malformed_delivery_is_400(hooked: Gateway, body: str | bytes, signature: str) -> None:
    response = deliver(hooked, body, signature=signature)
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


# Verified deliveries update exactly what they touch


def test_valid_customer_updated_replaces_the_cached_customer_at_once(
    hooked: Gateway, cached_customer: dict[str, Any], fake: FakeStripe
) -> None:
    response = deliver(hooked, event("customer.updated", cached_customer))
    assert response.status_code == 200
    assert response.json() == {"received": True, "status": "queued"}
    eventually(lambda: name_of(hooked, cached_customer["id"]) == "After")
    # Taken from the event, not from Stripe.
    assert "/v1/customers/" + cached_customer["id"] not in fake.paths()


def test_redelivery_is_harmless(hooked: Gateway, cached_customer: dict[str, Any]) -> None:
    body = event("customer.updated", cached_customer)
    assert deliver(hooked, body).json()["status"] == "queued"
    eventually(lambda: name_of(hooked, cached_customer["id"]) == "After")
    for _ in range(3):
        again = deliver(hooked, body)
        assert again.status_code == 200
        assert again.json()["status"] == "duplicate"
    assert name_of(hooked, cached_customer["id"]) == "After"


def test_an_older_snapshot_arriving_late_is_ignored(
    hooked: Gateway, cached_customer: dict[str, Any]
) -> None:
    now = int(time.time())
    newer = event("customer.updated", cached_customer, created=now)
    older = event("customer.updated", {**cached_customer, "name": "Stale"}, created=now - 60)
    assert deliver(hooked, newer).status_code == 200
    assert deliver(hooked, older).status_code == 200
    time.sleep(0.3)
    assert name_of(hooked, cached_customer["id"]) == "After"


def test_customer_deleted_is_answered_as_deleted(
    hooked: Gateway, cached_customer: dict[str, Any], fake: FakeStripe
) -> None:
    gone = {"id": cached_customer["id"], "object": "customer", "deleted": True}
    assert deliver(hooked, event("customer.deleted", gone)).status_code == 200
    eventually(lambda: name_of(hooked, cached_customer["id"]) is None)
    assert fake.requests() == []


def test_events_of_the_other_mode_are_ignored(
    hooked: Gateway, cached_customer: dict[str, Any]
) -> None:
    live = event("customer.updated", cached_customer, livemode=True)
    assert deliver(hooked, live).json()["status"] == "ignored"
    time.sleep(0.2)
    assert name_of(hooked, cached_customer["id"]) == "Before"


SUBSCRIPTIONS = "query($id: ID!) { stripeCustomer(id: $id) { subscriptions { id status } } }"


def test_subscription_event_invalidates_that_customers_subscriptions(
    hooked: Gateway, fake: FakeStripe
) -> None:
    tag = uuid.uuid4().hex[:10]
    owner = customer(f"cus_sub_{tag}", f"a@sub-{tag}.example", "Sub")
    subscription = json.loads(json.dumps(_template(fake, "subscriptions", "sub_alpha")))
    subscription.update(id=f"sub_{tag}", customer=owner["id"], status="active")
    fake.put(owner)
    fake.put(subscription)

    def statuses() -> list[str]:
        found = hooked.query(SUBSCRIPTIONS, {"id": owner["id"]})["stripeCustomer"]
        return [s["status"] for s in found["subscriptions"]]

    assert statuses() == ["active"]
    fake.put({**subscription, "status": "past_due"})
    assert statuses() == ["active"]  # cached
    updated = event("customer.subscription.updated", {**subscription, "status": "past_due"})
    assert deliver(hooked, updated).status_code == 200
    eventually(lambda: statuses() == ["past_due"])


CHARGES = (
    "query($id: ID!) { stripeCustomer(id: $id) { charges(first: 5) { edges { node { id } } } } }"
)


def _template(fake: FakeStripe, kind: str, object_id: str) -> dict[str, Any]:
    """A stored object of the fake, read through its API (the shape to copy)."""
    response = httpx.get(
        f"{fake.url}/v1/{kind}/{object_id}", headers={"Authorization": f"Bearer {TEST_KEY}"}
    )
    response.raise_for_status()
    return response.json()  # type: ignore[no-any-return]


def _charge_ids(gateway: Gateway, customer_id: str) -> list[str]:
    found = gateway.query(CHARGES, {"id": customer_id})["stripeCustomer"]
    return [e["node"]["id"] for e in found["charges"]["edges"]]


@pytest.fixture
def charged(hooked: Gateway, fake: FakeStripe) -> tuple[dict[str, Any], dict[str, Any]]:
    """A customer with one charge, its charges cached, and a second charge added behind the
    gateway's back."""
    tag = uuid.uuid4().hex[:10]
    owner = customer(f"cus_ch_{tag}", f"a@ch-{tag}.example", "Charged")
    template = _template(fake, "charges", "ch_alpha_1")
    first = {**template, "id": f"ch_{tag}_1", "customer": owner["id"], "created": 1700000001}
    fake.put(owner)
    fake.put(first)
    assert _charge_ids(hooked, owner["id"]) == [first["id"]]
    second = {**template, "id": f"ch_{tag}_2", "customer": owner["id"], "created": 1700000002}
    fake.put(second)
    assert _charge_ids(hooked, owner["id"]) == [first["id"]]  # cached
    return owner, second


def test_charge_event_invalidates_that_customers_charges(
    hooked: Gateway, charged: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    owner, second = charged
    assert deliver(hooked, event("charge.succeeded", second)).status_code == 200
    eventually(lambda: _charge_ids(hooked, owner["id"]) == [second["id"], second["id"][:-1] + "1"])


def test_dispute_event_finds_the_charges_customer_and_invalidates(
    hooked: Gateway, charged: tuple[dict[str, Any], dict[str, Any]], fake: FakeStripe
) -> None:
    """A dispute names only its charge: the worker reads the charge (in the background)."""
    owner, second = charged
    dispute = {"id": "dp_" + uuid.uuid4().hex[:10], "object": "dispute", "charge": second["id"]}
    fake.clear()
    # Stripe answering slowly does not slow the webhook's answer down.
    fake.fault(path=f"/v1/charges/{second['id']}", delay_ms=500, times=1)
    started = time.monotonic()
    response = deliver(hooked, event("charge.dispute.created", dispute))
    assert response.status_code == 200
    assert time.monotonic() - started < 0.2
    eventually(lambda: len(_charge_ids(hooked, owner["id"])) == 2)
    assert f"/v1/charges/{second['id']}" in fake.paths()


def test_event_of_another_customer_leaves_this_one_cached(
    hooked: Gateway, cached_customer: dict[str, Any], fake: FakeStripe
) -> None:
    other = customer(f"cus_other_{uuid.uuid4().hex[:8]}", "x@other.example", "Other")
    assert deliver(hooked, event("customer.updated", other)).status_code == 200
    sub = {"id": "sub_x", "object": "subscription", "customer": other["id"], "status": "active"}
    assert deliver(hooked, event("customer.subscription.deleted", sub)).status_code == 200
    time.sleep(0.3)
    fake.clear()
    assert name_of(hooked, cached_customer["id"]) == "Before"
    assert fake.requests() == []


def test_unhandled_event_types_are_acknowledged(hooked: Gateway) -> None:
    body = event("invoice.paid", {"id": "in_1", "object": "invoice", "customer": "cus_alpha"})
    response = deliver(hooked, body)
    assert response.status_code == 200


def test_the_endpoint_answers_within_100_ms(hooked: Gateway, fake: FakeStripe) -> None:
    durations = []
    for i in range(10):
        body = event("customer.updated", customer(f"cus_fast_{i}", f"f{i}@fast.example", "F"))
        started = time.monotonic()
        assert deliver(hooked, body).status_code == 200
        durations.append(time.monotonic() - started)
    assert statistics.median(durations) < 0.1, durations


def test_without_a_secret_the_endpoint_says_so(gateway: Gateway) -> None:
    body = json.dumps(event("customer.updated", customer("cus_x", "x@x.example", "X")))
    response = httpx.post(
        f"{gateway.url}/webhooks/stripe",
        content=body,
        headers={"Stripe-Signature": sign(body)},
    )
    assert response.status_code == 404
    assert "STRIPE_WEBHOOK_SECRET" in response.json()["errors"][0]["message"]


# The fresh customer: Stripe's search has not indexed it yet


@pytest.fixture(scope="module")
def lagging(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[FakeStripe, Gateway]]:
    """A fake whose search lags an hour behind writes, and a gateway (memory cache,
    webhook secret) in front of it."""
    data = json.loads(DATA.read_text())
    with serve_in_thread(fake_stripe.create_app(data, search_lag_seconds=3600)) as fake_url:
        db = tmp_path_factory.mktemp("lag") / "contacts.sqlite3"
        settings = load_settings(
            stripe_api_key=TEST_KEY,
            stripe_api_base=fake_url,
            database_url=f"sqlite+aiosqlite:///{db}",
            cache_url="memory://",
            stripe_webhook_secret=WHSEC,
            gateway_api_tokens=TEST_TOKEN,
        )
        with serve_in_thread(create_app(settings)) as url:
            yield FakeStripe(fake_url), Gateway(url, token=TEST_TOKEN)


def test_customer_created_webhook_matches_before_search_indexes_it(
    lagging: tuple[FakeStripe, Gateway],
) -> None:
    fake, gateway = lagging
    tag = uuid.uuid4().hex[:10]
    email = f"new.owner@fresh-{tag}.example"
    created = customer(f"cus_fresh_{tag}", email, "Fresh Owner")
    fake.put(created)
    # Search does not see it yet: the email (and the domain) match nothing.
    assert gateway.query(MATCH, {"e": email})["stripeMatch"]["method"] == "NONE"
    colleague = f"colleague@fresh-{tag}.example"
    assert gateway.query(MATCH, {"e": colleague})["stripeMatch"]["method"] == "NONE"

    assert deliver(gateway, event("customer.created", created)).status_code == 200

    def matched() -> bool:
        match = gateway.query(MATCH, {"e": email.upper()})["stripeMatch"]
        return match == {
            "method": "EMAIL",
            "customer": {"id": created["id"], "name": "Fresh Owner"},
        }

    eventually(matched)
    by_domain = gateway.query(MATCH, {"e": colleague})["stripeMatch"]
    assert by_domain == {
        "method": "DOMAIN",
        "customer": {"id": created["id"], "name": "Fresh Owner"},
    }
    # And Stripe's search still does not know it: the match came from the webhook.
    search = httpx.get(
        f"{fake.url}/v1/customers/search",
        params={"query": f'email:"{email}"'},
        headers={"Authorization": f"Bearer {TEST_KEY}"},
    )
    assert search.json()["data"] == []
