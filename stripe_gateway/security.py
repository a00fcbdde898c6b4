"""Secrets and the start-up policy: what the gateway refuses to serve with, and what it warns about.

Keys, tokens and webhook secrets never reach logs, errors or responses; where one must be
named (a start-up message, `check-key`), it is masked to its kind and its last four
characters: `rk_live_...abcd`.
"""

from __future__ import annotations

import logging

from stripe_gateway.config import ConfigError, Settings

logger = logging.getLogger("stripe_gateway.security")

KEY_PREFIXES = ("sk_live_", "sk_test_", "rk_live_", "rk_test_", "pk_live_", "pk_test_", "whsec_")
# A secret shorter than this shows no characters at all when masked.
MASK_MIN_LENGTH = 16
# Static bearer tokens shorter than this are guessable; the gateway warns about them.
MIN_TOKEN_LENGTH = 24
# HMAC secrets for HS256 should carry at least 256 bits (RFC 7518, section 3.2).
MIN_JWT_SECRET_BYTES = 32


def mask_secret(value: str) -> str:
    """`rk_live_...abcd`: a key's kind and mode and its last four characters, never more."""
    if not value:
        return "(not set)"
    prefix = next((p for p in KEY_PREFIXES if value.startswith(p)), "")
    tail = value[-4:] if len(value) >= MASK_MIN_LENGTH else ""
    return f"{prefix}...{tail}"


def key_kind(key: str) -> str:
    """`restricted`, `secret`, `publishable` or `unknown`, from the key's prefix."""
    if key.startswith(("rk_live_", "rk_test_")):
        return "restricted"
    if key.startswith(("sk_live_", "sk_test_")):
        return "secret"
    if key.startswith(("pk_live_", "pk_test_")):
        return "publishable"
    return "unknown"


def secret_values(settings: Settings) -> list[str]:
    """Every secret in the settings (for tests and scanners that look for leaks)."""
    values = [
        settings.stripe_api_key.get_secret_value(),
        settings.gateway_jwt_secret.get_secret_value(),
        *settings.api_tokens,
        *settings.webhook_secrets,
    ]
    return [v for v in values if v]


def credentials_configured(settings: Settings) -> bool:
    """Whether /graphql has anything to check a caller against."""
    return bool(
        settings.api_tokens
        or settings.gateway_jwt_secret.get_secret_value()
        or settings.gateway_jwt_public_key
    )


def check_serving_policy(settings: Settings) -> list[str]:
    """Refuse (ConfigError) what must not be served; return warnings for the rest.

    Refused: authentication on but no credentials; an `sk_live_` key unless
    STRIPE_ALLOW_SECRET_KEY=true; a publishable key. Warned: GATEWAY_AUTH=off, any `sk_`
    key, short tokens or JWT secrets.
    """
    warnings: list[str] = []
    key = settings.stripe_api_key.get_secret_value()
    masked = mask_secret(key)
    kind = key_kind(key)
    if kind == "publishable":
        raise ConfigError(
            f"STRIPE_API_KEY {masked} is a publishable key, which cannot read customers: "
            "give the gateway a restricted key (rk_...)"
        )
    if key.startswith("sk_live_") and not settings.stripe_allow_secret_key:
        raise ConfigError(
            f"STRIPE_API_KEY {masked} is a live secret key, which can write, refund and "
            "delete: give the gateway a restricted read-only key (rk_live_..., see "
            "`stripe-gateway check-key`), or set STRIPE_ALLOW_SECRET_KEY=true to accept it"
        )
    if kind == "secret":
        warnings.append(
            f"STRIPE_API_KEY {masked} is a secret key (sk_), which can write: use a "
            "restricted key with read permissions only (README, Security)"
        )
    if not settings.gateway_auth:
        warnings.append(
            "GATEWAY_AUTH=off: /graphql answers anyone who can reach it, without a token; "
            "never expose this gateway beyond a trusted network"
        )
    elif not credentials_configured(settings):
        raise ConfigError(
            "no credentials configured for /graphql: set GATEWAY_API_TOKENS (or "
            "GATEWAY_JWT_SECRET / GATEWAY_JWT_PUBLIC_KEY), or set GATEWAY_AUTH=off explicitly "
            "to serve without authentication"
        )
    short = [t for t in settings.api_tokens if len(t) < MIN_TOKEN_LENGTH]
    if settings.gateway_auth and short:
        warnings.append(
            f"{len(short)} of GATEWAY_API_TOKENS is shorter than {MIN_TOKEN_LENGTH} "
            "characters: use long random tokens (e.g. `openssl rand -hex 32`)"
        )
    jwt_secret = settings.gateway_jwt_secret.get_secret_value()
    if jwt_secret and len(jwt_secret.encode()) < MIN_JWT_SECRET_BYTES:
        warnings.append(
            f"GATEWAY_JWT_SECRET is shorter than {MIN_JWT_SECRET_BYTES} bytes: HS256 needs "
            "a secret of at least 256 bits"
        )
    if settings.is_production and settings.stripe_api_base.startswith("http://"):
        warnings.append("STRIPE_API_BASE is plain http:// in production")
    return warnings


def log_serving_policy(settings: Settings) -> None:
    """Apply the policy: raise ConfigError for a refusal, log each warning."""
    for warning in check_serving_policy(settings):
        logger.warning("%s", warning)
