"""Settings from the environment: the one place where environment variable names live.

Every field below is read from the upper-case variable of the same name (for example
`stripe_api_key` from `STRIPE_API_KEY`). The README's configuration table lists them.
"""

from __future__ import annotations

from functools import cached_property
from typing import Annotated, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
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

    # Stripe key policy and webhooks (README "Security")
    stripe_allow_secret_key: bool = False
    stripe_webhook_secret: SecretStr = SecretStr("")
    stripe_webhook_tolerance_seconds: int = Field(default=300, ge=1, le=3600)

    # Gateway: environment, authentication, query limits, CORS (README "Security")
    gateway_env: Literal["development", "production"] = "development"
    gateway_auth: bool = True
    gateway_api_tokens: SecretStr = SecretStr("")
    gateway_jwt_secret: SecretStr = SecretStr("")
    gateway_jwt_public_key: str = ""
    gateway_jwt_algorithms: CommaList = ()
    gateway_jwt_issuer: str = ""
    gateway_jwt_audience: str = ""
    gateway_jwt_leeway_seconds: int = Field(default=30, ge=0, le=300)
    gateway_max_depth: int = Field(default=10, ge=1, le=100)
    gateway_max_aliases: int = Field(default=30, ge=0, le=1000)
    gateway_max_tokens: int = Field(default=2000, ge=10, le=100_000)
    gateway_max_operations: int = Field(default=1, ge=1, le=100)
    gateway_max_page_size: int = Field(default=100, ge=1, le=100)
    gateway_max_body_bytes: int = Field(default=1024 * 1024, ge=1024, le=64 * 1024 * 1024)
    gateway_introspection: bool | None = None
    gateway_field_suggestions: bool | None = None
    gateway_graphiql: bool | None = None
    gateway_cors_origins: CommaList = ()

    @field_validator("gateway_env", mode="before")
    @classmethod
    def _normalize_env(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator(
        "gateway_introspection", "gateway_field_suggestions", "gateway_graphiql", mode="before"
    )
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("gateway_jwt_algorithms", mode="before")
    @classmethod
    def _split_algorithms(cls, value: object) -> object:
        if isinstance(value, str):
            value = tuple(part.strip() for part in value.split(",") if part.strip())
        if isinstance(value, tuple | list) and any(str(a).lower() == "none" for a in value):
            raise ValueError("the `none` algorithm is never accepted")
        return value

    @field_validator("gateway_jwt_public_key", mode="before")
    @classmethod
    def _unescape_pem(cls, value: object) -> object:
        # A PEM in one environment line may carry its newlines as `\n`.
        return value.replace("\\n", "\n").strip() if isinstance(value, str) else value

    @field_validator("gateway_cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        origins = tuple(part.strip().rstrip("/") for part in value.split(",") if part.strip())
        for origin in origins:
            scheme, sep, host = origin.partition("://")
            if origin != "*" and not (
                sep and scheme in ("http", "https") and host and "/" not in host
            ):
                raise ValueError(f"{origin!r} is not an origin like https://app.example.com")
        return origins

    @model_validator(mode="after")
    def _check_jwt(self) -> Settings:
        secret, public = self.gateway_jwt_secret.get_secret_value(), self.gateway_jwt_public_key
        if secret and public:
            raise ValueError("set GATEWAY_JWT_SECRET or GATEWAY_JWT_PUBLIC_KEY, not both")
        symmetric = [a for a in self.gateway_jwt_algorithms if a.upper().startswith("HS")]
        if secret and len(symmetric) != len(self.gateway_jwt_algorithms):
            raise ValueError("GATEWAY_JWT_SECRET verifies HS256/HS384/HS512 tokens only")
        if public and symmetric:
            raise ValueError("GATEWAY_JWT_PUBLIC_KEY never verifies HS* (HMAC) tokens")
        return self

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
    def is_production(self) -> bool:
        return self.gateway_env == "production"

    @property
    def introspection_enabled(self) -> bool:
        """On in development; in production only when GATEWAY_INTROSPECTION=true."""
        explicit = self.gateway_introspection
        return explicit if explicit is not None else not self.is_production

    @property
    def field_suggestions_enabled(self) -> bool:
        """Suggestions ("Did you mean ...?"): on in development, off in production unless set."""
        explicit = self.gateway_field_suggestions
        return explicit if explicit is not None else not self.is_production

    @property
    def graphiql_enabled(self) -> bool:
        """GraphiQL at GET /graphql: on in development, off in production unless set."""
        explicit = self.gateway_graphiql
        return explicit if explicit is not None else not self.is_production

    @property
    def api_tokens(self) -> tuple[str, ...]:
        """The static bearer tokens of GATEWAY_API_TOKENS (comma-separated)."""
        raw = self.gateway_api_tokens.get_secret_value()
        return tuple(part.strip() for part in raw.split(",") if part.strip())

    @property
    def webhook_secrets(self) -> tuple[str, ...]:
        """STRIPE_WEBHOOK_SECRET; several, comma-separated, while a secret is rolled."""
        raw = self.stripe_webhook_secret.get_secret_value()
        return tuple(part.strip() for part in raw.split(",") if part.strip())

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
