"""Reading a contact's input for matching: its email and `customData.stripeCustomerId`.

Input is hostile until checked. Both values are validated here, before any lookup, so a
value that is not a plausible email or Stripe id never reaches Stripe. (Quoting values
for Stripe's search language is the Stripe layer's job; validation is this one's.)
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from email_validator import EmailNotValidError, validate_email

CUSTOMER_ID_KEY = "stripeCustomerId"
"""The `customData` key that names a contact's Stripe customer."""

MAX_EMAIL_LENGTH = 254
"""RFC 5321's limit; longer input is refused before it is parsed at all."""

_CUSTOMER_ID = re.compile(r"[A-Za-z0-9_]{3,255}")


@dataclass(frozen=True, slots=True)
class InvalidValue:
    """A value that is present but unusable: the step is SKIPPED_INVALID with `reason`."""

    reason: str


@dataclass(frozen=True, slots=True)
class ParsedEmail:
    """A validated email address."""

    address: str
    """As given, trimmed: what is looked up."""
    normalized: str
    """The comparison key (see `email_key`): lower-cased, IDNA-ASCII domain."""
    domain: str
    """Lower-cased, in IDNA ASCII form (`xn--...` for an internationalized domain)."""


def _validate(address: str) -> ParsedEmail:
    # test_environment=True only lets `@*.test` through (handy for fixtures); deliverability
    # is not checked (no DNS); quoted local parts, IP literals and display names stay refused.
    valid = validate_email(address, check_deliverability=False, test_environment=True)
    domain = valid.ascii_domain.lower()
    return ParsedEmail(address=address, normalized=email_key(address), domain=domain)


def read_email(raw: object) -> ParsedEmail | InvalidValue | None:
    """None when absent or blank, `InvalidValue` when not a valid address, else parsed."""
    if raw is None:
        return None
    if not isinstance(raw, str):
        return InvalidValue("the email is not a string")
    address = raw.strip()
    if not address:
        return None
    if len(address) > MAX_EMAIL_LENGTH:
        return InvalidValue(f"the email is longer than {MAX_EMAIL_LENGTH} characters")
    try:
        return _validate(address)
    except EmailNotValidError as exc:
        return InvalidValue(f"the email is not valid: {exc}")


def parse_email(raw: str | None) -> ParsedEmail | None:
    """The validated email, or None when it is absent, blank or invalid."""
    parsed = read_email(raw)
    return parsed if isinstance(parsed, ParsedEmail) else None


def domain_key(domain: str) -> str:
    """How email domains are compared: trimmed, lower-cased, internationalized names in
    IDNA ASCII form (so `münchen.de` equals `xn--mnchen-3ya.de`). Nothing else: no
    parent or child domains, no substrings."""
    domain = domain.strip().lower()
    if domain.isascii():
        return domain
    try:
        return validate_email(
            f"x@{domain}", check_deliverability=False, test_environment=True
        ).ascii_domain.lower()
    except EmailNotValidError:
        return domain


def email_key(email: str) -> str:
    """How emails are compared: trimmed, case-insensitive (`domain_key` for the domain)."""
    local, at, domain = email.strip().rpartition("@")
    if not at:
        return unicodedata.normalize("NFC", domain).lower()
    return f"{unicodedata.normalize('NFC', local).lower()}@{domain_key(domain)}"


def email_domain(email: str | None) -> str | None:
    """The `domain_key` of what follows an email's last `@`; None without one."""
    if not email:
        return None
    _, at, domain = email.strip().rpartition("@")
    return domain_key(domain) if at else None


def customer_id_from(custom_data: Mapping[str, Any] | None) -> str | InvalidValue | None:
    """`customData.stripeCustomerId`, trimmed.

    None when absent, null or blank. `InvalidValue` for a non-string, or a string that is
    not a plausible Stripe id (`[A-Za-z0-9_]{3,255}`): such a value is never sent to Stripe.
    """
    if not isinstance(custom_data, Mapping):
        return None
    value = custom_data.get(CUSTOMER_ID_KEY)
    if value is None:
        return None
    if not isinstance(value, str):
        return InvalidValue(f"customData.{CUSTOMER_ID_KEY} is not a string")
    value = value.strip()
    if not value:
        return None
    if not _CUSTOMER_ID.fullmatch(value):
        return InvalidValue(f"customData.{CUSTOMER_ID_KEY} is not a valid Stripe customer id")
    return value
