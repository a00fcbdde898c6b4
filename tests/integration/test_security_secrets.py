"""No key, token or secret in logs, errors or responses.

One gateway runs with known secrets (Stripe key, webhook secret, two API tokens, a JWT
secret). Every error path is driven over HTTP while every log record of the process is
captured at DEBUG (the root logger, uvicorn's own loggers, the Stripe SDK, httpx); then
neither the logs nor any response (body or headers) may contain any of the secrets.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import jwt
import pytest
import stripe

from stripe_gateway.config import ConfigError, load_settings
from stripe_gateway.security import check_serving_policy, mask_secret
from stripe_gateway.server import create_app
from tests.integration.conftest import FakeStripe, Gateway
from tests.servers import serve_in_thread

STRIPE_KEY = "rk_test_LEAKCANARYstripekey7Q2w9E4r"
WEBHOOK_SECRET = "whsec_LEAKCANARYwebhook5T8y1U3i"
TOKENS = ("tok-LEAKCANARYtoken-one-6O0p2A4s", "tok-LEAKCANARYtoken-two-7D9f1G3h")
JWT_SECRET = "jwt-LEAKCANARYsecret-8J0k2L4z6X8c0V2b4N6m"
SECRETS = (STRIPE_KEY, WEBHOOK_SECRET, *TOKENS, JWT_SECRET)
# The distinctive middle of each secret: a leak of a secret without its prefix shows too.
CORES = tuple(s.split("LEAKCANARY", 1)[1][:16] for s in SECRETS)

LOGGERS = ("", "uvicorn", "uvicorn.error", "uvicorn.access", "stripe", "httpx", "httpcore")


class Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))  # includes the traceback, if any


@pytest.fixture
def captured_logs() -> Iterator[Capture]:
    handler = Capture()
    saved = {}
    for name in LOGGERS:
        logger = logging.getLogger(name)
        saved[name] = logger.level
        logger.setLevel(logging.DEBUG)
        logger.addHandler(handler)
    try:
        yield handler
    finally:
        for name in LOGGERS:
            logging.getLogger(name).removeHandler(handler)
            logging.getLogger(name).setLevel(saved[name])


def assert_clean(text: str, where: str) -> None:
    for secret in (*SECRETS, *CORES):
        assert secret not in text, f"{where} leaks {mask_secret(secret)}"


def test_no_secret_in_logs_or_responses(
    fake: FakeStripe, tmp_path: Path, captured_logs: Capture
) -> None:
    answers: list[httpx.Response] = []
    settings = load_settings(
        stripe_api_key=STRIPE_KEY,
        stripe_api_base=fake.url,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'contacts.sqlite3'}",
        stripe_webhook_secret=WEBHOOK_SECRET,
        gateway_api_tokens=",".join(TOKENS),
        gateway_jwt_secret=JWT_SECRET,
        cache_url="memory://",
        stripe_rate_limit_retries=0,
        stripe_max_network_retries=0,
    )
    with serve_in_thread(create_app(settings)) as base:
        gateway = Gateway(base, token=TOKENS[0])
        url = f"{gateway.url}/graphql"
        good = {"Authorization": f"Bearer {TOKENS[0]}"}

        def post(body: object, headers: dict[str, str] | None = None) -> None:
            answers.append(httpx.post(url, json=body, headers=headers or good))

        query = {"query": '{ stripeMatch(contact: {email: "alpha@alpha.example"}) { method } }'}
        # Authentication: none, wrong, almost right, a JWT with the wrong key, expired, valid.
        post(query, {})
        post(query, {"Authorization": f"Bearer {TOKENS[0][:-1]}"})
        post(query, {"Authorization": f"Bearer {TOKENS[0]}{TOKENS[1]}"})
        post(query, {"Authorization": f"Basic {TOKENS[1]}"})
        claims = {"sub": "x", "exp": int(time.time()) + 60}
        post(query, {"Authorization": f"Bearer {jwt.encode(claims, 'wrong' * 8, 'HS256')}"})
        expired = {"sub": "x", "exp": int(time.time()) - 600}
        post(query, {"Authorization": f"Bearer {jwt.encode(expired, JWT_SECRET, 'HS256')}"})
        post(query, {"Authorization": f"Bearer {jwt.encode(claims, JWT_SECRET, 'HS256')}"})
        # Stripe failing every way it can.
        for status in (400, 401, 403, 404, 429, 500, 503):
            fake.clear()
            fake.fault(path="/v1/customers", status=status)
            email = f"leak-{status}-{uuid.uuid4().hex[:6]}@leak.example"
            post(
                {
                    "query": f'{{ stripeMatch(contact: {{email: "{email}"}}) {{ customer {{ id }} }} }}'
                }
            )
            post({"query": '{ stripeCustomer(id: "cus_alpha") { id } }'})
        fake.clear()
        # An unexpected error (a Stripe object the gateway cannot read): masked and logged.
        broken = f"cus_broken_{uuid.uuid4().hex[:8]}"
        fake.put({"id": broken, "object": "customer", "email": "b@b.example", "address": "x"})
        post({"query": f'{{ stripeCustomer(id: "{broken}") {{ id }} }}'})
        # Malformed and hostile requests.
        answers.append(httpx.post(url, content=b"{oops", headers=good))
        answers.append(httpx.post(url, content=b"x" * (1024 * 1024 + 10), headers=good))
        answers.append(
            httpx.get(url, params={"query": 'mutation { deleteContact(id: "1") }'}, headers=good)
        )
        answers.append(httpx.get(f"{gateway.url}/nowhere", headers=good))
        post({"query": "{ __schema { types { name } } }"})
        post({"query": "{ nope }"})
        post({"query": "{ " + " ".join(f"a{i}: __typename" for i in range(50)) + " }"})
        # Webhooks: unsigned, forged, stale, malformed, valid.
        hook = f"{gateway.url}/webhooks/stripe"
        payload = json.dumps(
            {
                "id": "evt_leak",
                "object": "event",
                "type": "customer.updated",
                "created": int(time.time()),
                "livemode": False,
                "data": {"object": {"id": "cus_alpha", "object": "customer", "name": "A"}},
            }
        )
        sign = stripe.WebhookSignature.generate_signature_header
        for headers in (
            {},
            {"Stripe-Signature": sign(payload, "whsec_wrong")},
            {"Stripe-Signature": sign(payload, WEBHOOK_SECRET, int(time.time()) - 3600)},
            {"Stripe-Signature": "t=1,v1=" + WEBHOOK_SECRET},
            {"Stripe-Signature": sign(payload, WEBHOOK_SECRET)},
        ):
            answers.append(httpx.post(hook, content=payload, headers=headers))
        answers.append(
            httpx.post(hook, content="{", headers={"Stripe-Signature": sign("{", WEBHOOK_SECRET)})
        )
        answers.append(httpx.get(f"{gateway.url}/readyz"))
        time.sleep(0.3)  # let the webhook worker finish (its logs count too)

    statuses = {a.status_code for a in answers}
    assert {200, 400, 401, 404, 405, 413} <= statuses
    codes = {
        e["extensions"]["code"]
        for a in answers
        if a.headers.get("content-type") == "application/json"
        for e in (a.json().get("errors") or [] if isinstance(a.json(), dict) else [])
    }
    assert {
        "UNAUTHENTICATED",
        "BAD_USER_INPUT",
        "STRIPE_AUTH_FAILED",
        "STRIPE_PERMISSION_DENIED",
        "RATE_LIMITED",
        "STRIPE_UNAVAILABLE",
        "INTERNAL",
        "NOT_FOUND",
    } <= codes
    for answer in answers:
        assert_clean(answer.text, f"response {answer.request.method} {answer.request.url}")
        assert_clean(str(answer.headers), f"headers of {answer.request.url}")
    assert captured_logs.lines, "nothing was logged"
    assert any("unexpected error" in line for line in captured_logs.lines)
    assert any("webhook refused" in line for line in captured_logs.lines)
    assert_clean("\n".join(captured_logs.lines), "the log")


def test_settings_repr_and_refusals_mask_secrets() -> None:
    settings = load_settings(
        stripe_api_key=STRIPE_KEY,
        stripe_webhook_secret=WEBHOOK_SECRET,
        gateway_api_tokens=",".join(TOKENS),
        gateway_jwt_secret=JWT_SECRET,
    )
    assert_clean(repr(settings), "repr(settings)")
    assert_clean(str(settings.model_dump()), "settings.model_dump()")
    live = "sk_live_LEAKCANARYlivesecret0aZ1"
    with pytest.raises(ConfigError) as refused:
        check_serving_policy(load_settings(stripe_api_key=live, gateway_api_tokens=TOKENS[0]))
    assert live not in str(refused.value)
    assert "sk_live_...aZ1" in str(refused.value).replace("0aZ1", "aZ1")
    with pytest.raises(ConfigError) as no_credentials:
        create_app(load_settings(stripe_api_key=STRIPE_KEY))
    assert STRIPE_KEY not in str(no_credentials.value)


def test_mask_shows_kind_and_last_four_only() -> None:
    assert mask_secret("rk_live_51HxYzAbCdEfGhIjKlMnOpabcd") == "rk_live_...abcd"
    assert mask_secret("sk_test_0123456789abcdefWXYZ") == "sk_test_...WXYZ"
    assert mask_secret("whsec_0123456789abcdef1234") == "whsec_...1234"
    assert mask_secret("short_tok") == "..."
    assert mask_secret("") == "(not set)"
