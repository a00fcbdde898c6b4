"""Settings from the environment: the one place where environment variable names live.

Every field below is read from the upper-case variable of the same name (for example
`stripe_api_key` from `STRIPE_API_KEY`). The README's configuration table lists them.
"""

from __future__ import annotations

from functools import cached_property
from typing import Annotated

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

CommaList = Annotated[tuple[str, ...], NoDecode]

STRIPE_DEFAULT_API_BASE = "https://api.stripe.com"
# Stripe's documented rate limits in requests/s, and the share of them used by default.
STRIPE_LIVE_RPS, STRIPE_TEST_RPS, STRIPE_SEARCH_RPS = 100.0, 25.0, 20.0
DEFAULT_RATE_SHARE = 0.9


class ConfigError(Exception):
    """A missing or malformed setting; its message is one line, fit to print at start-up."""


class Settings(BaseSettings):
    """The gateway's configuration."""

    model_config = SettingsConfigDict(env_prefix="", case_sensitive=False, extra="ignore")

    # Stripe
    stripe_api_key: SecretStr = SecretStr("")
    stripe_api_base: str = STRIPE_DEFAULT_API_BASE
    stripe_search_enabled: bool = True
    stripe_max_network_retries: int = Field(default=2, ge=0, le=10)
    stripe_timeout_seconds: float = Field(default=20.0, gt=0)
    stripe_rate_limit_retries: int = Field(default=3, ge=0, le=10)
    # Pacing (None: a share of Stripe's limit for the key's mode) and batching.
    stripe_max_rps: float | None = Field(default=None, gt=0)
    stripe_search_max_rps: float | None = Field(default=None, gt=0)
    stripe_batching_enabled: bool = True

    # Cross-request cache: memory:// (default), redis://host:port/db, or none:// (off).
    cache_url: str = "memory://"
    cache_max_entries: int = Field(default=50_000, ge=1)
    cache_ttl_seconds: int = Field(default=300, ge=1)
    cache_miss_ttl_seconds: int = Field(default=30, ge=1)
    cache_recent_ttl_seconds: int = Field(default=900, ge=1)
    cache_namespace: str = "stripe-gateway"

    # Contacts
    database_url: str = "sqlite+aiosqlite:///./stripe-gateway.sqlite3"
    contact_custom_data_max_bytes: int = Field(default=32 * 1024, gt=0)

    # GraphQL: serve as an Apollo Federation v2 subgraph (README "Federation")
    graphql_federation: bool = False

    # Matching
    match_public_domains_add: CommaList = ()
    match_public_domains_remove: CommaList = ()

    @field_validator("match_public_domains_add", "match_public_domains_remove", mode="before")
    @classmethod
    def _split_comma_list(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(part.strip().lower() for part in value.split(",") if part.strip())
        return value

    @field_validator("stripe_api_base")
    @classmethod
    def _check_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL")
        return value.rstrip("/")

    @field_validator("cache_url")
    @classmethod
    def _check_cache_url(cls, value: str) -> str:
        value = value.strip() or "none://"
        if not value.startswith(("memory://", "redis://", "rediss://", "none://")):
            raise ValueError("must be memory://, redis://host:port/db or none://")
        return value

    @cached_property
    def stripe_livemode(self) -> bool:
        """True for a live key (`sk_live_`, `rk_live_`)."""
        return "_live_" in self.stripe_api_key.get_secret_value()[:8]

    @property
    def stripe_rate_limits(self) -> tuple[float, float]:
        """Client-side limits (overall, search) in requests/s: the settings, or by default
        90% of Stripe's limits for the key's mode (live 100/s, test 25/s; search 20/s)."""
        overall = STRIPE_LIVE_RPS if self.stripe_livemode else STRIPE_TEST_RPS
        return (
            self.stripe_max_rps or overall * DEFAULT_RATE_SHARE,
            self.stripe_search_max_rps or STRIPE_SEARCH_RPS * DEFAULT_RATE_SHARE,
        )


def load_settings(**overrides: object) -> Settings:
    """Read settings from the environment, raising ConfigError with a one-line reason."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']).upper() or 'settings'}: {err['msg']}"
            for err in exc.errors()
        )
        raise ConfigError(f"invalid configuration: {problems}") from None
