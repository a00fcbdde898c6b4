"""Stripe SDK errors become typed gateway errors that never carry the key."""

from __future__ import annotations

import stripe

from stripe_gateway.errors import (
    StripeAuthFailed,
    StripePermissionDenied,
    StripeRateLimited,
    StripeUnavailable,
)
from stripe_gateway.stripe_api.client import is_resource_missing, translate_error

KEY = "rk_live_51SecretKeyMaterial"


def test_permission_error_names_the_missing_permission() -> None:
    message = (
        f"The provided key '{KEY[:8]}...rial' does not have the required permissions for this"
        " endpoint on account 'acct_1'. Having the 'rak_charge_read' permission would allow this"
        " request to continue."
    )
    error = translate_error(stripe.PermissionError(message, http_status=403))
    assert isinstance(error, StripePermissionDenied)
    assert error.permission == "rak_charge_read"
    assert error.extensions == {"code": "STRIPE_PERMISSION_DENIED", "permission": "rak_charge_read"}
    assert "rk_live" not in error.message


def test_authentication_error_does_not_repeat_the_key() -> None:
    error = translate_error(
        stripe.AuthenticationError(f"Invalid API Key provided: {KEY}", http_status=401)
    )
    assert isinstance(error, StripeAuthFailed)
    assert KEY not in error.message


def test_rate_limit_and_server_errors() -> None:
    assert isinstance(
        translate_error(stripe.RateLimitError("slow down", http_status=429)), StripeRateLimited
    )
    assert isinstance(translate_error(stripe.APIError("boom", http_status=500)), StripeUnavailable)
    assert isinstance(translate_error(stripe.APIConnectionError("no route")), StripeUnavailable)


def test_resource_missing_is_a_miss_not_a_failure() -> None:
    missing = stripe.InvalidRequestError(
        "No such customer", "id", code="resource_missing", http_status=404
    )
    assert is_resource_missing(missing)
    other = stripe.InvalidRequestError(
        "bad param", "limit", code="parameter_invalid_integer", http_status=400
    )
    assert not is_resource_missing(other)
