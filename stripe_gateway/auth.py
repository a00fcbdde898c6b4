"""Who may call the gateway: bearer tokens from GATEWAY_API_TOKENS and, optionally, JWTs.

`AuthMiddleware` is a pure ASGI middleware in front of every route. A request without
valid credentials is answered `401` with `WWW-Authenticate: Bearer` before its body is
read or parsed, so nothing reaches GraphQL, the contact store or Stripe.

Open without credentials: `/healthz`, `/readyz`, `/webhooks/stripe` (which checks Stripe's
signature itself), and, when GraphiQL is enabled, its page (a `GET /graphql` a browser
sends without a `query` parameter) and its vendored files under `/graphiql/static/`: static
files that carry no data. The queries GraphiQL then sends need the token like any other
(set in GraphiQL's Headers tab).
Everything else, `/metrics` and unknown paths included, needs credentials.

Static tokens are compared in constant time over their SHA-256 digests, so neither a
token's characters nor its length shows in the timing. JWTs are verified with PyJWT and
the configured key, with the algorithms pinned to the key's kind (never `none`, never HMAC
with a public key), `exp` required, and `iss`/`aud` checked when configured.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from starlette.datastructures import Headers, QueryParams
from starlette.types import ASGIApp, Receive, Scope, Send

from stripe_gateway.config import ConfigError, Settings
from stripe_gateway.http_errors import error_response

OPEN_PATHS = frozenset({"/healthz", "/readyz", "/webhooks/stripe"})
GRAPHQL_PATH = "/graphql"
REALM = "stripe-gateway"
# Longer Authorization values are refused without being looked at.
MAX_CREDENTIAL_LENGTH = 8192

_EC_ALGORITHMS = {"secp256r1": "ES256", "secp384r1": "ES384", "secp521r1": "ES512"}


@dataclass(frozen=True, slots=True)
class Principal:
    """The authenticated caller: a static token (by its index) or a JWT's subject."""

    kind: str
    subject: str


class Rejected(Exception):
    """Credentials missing or not valid; the message is safe to show to the caller."""

    def __init__(self, message: str, *, invalid_token: bool) -> None:
        super().__init__(message)
        self.message = message
        self.invalid_token = invalid_token


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).digest()


