"""The typed error model over real HTTP: every error carries one of the listed codes;
Stripe failures keep their kind (and the missing permission); one contact's failure leaves
the others intact; unexpected errors are masked to a request id that is in the log."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.integration.conftest import ERROR_CODES as CODES
from tests.integration.conftest import FakeStripe, Gateway, GatewayFactory

MATCH = "query($e: String!) { stripeMatch(contact: {email: $e}) { method customer { id } } }"
CUSTOMER = """query($id: ID!) { stripeCustomer(id: $id) { id name
  charges(first: 3) { edges { node { id } } } } }"""


def errors_of(response: httpx.Response) -> list[dict[str, Any]]:
    """The response's errors, each checked to carry a listed code."""
    errors: list[dict[str, Any]] = response.json().get("errors") or []
    for error in errors:
        assert error["extensions"]["code"] in CODES, error
    return errors


@pytest.fixture(scope="module")
def no_retries(start_gateway: GatewayFactory) -> Iterator[Gateway]:
    with start_gateway(stripe_rate_limit_retries=0, stripe_max_network_retries=0) as running:
        yield running


@pytest.mark.parametrize(
    ("status", "code"),
    [
        (401, "STRIPE_AUTH_FAILED"),
        (403, "STRIPE_PERMISSION_DENIED"),
        (429, "RATE_LIMITED"),
        (500, "STRIPE_UNAVAILABLE"),
        (503, "STRIPE_UNAVAILABLE"),
    ],
)
def test_stripe_failures_keep_their_kind(
    no_retries: Gateway, fresh: FakeStripe, status: int, code: str
) -> None:
    fresh.fault(path="/v1/customers/search", status=status)
    response = no_retries.post(MATCH, {"e": f"x-{uuid.uuid4().hex[:8]}@acme-failure.example"})
    assert response.status_code == 200
    [error] = errors_of(response)
    assert error["extensions"]["code"] == code
    assert error["path"] == ["stripeMatch", "customer"]
    assert "rk_test_" not in response.text


def test_permission_denied_names_the_missing_permission(
    gateway: Gateway, fresh: FakeStripe
) -> None:
    """A key without Charges: Read: the customer's details are shown, its charges are an
    error that names `rak_charge_read`."""
    fresh.fault(path="/v1/charges", status=403)
    response = gateway.post(
        '{ details: stripeCustomer(id: "cus_alpha") { name }'
        ' withCharges: stripeCustomer(id: "cus_alpha") { charges(first: 3) { edges { node { id } } } } }'
    )
    body = response.json()
    assert body["data"] == {"details": {"name": "Alpha"}, "withCharges": None}
    [error] = errors_of(response)
    assert error["path"] == ["withCharges", "charges"]
    assert error["extensions"] == {
        "code": "STRIPE_PERMISSION_DENIED",
        "permission": "rak_charge_read",
    }
    assert "rak_charge_read" in error["message"]
    assert "rk_test_" not in response.text


def test_one_contacts_failure_leaves_the_others_intact(gateway: Gateway, fresh: FakeStripe) -> None:
    ok, failing = f"c-{uuid.uuid4().hex[:10]}", f"c-{uuid.uuid4().hex[:10]}"
    gateway.identify(ok, email="alpha@alpha.example")
    gateway.identify(failing, customData={"stripeCustomerId": "cus_bravo"})
    fresh.fault(path="/v1/customers/cus_bravo", status=500)
    response = gateway.post(
        "query($a: ID!, $b: ID!) { a: contact(id: $a) { stripeMatch { method customer { id } } }"
        " b: contact(id: $b) { stripeMatch { method customer { id } } } }",
        {"a": ok, "b": failing},
    )
    body = response.json()
    assert body["data"]["a"]["stripeMatch"] == {"method": "EMAIL", "customer": {"id": "cus_alpha"}}
    assert body["data"]["b"]["stripeMatch"]["customer"] is None
    [error] = errors_of(response)
    assert error["path"] == ["b", "stripeMatch", "customer"]
    assert error["extensions"]["code"] == "STRIPE_UNAVAILABLE"


def test_unexpected_error_is_masked_and_logged_with_its_request_id(
    gateway: Gateway, fake: FakeStripe, caplog: pytest.LogCaptureFixture
) -> None:
    """A Stripe object the gateway cannot read (address is a string): INTERNAL, with only a
    request id in the answer, and the traceback under that id in the log."""
    customer_id = f"cus_broken_{uuid.uuid4().hex[:8]}"
    fake.put({"id": customer_id, "object": "customer", "email": "b@b.example", "address": "x"})
    with caplog.at_level(logging.ERROR, logger="stripe_gateway"):
        response = gateway.post(CUSTOMER, {"id": customer_id})
    [error] = errors_of(response)
    assert error["extensions"]["code"] == "INTERNAL"
    request_id = error["extensions"]["requestId"]
    assert error["message"] == f"Internal error; quote request id {request_id} to the operator"
    assert "AttributeError" not in response.text and "Traceback" not in response.text
    logged = [r for r in caplog.records if request_id in r.getMessage()]
    assert logged and logged[0].exc_info is not None


def test_validation_and_input_errors_are_bad_user_input(gateway: Gateway) -> None:
    for query, variables in [
        ("{ nope }", None),
        ("{ contact { id } }", None),
        ("query($id: ID!) { contact(id: $id) { id } }", {}),
        ("query($id: ID!) { contact(id: $id) { id } }", {"id": {"x": 1}}),
        ('{ stripeCustomer(id: "not-a-customer-id") { id } }', None),
        ("{", None),
    ]:
        response = gateway.post(query, variables)
        errors = errors_of(response)
        assert errors and {e["extensions"]["code"] for e in errors} == {"BAD_USER_INPUT"}


def test_unknown_things_are_null_or_not_found(gateway: Gateway) -> None:
    data = gateway.query('{ contact(id: "no-such-contact") { id } }')
    assert data == {"contact": None}
    data = gateway.query('{ stripeCustomer(id: "cus_nosuchcustomer") { id } }')
    assert data == {"stripeCustomer": None}
    response = httpx.get(
        f"{gateway.url}/nowhere", headers={"Authorization": f"Bearer {gateway.token}"}
    )
    assert errors_of(response)[0]["extensions"]["code"] == "NOT_FOUND"
