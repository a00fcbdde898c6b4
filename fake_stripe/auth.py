"""API keys as Stripe reads them: `Authorization: Bearer <key>` or HTTP basic, key as user."""

from __future__ import annotations

import base64
import binascii

from fake_stripe.errors import StripeError, invalid_key, missing_key

KEY_PREFIXES = ("sk_test_", "sk_live_", "rk_test_", "rk_live_")


def key_from_header(authorization: str | None) -> str | None:
    """The API key in an Authorization header value, or None when there is none."""
    if not authorization:
        return None
    scheme, _, credentials = authorization.strip().partition(" ")
    credentials = credentials.strip()
    if scheme.lower() == "bearer":
        return credentials or None
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(credentials, validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return None
        return decoded.partition(":")[0] or None
    return None


def check_key(authorization: str | None) -> str:
    """The request's secret or restricted key; Stripe's 401 when it is missing or invalid."""
    key = key_from_header(authorization)
    if key is None:
        raise missing_key()
    if not any(key.startswith(prefix) and len(key) > len(prefix) for prefix in KEY_PREFIXES):
        raise invalid_key(key)
    return key


def is_live(key: str) -> bool:
    """Whether a key is a live-mode key."""
    return key.startswith(("sk_live_", "rk_live_"))


def auth_error(authorization: str | None) -> tuple[str, StripeError | None]:
    """The key (or "") and the 401 to answer, if any."""
    try:
        return check_key(authorization), None
    except StripeError as exc:
        return key_from_header(authorization) or "", exc
