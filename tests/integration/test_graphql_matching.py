"""The matching rule end to end: GraphQL over HTTP, the gateway under uvicorn, the fake Stripe."""

from __future__ import annotations

import uuid
from typing import Any

from tests.integration.conftest import FakeStripe, Gateway

MATCH = """
query($id: ID!) { contact(id: $id) { stripeMatch {
  method customer { id } alternatives { id } trail { method outcome detail } } } }
"""


def new_id() -> str:
    return f"c-{uuid.uuid4().hex[:12]}"


def match_of(gateway: Gateway, **contact: Any) -> dict[str, Any]:
    contact_id = new_id()
    gateway.identify(contact_id, **contact)
    data = gateway.query(MATCH, {"id": contact_id})
    return data["contact"]["stripeMatch"]  # type: ignore[no-any-return]


def outcomes(match: dict[str, Any]) -> list[tuple[str, str]]:
    return [(s["method"], s["outcome"]) for s in match["trail"]]


def test_customer_id_match_costs_exactly_one_stripe_request(
    gateway: Gateway, fresh: FakeStripe
) -> None:
    contact_id = new_id()
    gateway.identify(
        contact_id, email="alpha@alpha.example", customData={"stripeCustomerId": "cus_alpha"}
    )
    fresh.clear()
    data = gateway.query(
        "query($id: ID!) { contact(id: $id) { stripeMatch { method customer { id"
        " subscriptions { status } } } } }",
        {"id": contact_id},
    )
    match = data["contact"]["stripeMatch"]
    assert match["method"] == "CUSTOMER_ID"
    assert match["customer"] == {"id": "cus_alpha", "subscriptions": [{"status": "active"}]}
    assert fresh.paths() == ["/v1/customers/cus_alpha"]


def test_contact_without_email_or_id_costs_no_stripe_request(
    gateway: Gateway, fresh: FakeStripe
) -> None:
    match = match_of(gateway, name="Nobody", customData={"plan": "free"})
    assert match["method"] == "NONE"
    assert match["customer"] is None
    assert outcomes(match) == [
        ("CUSTOMER_ID", "SKIPPED_NO_VALUE"),
        ("EMAIL", "SKIPPED_NO_VALUE"),
        ("DOMAIN", "SKIPPED_NO_VALUE"),
    ]
    assert fresh.requests() == []


def test_twenty_contacts_sharing_one_email_cost_one_search(
    gateway: Gateway, fresh: FakeStripe
) -> None:
    tag = uuid.uuid4().hex[:8]
    for i in range(20):
        gateway.identify(f"{tag}-{i}", name=f"shared-{tag}", email="dup@dup.example")
    fresh.clear()
    data = gateway.query(
        "query($s: String) { contacts(first: 20, search: $s) { edges { node {"
        " stripeMatch { method customer { id } } } } } }",
        {"s": f"shared-{tag}"},
    )
    matches = [e["node"]["stripeMatch"] for e in data["contacts"]["edges"]]
    assert len(matches) == 20
    assert all(m == {"method": "EMAIL", "customer": {"id": "cus_dup_live"}} for m in matches)
    assert fresh.paths() == ["/v1/customers/search"]


def test_deleted_customer_id_falls_through_to_email(gateway: Gateway, fresh: FakeStripe) -> None:
    match = match_of(
        gateway, email="bravo.person@bravo.example", customData={"stripeCustomerId": "cus_gone"}
    )
    assert match["method"] == "EMAIL"
    assert match["customer"] == {"id": "cus_bravo"}
    assert outcomes(match) == [("CUSTOMER_ID", "DELETED"), ("EMAIL", "MATCHED")]
    assert "cus_gone" in match["trail"][0]["detail"]


def test_unknown_customer_id_falls_through_with_not_found(
    gateway: Gateway, fresh: FakeStripe
) -> None:
    match = match_of(
        gateway, email=" BRAVO.person@bravo.EXAMPLE ", customData={"stripeCustomerId": "cus_nope"}
    )
    assert match["customer"] == {"id": "cus_bravo"}
    assert outcomes(match) == [("CUSTOMER_ID", "NOT_FOUND"), ("EMAIL", "MATCHED")]


def test_duplicate_emails_prefer_live_subscription_then_newest(
    gateway: Gateway, fresh: FakeStripe
) -> None:
    match = match_of(gateway, email="dup@dup.example")
    assert match["method"] == "EMAIL"
    assert match["customer"] == {"id": "cus_dup_live"}
    assert match["alternatives"] == [{"id": "cus_dup_new"}, {"id": "cus_dup_old"}]


def test_duplicates_created_at_once_are_ordered_by_id(gateway: Gateway, fresh: FakeStripe) -> None:
    match = match_of(gateway, email="tie@tie.example")
    assert match["customer"] == {"id": "cus_dup_tie_a"}
    assert match["alternatives"] == [{"id": "cus_dup_tie_b"}]


def test_domain_matches_exact_domain_only(gateway: Gateway, fresh: FakeStripe) -> None:
    match = match_of(gateway, email="newcomer@initrode.example")
    assert match["method"] == "DOMAIN"
    # The trialing subscription wins over the newer customer without one.
    assert match["customer"] == {"id": "cus_initrode_old"}
    assert match["alternatives"] == [{"id": "cus_initrode_new"}]
    assert outcomes(match) == [
        ("CUSTOMER_ID", "SKIPPED_NO_VALUE"),
        ("EMAIL", "NOT_FOUND"),
        ("DOMAIN", "MATCHED"),
    ]


