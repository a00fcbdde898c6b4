"""Stripe webhook signatures: `Stripe-Signature: t=<unix time>,v1=<hex HMAC-SHA256>`.

The HMAC is over `"{t}.{raw body}"` with the endpoint's `whsec_` secret; the Stripe SDK's
`WebhookSignature.verify_header` checks it (in constant time) and that `t` is no older than
the tolerance. Here a `t` that far in the future is refused too, and the verified body must
be a JSON event object. Several secrets may be given while one is rolled.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from typing import Any

import stripe


class InvalidWebhook(Exception):
    """An unsigned, forged, stale or malformed delivery; the message is safe to show."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def verify_event(
    payload: bytes,
    signature_header: str | None,
    secrets: Sequence[str],
    *,
    tolerance_seconds: int,
    now: float | None = None,
) -> dict[str, Any]:
    """The event of a delivery whose signature one of `secrets` verifies; InvalidWebhook else."""
    if not signature_header:
        raise InvalidWebhook("missing Stripe-Signature header")
    if not secrets:
        raise InvalidWebhook("no webhook secret configured")
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidWebhook("the body is not UTF-8") from None
    timestamp = _timestamp(signature_header)
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance_seconds:
        raise InvalidWebhook(
            f"the signature's timestamp is more than {tolerance_seconds} s from now"
        )
    for secret in secrets:
        try:
            # The timestamp is checked above (both ways), so no tolerance here.
            stripe.WebhookSignature.verify_header(text, signature_header, secret, None)
        except stripe.SignatureVerificationError:
            continue
        break
    else:
        raise InvalidWebhook("the signature does not match the body")
    return _event(text)


def _timestamp(header: str) -> int:
    values = [part.partition("=")[2] for part in header.split(",") if part.startswith("t=")]
    if len(values) != 1 or not values[0].isdigit() or len(values[0]) > 12:
        raise InvalidWebhook("malformed Stripe-Signature header")
    if not any(part.startswith("v1=") for part in header.split(",")):
        raise InvalidWebhook("no v1 signature in the Stripe-Signature header")
    return int(values[0])


def _event(text: str) -> dict[str, Any]:
    try:
        event = json.loads(text)
    except (ValueError, RecursionError):
        raise InvalidWebhook("the body is not JSON") from None
    data = event.get("data") if isinstance(event, dict) else None
    if (
        not isinstance(event, dict)
        or event.get("object") != "event"
        or not isinstance(event.get("id"), str)
        or not isinstance(event.get("type"), str)
        or not isinstance(data, dict)
        or not isinstance(data.get("object"), dict)
    ):
        raise InvalidWebhook("the body is not a Stripe event")
    return event


def sign_payload(payload: str, secret: str, timestamp: int | None = None) -> str:
    """A `Stripe-Signature` header for `payload`, as Stripe would send it (tests, demo)."""
    header: str = stripe.WebhookSignature.generate_signature_header(payload, secret, timestamp)
    return header
