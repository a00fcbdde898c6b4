"""Typed errors the gateway raises; each carries the GraphQL `extensions.code` it maps to.

Messages are written for the API's caller: they never contain keys, tokens or secrets.
"""

from __future__ import annotations

from typing import ClassVar


class GatewayError(Exception):
    """Base of every error the gateway shows to a caller."""

    code: ClassVar[str] = "INTERNAL"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    @property
    def extensions(self) -> dict[str, object]:
        return {"code": self.code}


class BadUserInput(GatewayError):
    code = "BAD_USER_INPUT"


class NotFound(GatewayError):
    code = "NOT_FOUND"


class Unauthenticated(GatewayError):
    code = "UNAUTHENTICATED"


class Forbidden(GatewayError):
    code = "FORBIDDEN"


class StripeFailure(GatewayError):
    """Stripe could not answer. Never a miss: matching stops at the step that failed."""

    code = "STRIPE_UNAVAILABLE"


class StripeUnavailable(StripeFailure):
    code = "STRIPE_UNAVAILABLE"


class StripeRateLimited(StripeFailure):
    code = "RATE_LIMITED"


class StripeAuthFailed(StripeFailure):
    code = "STRIPE_AUTH_FAILED"


class StripePermissionDenied(StripeFailure):
    code = "STRIPE_PERMISSION_DENIED"

    def __init__(self, message: str, permission: str | None = None) -> None:
        super().__init__(message)
        self.permission = permission

    @property
    def extensions(self) -> dict[str, object]:
        return {"code": self.code, "permission": self.permission}
