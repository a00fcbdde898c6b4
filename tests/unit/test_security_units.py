"""Unit tests of the security pieces: query measurement, the authenticator, settings checks,
webhook signatures and the webhook processor, and the start-up policy."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import jwt
import pytest
from graphql import parse

from stripe_gateway.auth import Authenticator, Rejected
from stripe_gateway.config import ConfigError, load_settings
from stripe_gateway.records import Customer
from stripe_gateway.schema.limits import measure
from stripe_gateway.security import check_serving_policy
from stripe_gateway.stripe_api.webhook_signature import InvalidWebhook, sign_payload, verify_event
from stripe_gateway.webhooks import WebhookProcessor

# Query measurement


@pytest.mark.parametrize(
    ("query", "depth", "aliases"),
    [
        ("{ a }", 1, 0),
        ("{ a { b { c } } }", 3, 0),
        ("{ x: a { y: b } z: c }", 2, 3),
        ("query A { a { b } } query B { c { d { e } } }", 3, 0),
        ("{ ...F } fragment F on Q { a { b } }", 2, 0),
        ("{ a { ... on T { b { c } } } }", 3, 0),
        ("{ __schema { types { fields { name } } } }", 1, 0),
        ("{ a { __typename } }", 2, 0),
        ("{ ...F } fragment F on Q { ...F }", 0, 0),  # a cycle counts as empty
        ("{ ...Missing }", 0, 0),
    ],
)
def test_measure(query: str, depth: int, aliases: int) -> None:
    assert measure(parse(query)) == (depth, aliases)


def test_measure_is_linear_in_fragment_chains() -> None:
    """2^200 aliases once expanded, measured at once."""
    chain = " ".join(f"fragment F{i} on Q {{ ...F{i + 1} ...F{i + 1} }}" for i in range(200))
    document = parse(f"{{ ...F0 }} {chain} fragment F200 on Q {{ a: x {{ b: y }} }}")
    started = time.monotonic()
    assert measure(document) == (2, 2 * 2**200)
    assert time.monotonic() - started < 0.5


# Authenticator

SECRET = "s" * 40


def test_static_tokens() -> None:
    auth = Authenticator(("first-token", "second-token"))
    assert auth.authenticate("Bearer second-token").subject == "token#2"
    assert auth.authenticate("bearer   first-token  ").subject == "token#1"
    for bad in (None, "", "first-token", "Basic first-token", "Bearer", "Bearer first"):
        with pytest.raises(Rejected):
            auth.authenticate(bad)


def test_jwt_requires_exp_and_pinned_algorithm() -> None:
    auth = Authenticator(jwt_key=SECRET, jwt_algorithms=["HS256"])
    now = int(time.time())
    good = jwt.encode({"sub": "a", "exp": now + 60}, SECRET, "HS256")
    assert auth.authenticate(f"Bearer {good}").subject == "a"
    with pytest.raises(Rejected, match="expired"):
        auth.authenticate(f"Bearer {jwt.encode({'exp': now - 60}, SECRET, 'HS256')}")
    with pytest.raises(Rejected):
        auth.authenticate(f"Bearer {jwt.encode({'sub': 'a'}, SECRET, 'HS256')}")  # no exp


def test_authenticator_refuses_none_algorithm() -> None:
    with pytest.raises(ConfigError):
        Authenticator(jwt_key=SECRET, jwt_algorithms=["none"])
    with pytest.raises(ConfigError):
        Authenticator(jwt_key=SECRET, jwt_algorithms=[])


@pytest.mark.parametrize(
    ("settings", "problem"),
    [
        ({"gateway_jwt_algorithms": "HS256,none"}, "none"),
        ({"gateway_jwt_secret": SECRET, "gateway_jwt_algorithms": "RS256"}, "HS256"),
        ({"gateway_jwt_public_key": "x", "gateway_jwt_algorithms": "HS256"}, "HMAC"),
        ({"gateway_jwt_secret": SECRET, "gateway_jwt_public_key": "x"}, "not both"),
        ({"gateway_env": "staging"}, "GATEWAY_ENV"),
        ({"gateway_cors_origins": "https://a.example/path"}, "origin"),
        ({"gateway_max_page_size": "101"}, "GATEWAY_MAX_PAGE_SIZE"),
        ({"stripe_webhook_tolerance_seconds": "0"}, "STRIPE_WEBHOOK_TOLERANCE_SECONDS"),
    ],
)
def test_bad_security_settings_are_refused(settings: dict[str, Any], problem: str) -> None:
    with pytest.raises(ConfigError, match=problem):
        load_settings(**settings)


def test_public_key_must_be_a_pem() -> None:
    with pytest.raises(ConfigError, match="PEM"):
        Authenticator.from_settings(load_settings(gateway_jwt_public_key="not a key"))


def test_production_defaults_and_explicit_switches() -> None:
    production = load_settings(gateway_env="Production")
    assert production.is_production
    assert not production.introspection_enabled
    assert not production.field_suggestions_enabled
    assert not production.graphiql_enabled
    back_on = load_settings(
        gateway_env="production",
        gateway_introspection="true",
        gateway_field_suggestions="1",
        gateway_graphiql="on",
    )
    assert back_on.introspection_enabled and back_on.field_suggestions_enabled
    assert back_on.graphiql_enabled
    development = load_settings(gateway_graphiql="false", gateway_introspection="")
    assert not development.graphiql_enabled and development.introspection_enabled
    assert load_settings(gateway_auth="off").gateway_auth is False


# Start-up policy


def policy(**settings: Any) -> list[str]:
    return check_serving_policy(load_settings(**settings))


def test_policy() -> None:
    token = "t" * 32
    assert policy(stripe_api_key="rk_live_" + "a" * 20, gateway_api_tokens=token) == []
    with pytest.raises(ConfigError, match="no credentials"):
        policy(stripe_api_key="rk_live_" + "a" * 20)
    assert "GATEWAY_AUTH=off" in policy(stripe_api_key="rk_test_abc", gateway_auth="off")[0]
    with pytest.raises(ConfigError, match="live secret key"):
        policy(stripe_api_key="sk_live_" + "a" * 20, gateway_api_tokens=token)
    allowed = policy(
        stripe_api_key="sk_live_" + "a" * 20,
        gateway_api_tokens=token,
        stripe_allow_secret_key="true",
    )
    assert "secret key (sk_)" in allowed[0]
    assert "secret key (sk_)" in policy(stripe_api_key="sk_test_abc", gateway_api_tokens=token)[0]
    with pytest.raises(ConfigError, match="publishable"):
        policy(stripe_api_key="pk_live_abc", gateway_api_tokens=token)
    assert "shorter than 24" in policy(stripe_api_key="rk_test_x", gateway_api_tokens="short")[0]
    assert "256 bits" in policy(stripe_api_key="rk_test_x", gateway_jwt_secret="short")[0]


# Webhook signatures

WHSEC = "whsec_unit_0123456789abcdef"
EVENT = json.dumps(
    {
        "id": "evt_1",
        "object": "event",
        "type": "customer.updated",
        "data": {"object": {"id": "cus_1"}},
    }
)


def test_signature_tolerance_is_300_seconds_both_ways() -> None:
    now = float(int(time.time()))
    for offset in (-300, 0, 300):
        header = sign_payload(EVENT, WHSEC, int(now) + offset)
        assert verify_event(EVENT.encode(), header, [WHSEC], tolerance_seconds=300, now=now)
    for offset in (-301, 301):
        header = sign_payload(EVENT, WHSEC, int(now) + offset)
        with pytest.raises(InvalidWebhook, match="300 s"):
            verify_event(EVENT.encode(), header, [WHSEC], tolerance_seconds=300, now=now)


def test_any_of_several_secrets_verifies_while_rolling() -> None:
    header = sign_payload(EVENT, "whsec_new_secret_0123456789")
    event = verify_event(
        EVENT.encode(), header, [WHSEC, "whsec_new_secret_0123456789"], tolerance_seconds=300
    )
    assert event["id"] == "evt_1"
    with pytest.raises(InvalidWebhook, match="does not match"):
        verify_event(EVENT.encode(), header, [WHSEC], tolerance_seconds=300)
    with pytest.raises(InvalidWebhook, match="no webhook secret"):
        verify_event(EVENT.encode(), header, [], tolerance_seconds=300)


def test_signature_over_a_tampered_body_fails() -> None:
    header = sign_payload(EVENT, WHSEC)
    tampered = EVENT.replace("cus_1", "cus_2").encode()
    with pytest.raises(InvalidWebhook, match="does not match"):
        verify_event(tampered, header, [WHSEC], tolerance_seconds=300)


# The webhook processor


class RecordingCache:
    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []

    async def remember_customer(self, customer: Customer) -> None:
        self.calls.append(("remember", f"{customer.id}:{customer.name}"))

    async def forget_customer(self, customer_id: str) -> None:
        self.calls.append(("forget", customer_id))

    async def invalidate_customer(self, customer_id: str) -> None:
        self.calls.append(("invalidate_customer", customer_id))

    async def invalidate_charges(self, customer_id: str) -> None:
        self.calls.append(("invalidate_charges", customer_id))

    async def invalidate_subscriptions(self, customer_id: str) -> None:
        self.calls.append(("invalidate_subscriptions", customer_id))


def make_event(kind: str, obj: dict[str, Any], created: int = 100, **extra: Any) -> dict[str, Any]:
    return {
        "id": f"evt_{kind}_{obj.get('id')}_{created}",
        "object": "event",
        "type": kind,
        "created": created,
        "livemode": False,
        "data": {"object": obj},
        **extra,
    }


async def run_events(events: list[dict[str, Any]]) -> tuple[list[str], list[tuple[str, str]]]:
    cache = RecordingCache()

    async def owner(charge_id: str) -> str | None:
        return {"ch_1": "cus_of_ch_1"}.get(charge_id)

    processor = WebhookProcessor(cache, owner, livemode=False)
    outcomes = [processor.submit(e) for e in events]
    await processor.drain()
    await processor.aclose()
    return outcomes, cache.calls


def test_processor_routes_each_event_to_exactly_its_customer() -> None:
    outcomes, calls = asyncio.run(
        run_events(
            [
                make_event("customer.created", {"id": "cus_a", "object": "customer", "name": "A"}),
                make_event("customer.deleted", {"id": "cus_b", "object": "customer"}),
                make_event("customer.subscription.updated", {"id": "sub", "customer": "cus_c"}),
                make_event("customer.discount.created", {"id": "di", "customer": "cus_d"}),
                make_event("charge.refunded", {"id": "ch_9", "customer": {"id": "cus_e"}}),
                make_event("charge.dispute.created", {"id": "dp", "charge": "ch_1"}),
                make_event("charge.refund.updated", {"id": "re", "charge": {"customer": "cus_f"}}),
                make_event("charge.dispute.closed", {"id": "dp2", "charge": "ch_unknown"}),
                make_event("charge.succeeded", {"id": "ch_guest", "customer": None}),
                make_event("invoice.paid", {"id": "in", "customer": "cus_g"}),
            ]
        )
    )
    assert outcomes == ["queued"] * 10
    assert calls == [
        ("remember", "cus_a:A"),
        ("forget", "cus_b"),
        ("invalidate_subscriptions", "cus_c"),
        ("invalidate_customer", "cus_d"),
        ("invalidate_charges", "cus_e"),
        ("invalidate_charges", "cus_of_ch_1"),
        ("invalidate_charges", "cus_f"),
    ]


def test_processor_dedupes_ignores_other_mode_and_older_snapshots() -> None:
    customer = {"id": "cus_a", "object": "customer"}
    newer = make_event("customer.updated", {**customer, "name": "new"}, created=200)
    older = make_event("customer.updated", {**customer, "name": "old"}, created=100)
    live = make_event("customer.updated", {**customer, "name": "live"}, created=300, livemode=True)
    resurrect = make_event("customer.updated", {**customer, "name": "zombie"}, created=250)
    deleted = make_event("customer.deleted", customer, created=260)
    outcomes, calls = asyncio.run(run_events([newer, newer, older, live, deleted, resurrect]))
    assert outcomes == ["queued", "duplicate", "queued", "ignored", "queued", "queued"]
    assert calls == [("remember", "cus_a:new"), ("forget", "cus_a")]


# The middleware behind a proxy that mounts the app under a root path


def test_auth_middleware_under_a_root_path() -> None:
    from stripe_gateway.auth import AuthMiddleware

    reached: list[str] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        reached.append(scope["path"])

    async def call(path: str, authorization: str | None = None) -> int | None:
        headers = [(b"authorization", authorization.encode())] if authorization else []
        scope = {
            "type": "http",
            "method": "GET",
            "path": path,
            "root_path": "/api",
            "query_string": b"",
            "headers": headers,
        }
        sent: list[dict[str, Any]] = []

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        await AuthMiddleware(app, Authenticator(("t" * 30,)))(scope, receive, send)
        return sent[0]["status"] if sent else None

    assert asyncio.run(call("/api/healthz")) is None
    assert asyncio.run(call("/api/graphql")) == 401
    assert asyncio.run(call("/api/graphql", "Bearer " + "t" * 30)) is None
    assert asyncio.run(call("/healthz/x")) == 401
    assert reached == ["/api/healthz", "/api/graphql"]
