"""Authentication over real HTTP: static tokens, JWTs, open endpoints, GraphiQL, CORS."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from tests.integration.conftest import FakeStripe, Gateway, GatewayFactory

MATCH = '{ stripeMatch(contact: {email: "alpha@alpha.example"}) { method } }'
JWT_SECRET = "jwt-secret-for-tests-" + "0123456789abcdef" * 3
ISSUER = "https://auth.helpdesk.example"
AUDIENCE = "stripe-gateway"


def post(gateway: Gateway, authorization: str | None, query: str = MATCH) -> httpx.Response:
    headers = {"Authorization": authorization} if authorization is not None else {}
    return httpx.post(f"{gateway.url}/graphql", json={"query": query}, headers=headers)


def assert_401(response: httpx.Response, *, invalid_token: bool) -> str:
    """A 401 with the Bearer challenge and a typed body; returns the message."""
    assert response.status_code == 401, response.text
    challenge = response.headers["www-authenticate"]
    assert challenge.startswith('Bearer realm="stripe-gateway"')
    assert ('error="invalid_token"' in challenge) is invalid_token
    body = response.json()
    assert "data" not in body
    [error] = body["errors"]
    assert error["extensions"] == {"code": "UNAUTHENTICATED"}
    return str(error["message"])


def claims(**changes: Any) -> dict[str, Any]:
    now = int(time.time())
    base: dict[str, Any] = {
        "sub": "helpdesk-frontend",
        "iss": ISSUER,
        "aud": AUDIENCE,
        "iat": now,
        "exp": now + 300,
    }
    base.update(changes)
    return {k: v for k, v in base.items() if v is not None}


def unsigned_token(payload: dict[str, Any], header: dict[str, Any]) -> str:
    def part(value: dict[str, Any]) -> str:
        raw = json.dumps(value).encode()
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    return f"{part(header)}.{part(payload)}."


def hmac_token(payload: dict[str, Any], key: bytes, alg: str = "HS256") -> str:
    """An HMAC JWT signed by hand (PyJWT refuses to sign with a PEM key as HMAC secret)."""
    signing_input = unsigned_token(payload, {"alg": alg, "typ": "JWT"})[:-1]
    signature = hmac.new(key, signing_input.encode(), hashlib.sha256).digest()
    return signing_input + "." + base64.urlsafe_b64encode(signature).rstrip(b"=").decode()


# Static tokens


def test_no_token_is_401_before_any_stripe_work(gateway: Gateway, fresh: FakeStripe) -> None:
    message = assert_401(post(gateway, None), invalid_token=False)
    assert "Authorization: Bearer" in message
    assert fresh.requests() == []


def test_wrong_token_is_401(gateway: Gateway, fresh: FakeStripe) -> None:
    assert gateway.token
    for wrong in ("nope", gateway.token + "x", gateway.token[:-1], gateway.token.upper()):
        assert_401(post(gateway, f"Bearer {wrong}"), invalid_token=True)
    assert fresh.requests() == []


def test_right_token_is_served(gateway: Gateway) -> None:
    response = post(gateway, f"Bearer {gateway.token}")
    assert response.status_code == 200
    assert response.json() == {"data": {"stripeMatch": {"method": "EMAIL"}}}
    # The scheme is case-insensitive (RFC 7235).
    assert post(gateway, f"bearer {gateway.token}").status_code == 200


@pytest.mark.parametrize(
    "authorization",
    ["", "Bearer", "Basic dXNlcjpwYXNz", "Token abc", "Bearer a b", "Bearer " + "x" * 10_000],
)
def test_malformed_authorization_is_401(gateway: Gateway, authorization: str) -> None:
    response = post(gateway, authorization)
    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def test_token_is_checked_before_the_body_is_read(gateway: Gateway) -> None:
    """An unauthenticated 5 MB body gets 401, not 413: nothing of it was read."""
    response = httpx.post(
        f"{gateway.url}/graphql",
        content=b"x" * (5 * 1024 * 1024),
        headers={"Content-Type": "application/json"},
    )
    assert_401(response, invalid_token=False)


def test_several_tokens_each_work(start_gateway: GatewayFactory) -> None:
    first, second = "frontend-token-" + "a" * 24, "backoffice-token-" + "b" * 24
    with start_gateway(gateway_api_tokens=f"{first}, {second}") as running:
        for token in (first, second):
            assert post(running, f"Bearer {token}").status_code == 200
        assert_401(post(running, f"Bearer {first},{second}"), invalid_token=True)


def test_health_and_readiness_are_open_everything_else_needs_the_token(gateway: Gateway) -> None:
    assert httpx.get(f"{gateway.url}/healthz").json() == {"status": "ok"}
    assert httpx.get(f"{gateway.url}/readyz").status_code == 200
    for path in ("/metrics", "/no-such-path", "/graphql/", "/healthz/x", "/webhooks"):
        assert_401(httpx.get(f"{gateway.url}{path}"), invalid_token=False)


def test_websocket_without_token_is_refused(gateway: Gateway) -> None:
    """No websocket is served (no subscriptions); without a token the handshake is refused."""
    import socket

    host, port = gateway.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(
            b"GET /graphql HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
            b"Sec-WebSocket-Protocol: graphql-transport-ws\r\n\r\n"
        )
        answer = sock.recv(1024).decode()
    assert not answer.startswith("HTTP/1.1 101"), answer


# GraphiQL


def test_graphiql_page_is_open_but_its_queries_need_the_token(gateway: Gateway) -> None:
    page = httpx.get(f"{gateway.url}/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert "<html" in page.text
    css = httpx.get(f"{gateway.url}/graphiql/static/graphiql.min.css")
    assert css.status_code == 200
    # A query over GET, even from a browser, needs the token.
    for accept in ("text/html", "application/json", "*/*"):
        anonymous = httpx.get(
            f"{gateway.url}/graphql", params={"query": "{ __typename }"}, headers={"Accept": accept}
        )
        assert_401(anonymous, invalid_token=False)
    assert_401(post(gateway, None, "{ __typename }"), invalid_token=False)


# JWTs


@pytest.fixture(scope="module")
def hs256_gateway(start_gateway: GatewayFactory) -> Iterator[Gateway]:
    with start_gateway(
        gateway_jwt_secret=JWT_SECRET, gateway_jwt_issuer=ISSUER, gateway_jwt_audience=AUDIENCE
    ) as running:
        yield running


def test_jwt_signed_with_the_secret_is_served(hs256_gateway: Gateway) -> None:
    token = jwt.encode(claims(), JWT_SECRET, algorithm="HS256")
    assert post(hs256_gateway, f"Bearer {token}").status_code == 200
    # Static tokens keep working next to JWTs.
    assert post(hs256_gateway, f"Bearer {hs256_gateway.token}").status_code == 200


def test_expired_jwt_is_401(hs256_gateway: Gateway, fresh: FakeStripe) -> None:
    expired = claims(iat=int(time.time()) - 3600, exp=int(time.time()) - 120)
    token = jwt.encode(expired, JWT_SECRET, algorithm="HS256")
    message = assert_401(post(hs256_gateway, f"Bearer {token}"), invalid_token=True)
    assert "expired" in message
    assert fresh.requests() == []


def test_jwt_signed_with_another_secret_is_401(hs256_gateway: Gateway) -> None:
    token = jwt.encode(claims(), "another-secret-0123456789abcdef0123456789", algorithm="HS256")
    assert_401(post(hs256_gateway, f"Bearer {token}"), invalid_token=True)
    # Same claims, signature altered in its last characters.
    good = jwt.encode(claims(), JWT_SECRET, algorithm="HS256")
    forged = good[:-4] + ("AAAA" if not good.endswith("AAAA") else "BBBB")
    assert_401(post(hs256_gateway, f"Bearer {forged}"), invalid_token=True)


@pytest.mark.parametrize(
    "payload",
    [
        claims(iss="https://evil.example"),
        claims(aud="another-service"),
        claims(iss=None),
        claims(aud=None),
        claims(exp=None),
        claims(nbf=int(time.time()) + 3600),
    ],
    ids=["wrong-issuer", "wrong-audience", "no-issuer", "no-audience", "no-exp", "not-yet-valid"],
)
def test_jwt_with_wrong_claims_is_401(hs256_gateway: Gateway, payload: dict[str, Any]) -> None:
    token = jwt.encode(payload, JWT_SECRET, algorithm="HS256")
    assert_401(post(hs256_gateway, f"Bearer {token}"), invalid_token=True)


def test_unsigned_and_other_algorithm_jwts_are_401(hs256_gateway: Gateway) -> None:
    for alg in ("none", "None", "NONE"):
        token = unsigned_token(claims(), {"alg": alg, "typ": "JWT"})
        assert_401(post(hs256_gateway, f"Bearer {token}"), invalid_token=True)
    # HS512 with the right secret: the algorithm is pinned to HS256.
    token = jwt.encode(claims(), JWT_SECRET, algorithm="HS512")
    assert_401(post(hs256_gateway, f"Bearer {token}"), invalid_token=True)


def rsa_pem() -> tuple[rsa.RSAPrivateKey, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return key, pem.decode()


def test_jwt_with_an_rsa_public_key(start_gateway: GatewayFactory) -> None:
    private, public_pem = rsa_pem()
    other, _ = rsa_pem()
    # The PEM given on one line with `\n` escapes, as in a .env file.
    with start_gateway(
        gateway_jwt_public_key=public_pem.replace("\n", "\\n"),
        gateway_jwt_audience=AUDIENCE,
        gateway_api_tokens="",
    ) as running:
        assert running.token is None
        good = jwt.encode(claims(iss=None), private, algorithm="RS256")
        assert post(running, f"Bearer {good}").status_code == 200
        wrong_key = jwt.encode(claims(iss=None), other, algorithm="RS256")
        assert_401(post(running, f"Bearer {wrong_key}"), invalid_token=True)
        expired = jwt.encode(claims(iss=None, exp=int(time.time()) - 120), private, "RS256")
        assert "expired" in assert_401(post(running, f"Bearer {expired}"), invalid_token=True)
        # Algorithm confusion: an HS256 token whose HMAC key is the public key's PEM.
        confused = hmac_token(claims(iss=None), public_pem.encode())
        assert_401(post(running, f"Bearer {confused}"), invalid_token=True)


def test_jwt_with_an_ec_public_key(start_gateway: GatewayFactory) -> None:
    private = ec.generate_private_key(ec.SECP256R1())
    public_pem = (
        private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    with start_gateway(gateway_jwt_public_key=public_pem) as running:
        good = jwt.encode(claims(iss=None, aud=None), private, algorithm="ES256")
        assert post(running, f"Bearer {good}").status_code == 200
        # A token with an audience is refused when no audience is configured.
        with_aud = jwt.encode(claims(iss=None), private, algorithm="ES256")
        assert_401(post(running, f"Bearer {with_aud}"), invalid_token=True)


# Authentication off, explicitly


def test_auth_off_serves_without_a_token_and_warns(
    start_gateway: GatewayFactory, caplog: pytest.LogCaptureFixture
) -> None:
    with (
        caplog.at_level("WARNING", logger="stripe_gateway.security"),
        start_gateway(gateway_auth=False, gateway_api_tokens="") as running,
    ):
        assert running.token is None
        response = post(running, None, "{ __typename }")
        assert response.status_code == 200
    assert any("GATEWAY_AUTH=off" in r.getMessage() for r in caplog.records)


# CORS


def test_cors_allows_only_the_configured_origins(start_gateway: GatewayFactory) -> None:
    allowed, other = "https://helpdesk.example", "https://evil.example"
    preflight = {
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type",
    }
    with start_gateway(gateway_cors_origins=f"{allowed}, https://admin.example") as running:
        ok = httpx.options(f"{running.url}/graphql", headers={"Origin": allowed, **preflight})
        assert ok.status_code == 200
        assert ok.headers["access-control-allow-origin"] == allowed
        assert "authorization" in ok.headers["access-control-allow-headers"].lower()
        denied = httpx.options(f"{running.url}/graphql", headers={"Origin": other, **preflight})
        assert denied.status_code == 400
        assert "access-control-allow-origin" not in denied.headers
        answer = httpx.post(
            f"{running.url}/graphql",
            json={"query": "{ __typename }"},
            headers={"Origin": allowed, "Authorization": f"Bearer {running.token}"},
        )
        assert answer.headers["access-control-allow-origin"] == allowed
        # CORS is no authentication: an allowed origin without a token is still 401.
        anonymous = httpx.post(
            f"{running.url}/graphql", json={"query": "{ __typename }"}, headers={"Origin": allowed}
        )
        assert anonymous.status_code == 401


def test_no_cors_origins_by_default(gateway: Gateway) -> None:
    response = httpx.options(
        f"{gateway.url}/graphql",
        headers={"Origin": "https://helpdesk.example", "Access-Control-Request-Method": "POST"},
    )
    assert "access-control-allow-origin" not in response.headers
    answer = httpx.post(
        f"{gateway.url}/graphql",
        json={"query": "{ __typename }"},
        headers={"Origin": "https://helpdesk.example", "Authorization": f"Bearer {gateway.token}"},
    )
    assert answer.status_code == 200
    assert "access-control-allow-origin" not in answer.headers