def test_public_provider_domain_is_skipped(gateway: Gateway, fresh: FakeStripe) -> None:
    match = match_of(gateway, email="stranger@gmail.com")
    assert match["method"] == "NONE"
    assert outcomes(match)[-1] == ("DOMAIN", "SKIPPED_PUBLIC_DOMAIN")
    assert all("~" not in str(r["query"]) for r in fresh.requests())


def test_deleted_customer_never_matches_by_email(gateway: Gateway, fresh: FakeStripe) -> None:
    match = match_of(gateway, email="ghost@ghost.example")
    assert match["customer"] is None or match["customer"]["id"] != "cus_deleted_email"


def test_apostrophe_email_matches(gateway: Gateway, fresh: FakeStripe) -> None:
    match = match_of(gateway, email="o'brien@acme.example")
    assert match["customer"] == {"id": "cus_obrien"}


def test_hostile_email_matches_nothing_and_reaches_no_stripe(
    gateway: Gateway, fresh: FakeStripe
) -> None:
    data = gateway.query(
        "query($c: ContactInput!) { stripeMatch(contact: $c) { method customer { id }"
        " trail { method outcome } } }",
        {"c": {"email": "x' OR email~'a", "customData": {"stripeCustomerId": "cus_x' OR 1"}}},
    )
    match = data["stripeMatch"]
    assert match["method"] == "NONE"
    assert outcomes(match) == [
        ("CUSTOMER_ID", "SKIPPED_INVALID"),
        ("EMAIL", "SKIPPED_INVALID"),
        ("DOMAIN", "SKIPPED_INVALID"),
    ]
    assert fresh.requests() == []


def test_identify_rejects_hostile_email_and_keeps_the_contact(gateway: Gateway) -> None:
    contact_id = new_id()
    gateway.identify(contact_id, email="keep@keep.example")
    response = gateway.post(
        "mutation($i: IdentifyContactInput!) { identifyContact(input: $i) { id } }",
        {"i": {"id": contact_id, "email": "x' OR email~'a"}},
    )
    body = response.json()
    assert response.status_code == 200
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    stored = gateway.query("query($id: ID!) { contact(id: $id) { email } }", {"id": contact_id})
    assert stored["contact"]["email"] == "keep@keep.example"


def test_stripe_failure_is_an_error_not_a_miss(gateway: Gateway, fresh: FakeStripe) -> None:
    ok_id, failing_id = new_id(), new_id()
    gateway.identify(ok_id, email="bravo.person@bravo.example")
    gateway.identify(failing_id, email="x@y.example", customData={"stripeCustomerId": "cus_alpha"})
    fresh.fault(path="/v1/customers/cus_alpha", status=500)
    response = gateway.post(
        "query($a: ID!, $b: ID!) { ok: contact(id: $a) { stripeMatch { customer { id } } }"
        " bad: contact(id: $b) { stripeMatch { method customer { id } trail { outcome } } } }",
        {"a": ok_id, "b": failing_id},
    )
    body = response.json()
    assert response.status_code == 200
    assert body["data"]["ok"]["stripeMatch"]["customer"] == {"id": "cus_bravo"}
    bad = body["data"]["bad"]["stripeMatch"]
    assert bad["method"] == "NONE"
    assert bad["customer"] is None
    assert [s["outcome"] for s in bad["trail"]] == ["UNAVAILABLE"]
    [error] = body["errors"]
    assert error["path"] == ["bad", "stripeMatch", "customer"]
    assert error["extensions"]["code"] == "STRIPE_UNAVAILABLE"
    # The failing contact's email was never searched: no fall-through to a weaker step.
    assert "x@y.example" not in str([r["query"] for r in fresh.requests()])


def test_stripe_permission_error_names_the_permission(gateway: Gateway, fresh: FakeStripe) -> None:
    fresh.fault(path="/v1/customers/search", status=403)
    response = gateway.post(
        '{ stripeMatch(contact: {email: "bravo.person@bravo.example"}) { customer { id } } }'
    )
    [error] = response.json()["errors"]
    assert error["extensions"]["code"] == "STRIPE_PERMISSION_DENIED"
    assert error["extensions"]["permission"] == "rak_customer_read"
    assert "rk_test_" not in response.text


def test_search_disabled_uses_list_endpoint_and_domain_is_unavailable(
    start_gateway: Any, fake: FakeStripe
) -> None:
    with start_gateway(stripe_search_enabled=False) as gateway:
        fake.clear()
        match = match_of(gateway, email="Bravo.Person@Bravo.example")
        assert match["customer"] == {"id": "cus_bravo"}
        fake.clear()
        miss = match_of(gateway, email="newcomer@initrode.example")
        assert outcomes(miss)[-1] == ("DOMAIN", "UNAVAILABLE")
        assert all(p == "/v1/customers" for p in fake.paths())


def test_public_domains_setting_adds_a_provider(start_gateway: Any, fake: FakeStripe) -> None:
    with start_gateway(match_public_domains_add=("initrode.example",)) as gateway:
        match = match_of(gateway, email="newcomer@initrode.example")
        assert outcomes(match)[-1] == ("DOMAIN", "SKIPPED_PUBLIC_DOMAIN")
