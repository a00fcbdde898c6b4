"""Stripe's error bodies, as the real API sends them.

Every error is `{"error": {...}}` with `type` and `message`, plus `code`, `param` and
`doc_url` when Stripe sends them (keys Stripe leaves out are left out here too).
"""

from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse

DOCS = "https://stripe.com/docs"
ACCOUNT_ID = "acct_fake"

NO_API_KEY = (
    "You did not provide an API key. You need to provide your API key in the Authorization "
    "header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See "
    "https://stripe.com/docs/api#authentication for details, or we can help at "
    "https://support.stripe.com/."
)
RATE_LIMIT_TEST = (
    "Testmode request rate limit exceeded, the rate limits in testmode are lower than "
    "livemode. You can learn more about rate limits here https://stripe.com/docs/rate-limits."
)
RATE_LIMIT_LIVE = (
    "Request rate limit exceeded. You can learn more about rate limits here "
    "https://stripe.com/docs/rate-limits."
)
API_ERROR = (
    "Sorry, something went wrong on our end. We've already been notified of the problem, "
    "but if you need any help, you can reach us at https://support.stripe.com/contact."
)

# The restricted-key permission a read of each resource needs.
READ_PERMISSIONS = {
    "customers": "rak_customer_read",
    "charges": "rak_charge_read",
    "subscriptions": "rak_subscription_read",
    "products": "rak_product_read",
    "prices": "rak_plan_read",
}


class StripeError(Exception):
    """An error answered with Stripe's status code and body."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type
        self.code = code
        self.param = param
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        """The JSON body Stripe sends for this error."""
        error: dict[str, Any] = {}
        if self.code is not None:
            error["code"] = self.code
            error["doc_url"] = f"{DOCS}/error-codes/{self.code.replace('_', '-')}"
        error["message"] = self.message
        if self.param is not None:
            error["param"] = self.param
        error["type"] = self.type
        return {"error": error}

    def response(self) -> JSONResponse:
        """This error as an HTTP response."""
        return JSONResponse(self.body(), status_code=self.status, headers=self.headers)


def resource_missing(resource: str, object_id: str, param: str = "id") -> StripeError:
    """`No such customer: 'cus_x'`: 404 on retrieve, 400 when a parameter names it."""
    status = 404 if param == "id" else 400
    return StripeError(
        status, f"No such {resource}: '{object_id}'", code="resource_missing", param=param
    )


def invalid_param(message: str, param: str) -> StripeError:
    """A 400 about one parameter, without a code, as Stripe sends for validation errors."""
    return StripeError(400, message, param=param)


def unrecognized_url(method: str, path: str) -> StripeError:
    """The 404 Stripe answers for a URL it has no route for."""
    return StripeError(
        404,
        f"Unrecognized request URL ({method}: {path}). Please see {DOCS} or we can help at "
        "https://support.stripe.com/.",
    )


def mask_key(key: str) -> str:
    """Mask a key like Stripe's messages: the `sk_test_` prefix, stars, the last 4."""
    parts = key.split("_")
    prefix = "_".join(parts[:2]) + "_" if len(parts) > 2 and all(parts[:2]) else ""
    rest = key[len(prefix) :]
    return f"{prefix}****{rest[-4:] if len(rest) > 4 else ''}"


def missing_key() -> StripeError:
    """401: no API key in the request."""
    return StripeError(401, NO_API_KEY)


def invalid_key(key: str) -> StripeError:
    """401: a key that is not a Stripe secret or restricted key."""
    return StripeError(401, f"Invalid API Key provided: {mask_key(key)}")


def rate_limited(livemode: bool) -> StripeError:
    """429 with Stripe's rate-limit body (the test-mode wording for test keys)."""
    return StripeError(429, RATE_LIMIT_LIVE if livemode else RATE_LIMIT_TEST, code="rate_limit")


def permission_denied(key: str, resource: str) -> StripeError:
    """403 for a restricted key that lacks the permission for `resource`."""
    permission = READ_PERMISSIONS.get(resource, f"rak_{resource.rstrip('s')}_read")
    return StripeError(
        403,
        f"The provided key '{mask_key(key)}' does not have the required permissions for this "
        f"endpoint on account '{ACCOUNT_ID}'. Having the '{permission}' permission would "
        "allow this request to continue.",
    )


def for_status(status: int, *, key: str, resource: str, livemode: bool) -> StripeError:
    """Stripe's usual error for an HTTP status, used by injected faults."""
    if status == 401:
        return invalid_key(key)
    if status == 403:
        return permission_denied(key, resource)
    if status == 404:
        return StripeError(404, "The requested resource was not found.", code="resource_missing")
    if status == 409:
        return StripeError(
            409,
            "This object cannot be accessed right now because another API request or Stripe "
            "process is currently accessing it.",
            code="lock_timeout",
        )
    if status == 429:
        return rate_limited(livemode)
    if status == 402:
        return StripeError(402, "Your card was declined.", type="card_error", code="card_declined")
    if status >= 500:
        return StripeError(status, API_ERROR, type="api_error")
    return StripeError(status, "The request was invalid.")