def _public_key_and_algorithms(pem: str, configured: tuple[str, ...]) -> tuple[object, list[str]]:
    try:
        key = load_pem_public_key(pem.encode())
    except (ValueError, TypeError):
        raise ConfigError(
            "GATEWAY_JWT_PUBLIC_KEY is not a PEM public key (-----BEGIN PUBLIC KEY-----)"
        ) from None
    if isinstance(key, rsa.RSAPublicKey):
        allowed = {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512"}
        default = ["RS256"]
    elif isinstance(key, ec.EllipticCurvePublicKey):
        algorithm = _EC_ALGORITHMS.get(key.curve.name)
        if algorithm is None:
            raise ConfigError(f"GATEWAY_JWT_PUBLIC_KEY: unsupported curve {key.curve.name}")
        allowed, default = {algorithm}, [algorithm]
    elif isinstance(key, ed25519.Ed25519PublicKey | ed448.Ed448PublicKey):
        allowed, default = {"EdDSA"}, ["EdDSA"]
    else:
        raise ConfigError("GATEWAY_JWT_PUBLIC_KEY: use an RSA, EC or Ed25519 public key")
    algorithms = list(configured) or default
    wrong = [a for a in algorithms if a not in allowed]
    if wrong:
        raise ConfigError(
            f"GATEWAY_JWT_ALGORITHMS: {', '.join(wrong)} cannot be verified with this public "
            f"key (use {', '.join(sorted(allowed))})"
        )
    return key, algorithms


class Authenticator:
    """Checks an `Authorization` header value against the configured credentials."""

    def __init__(
        self,
        tokens: tuple[str, ...] = (),
        *,
        jwt_key: object | None = None,
        jwt_algorithms: list[str] | None = None,
        issuer: str = "",
        audience: str = "",
        leeway_seconds: int = 0,
    ) -> None:
        self._digests = [_digest(t) for t in tokens]
        self._jwt_key = jwt_key
        self._jwt_algorithms = jwt_algorithms or []
        self._issuer = issuer
        self._audience = audience
        self._leeway = leeway_seconds
        if jwt_key is not None and (
            not self._jwt_algorithms or any(a.lower() == "none" for a in self._jwt_algorithms)
        ):
            raise ConfigError("JWT verification needs explicit algorithms, never `none`")

    @classmethod
    def from_settings(cls, settings: Settings) -> Authenticator:
        """The authenticator of the settings; ConfigError for an unusable key."""
        secret = settings.gateway_jwt_secret.get_secret_value()
        key: object | None = None
        algorithms: list[str] = []
        if secret:
            key = secret
            algorithms = list(settings.gateway_jwt_algorithms) or ["HS256"]
            wrong = [a for a in algorithms if a not in ("HS256", "HS384", "HS512")]
            if wrong:
                raise ConfigError("GATEWAY_JWT_ALGORITHMS: a secret verifies HS256/384/512 only")
        elif settings.gateway_jwt_public_key:
            key, algorithms = _public_key_and_algorithms(
                settings.gateway_jwt_public_key, settings.gateway_jwt_algorithms
            )
        return cls(
            settings.api_tokens,
            jwt_key=key,
            jwt_algorithms=algorithms,
            issuer=settings.gateway_jwt_issuer,
            audience=settings.gateway_jwt_audience,
            leeway_seconds=settings.gateway_jwt_leeway_seconds,
        )

    @property
    def configured(self) -> bool:
        return bool(self._digests) or self._jwt_key is not None

    def authenticate(self, authorization: str | None) -> Principal:
        """The caller behind a header value; Rejected when there is none or it is not valid."""
        if not authorization:
            raise Rejected(
                "authentication required: send `Authorization: Bearer <token>`",
                invalid_token=False,
            )
        scheme, _, credentials = authorization.strip().partition(" ")
        credentials = credentials.strip()
        if scheme.lower() != "bearer" or not credentials:
            raise Rejected(
                "authentication required: send `Authorization: Bearer <token>`",
                invalid_token=False,
            )
        if len(credentials) > MAX_CREDENTIAL_LENGTH:
            raise Rejected("the bearer token is not valid", invalid_token=True)
        principal = self._static_token(credentials)
        if principal is not None:
            return principal
        if self._jwt_key is not None and credentials.count(".") == 2:
            return self._jwt(credentials)
        raise Rejected("the bearer token is not valid", invalid_token=True)

    def _static_token(self, credentials: str) -> Principal | None:
        candidate = _digest(credentials)
        found = -1
        for index, digest in enumerate(self._digests):
            # Every digest is compared, so the time does not depend on which one matches.
            if hmac.compare_digest(candidate, digest):
                found = index
        return Principal("token", f"token#{found + 1}") if found >= 0 else None

    def _jwt(self, credentials: str) -> Principal:
        required = ["exp"]
        if self._issuer:
            required.append("iss")
        if self._audience:
            required.append("aud")
        try:
            claims = jwt.decode(
                credentials,
                key=self._jwt_key,  # type: ignore[arg-type]
                algorithms=self._jwt_algorithms,
                issuer=self._issuer or None,
                audience=self._audience or None,
                leeway=self._leeway,
                options={"require": required},
            )
        except jwt.ExpiredSignatureError:
            raise Rejected("the bearer token has expired", invalid_token=True) from None
        except jwt.PyJWTError:
            raise Rejected("the bearer token is not valid", invalid_token=True) from None
        subject = claims.get("sub")
        return Principal("jwt", subject if isinstance(subject, str) else "jwt")


def route_path(scope: Scope) -> str:
    """The path the router matches: without the root path a proxy mounts the app under."""
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    return (path[len(root) :] or "/") if root and path.startswith(root) else path


def _is_graphiql_page(scope: Scope) -> bool:
    """The request Strawberry answers with the GraphiQL page (same test as its view)."""
    if scope["method"] != "GET" or route_path(scope) != GRAPHQL_PATH:
        return False
    if QueryParams(scope.get("query_string", b"")).get("query") is not None:
        return False
    accept = Headers(scope=scope).get("accept", "")
    return "text/html" in accept or "*/*" in accept


def unauthenticated(exc: Rejected) -> tuple[str, dict[str, str]]:
    """The message and `WWW-Authenticate` header of a 401 (RFC 6750)."""
    challenge = f'Bearer realm="{REALM}"'
    if exc.invalid_token:
        challenge += f', error="invalid_token", error_description="{exc.message}"'
    return exc.message, {"WWW-Authenticate": challenge}


class AuthMiddleware:
    """Lets through only requests with valid credentials, except the open paths."""

    def __init__(
        self,
        app: ASGIApp,
        authenticator: Authenticator,
        *,
        enabled: bool = True,
        graphiql_open: bool = False,
        open_prefixes: tuple[str, ...] = (),
    ) -> None:
        self.app = app
        self.authenticator = authenticator
        self.enabled = enabled
        self.graphiql_open = graphiql_open
        self.open_prefixes = open_prefixes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or not self.enabled:
            await self.app(scope, receive, send)
            return
        path = route_path(scope)
        if scope["type"] == "http" and (
            path in OPEN_PATHS
            or (self.open_prefixes and path.startswith(self.open_prefixes))
            or (self.graphiql_open and _is_graphiql_page(scope))
        ):
            await self.app(scope, receive, send)
            return
        try:
            principal = self.authenticator.authenticate(Headers(scope=scope).get("authorization"))
        except Rejected as exc:
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 1008})
                return
            message, headers = unauthenticated(exc)
            response = error_response(401, message, code="UNAUTHENTICATED", headers=headers)
            await response(scope, receive, send)
            return
        scope.setdefault("state", {})["principal"] = principal
        await self.app(scope, receive, send)
