"""Contacts over GraphQL, on a SQLite file and on PostgreSQL, and bad input that changes nothing."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from tests.integration.conftest import Gateway, GatewayFactory

CONTACT = "query($id: ID!) { contact(id: $id) { id name email customData createdAt updatedAt } }"
IDENTIFY = "mutation($i: IdentifyContactInput!) { identifyContact(input: $i) { id name email customData } }"


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def store_gateway(
    request: pytest.FixtureRequest, start_gateway: GatewayFactory
) -> Iterator[Gateway]:
    """A gateway per database backend."""
    overrides: dict[str, Any] = {}
    if request.param == "postgresql":
        overrides["database_url"] = request.getfixturevalue("postgres_url")
    with start_gateway(**overrides) as gateway:
        yield gateway


def test_identify_upserts_and_merges_custom_data(store_gateway: Gateway) -> None:
    cid = f"c-{uuid.uuid4().hex[:10]}"
    store_gateway.query(
        IDENTIFY,
        {
            "i": {
                "id": cid,
                "name": "Ann",
                "email": "ann@a.example",
                "customData": {"plan": "pro", "seats": 3},
            }
        },
    )
    updated = store_gateway.query(
        IDENTIFY,
        {"i": {"id": cid, "email": "ann@b.example", "customData": {"seats": None, "tier": "gold"}}},
    )["identifyContact"]
    assert updated == {
        "id": cid,
        "name": "Ann",
        "email": "ann@b.example",
        "customData": {"plan": "pro", "tier": "gold"},
    }
    stored = store_gateway.query(CONTACT, {"id": cid})["contact"]
    assert stored["customData"] == {"plan": "pro", "tier": "gold"}
    assert stored["updatedAt"] >= stored["createdAt"]


def test_contacts_paginate_with_search(store_gateway: Gateway) -> None:
    tag = uuid.uuid4().hex[:8]
    for i in range(5):
        store_gateway.identify(f"{tag}-{i}", name=f"page-{tag} {i}")
    query = "query($s: String, $a: String) { contacts(first: 2, search: $s, after: $a) { edges { node { id } } pageInfo { hasNextPage endCursor } } }"
    seen: list[str] = []
    after = None
    while True:
        page = store_gateway.query(query, {"s": f"page-{tag}", "a": after})["contacts"]
        seen += [e["node"]["id"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == [f"{tag}-{i}" for i in range(5)]


def test_delete_contact(store_gateway: Gateway) -> None:
    cid = f"c-{uuid.uuid4().hex[:10]}"
    store_gateway.identify(cid, name="Short-lived")
    assert store_gateway.query("mutation($id: ID!) { deleteContact(id: $id) }", {"id": cid}) == {
        "deleteContact": True
    }
    assert store_gateway.query("mutation($id: ID!) { deleteContact(id: $id) }", {"id": cid}) == {
        "deleteContact": False
    }
    assert store_gateway.query(CONTACT, {"id": cid}) == {"contact": None}


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"email": "not an email"}, "email"),
        ({"email": "a@b.example\r\nBcc: x@y.example"}, "email"),
        ({"customData": ["not", "an", "object"]}, "customData"),
        ({"customData": {"blob": "x" * 40_000}}, "customData"),
        ({"name": "bad\x00name"}, "name"),
    ],
)
def test_bad_input_is_rejected_and_changes_nothing(
    store_gateway: Gateway, fields: dict[str, Any], field: str
) -> None:
    cid = f"c-{uuid.uuid4().hex[:10]}"
    store_gateway.identify(cid, name="Kept", email="kept@kept.example", customData={"a": 1})
    before = store_gateway.query(CONTACT, {"id": cid})["contact"]
    response = store_gateway.post(IDENTIFY, {"i": {"id": cid, **fields}})
    assert response.status_code == 200
    [error] = response.json()["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert field in error["message"]
    assert store_gateway.query(CONTACT, {"id": cid})["contact"] == before


@pytest.mark.parametrize(
    "body",
    [
        {"query": "{ contact(id: "},
        {"query": "{ nope }"},
        {"query": "query($id: ID!) { contact(id: $id) { id } }", "variables": {"id": {"a": 1}}},
        {"query": "{ contacts(first: 1000) { edges { cursor } } }"},
    ],
)
def test_malformed_graphql_gets_a_typed_error_not_a_500(
    gateway: Gateway, body: dict[str, Any]
) -> None:
    import httpx

    response = httpx.post(f"{gateway.url}/graphql", json=body, headers=_auth(gateway))
    assert response.status_code in (200, 400)
    errors = response.json()["errors"]
    assert errors
    assert all(e["extensions"]["code"] == "BAD_USER_INPUT" for e in errors)


def _auth(gateway: Gateway) -> dict[str, str]:
    return {"Authorization": f"Bearer {gateway.token}"} if gateway.token else {}


def test_health_and_readiness(gateway: Gateway) -> None:
    import httpx

    assert httpx.get(f"{gateway.url}/healthz").json() == {"status": "ok"}
    ready = httpx.get(f"{gateway.url}/readyz")
    assert ready.status_code == 200
