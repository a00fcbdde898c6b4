"""The matching rule of DESIGN.md, one test per rule, over an in-memory CustomerLookup."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pytest

from stripe_gateway.errors import (
    StripeAuthFailed,
    StripeFailure,
    StripePermissionDenied,
    StripeRateLimited,
    StripeUnavailable,
)
from stripe_gateway.matching import (
    SEARCH_UNAVAILABLE,
    CustomerLookup,
    MatchMethod,
    MatchResult,
    MatchSettings,
    PublicDomains,
    StepOutcome,
    match_contact,
)
from stripe_gateway.records import Customer, Subscription

ID, EMAIL, DOMAIN, NONE = (
    MatchMethod.CUSTOMER_ID,
    MatchMethod.EMAIL,
    MatchMethod.DOMAIN,
    MatchMethod.NONE,
)
Out = StepOutcome


def customer(
    id: str,
    email: str | None = None,
    *,
    created: int = 1_700_000_000,
    deleted: bool = False,
    subscriptions: Iterable[str] | None = None,
) -> Customer:
    subs = None
    if subscriptions is not None:
        subs = tuple(
            Subscription(id=f"sub_{id}_{i}", customer_id=id, status=status, created=created)
            for i, status in enumerate(subscriptions)
        )
    return Customer(id=id, email=email, created=created, deleted=deleted, subscriptions=subs)


class FakeLookup:
    """An in-memory CustomerLookup that records every call.

    Like Stripe's search, it over-matches on purpose: by email it returns every customer whose
    email contains the query (case-insensitively), by domain every customer whose email
    contains the domain, deleted ones included. Matching must re-check them.
    """

    def __init__(
        self,
        customers: Iterable[Customer] = (),
        *,
        fail: Mapping[str, StripeFailure] | None = None,
    ) -> None:
        self.customers = list(customers)
        self.fail = dict(fail or {})
        self.calls: list[tuple[str, str]] = []

    def _record(self, kind: str, value: str) -> None:
        self.calls.append((kind, value))
        if kind in self.fail:
            raise self.fail[kind]

    async def customer_by_id(self, customer_id: str) -> Customer | None:
        self._record("id", customer_id)
        return next((c for c in self.customers if c.id == customer_id), None)

    async def customers_by_email(self, email: str) -> Sequence[Customer]:
        self._record("email", email)
        needle = email.strip().lower()
        return [c for c in self.customers if c.email and needle in c.email.lower()]

    async def customers_by_domain(self, domain: str) -> Sequence[Customer]:
        self._record("domain", domain)
        return [c for c in self.customers if c.email and domain.lower() in c.email.lower()]


SETTINGS = MatchSettings(public_domains=PublicDomains())


async def match(
    lookup: CustomerLookup,
    email: str | None = None,
    custom_data: Mapping[str, Any] | None = None,
    settings: MatchSettings = SETTINGS,
) -> MatchResult:
    return await match_contact(
        email=email, custom_data=custom_data, lookup=lookup, settings=settings
    )


def outcomes(result: MatchResult) -> list[tuple[MatchMethod, StepOutcome]]:
    return [(step.method, step.outcome) for step in result.trail]


def ids(customers: Iterable[Customer]) -> list[str]:
    return [c.id for c in customers]


# 1. CUSTOMER_ID


async def test_customer_id_found_matches_without_further_lookups() -> None:
    lookup = FakeLookup([customer("cus_1", "ann@acme.com"), customer("cus_2", "ann@acme.com")])
    result = await match(lookup, "ann@acme.com", {"stripeCustomerId": "cus_1"})
    assert result.method is ID
    assert result.customer is not None and result.customer.id == "cus_1"
    assert result.alternatives == ()
    assert result.error is None
    assert outcomes(result) == [(ID, Out.MATCHED)]
    assert lookup.calls == [("id", "cus_1")]


async def test_customer_id_is_trimmed_before_lookup() -> None:
    lookup = FakeLookup([customer("cus_1")])
    result = await match(lookup, None, {"stripeCustomerId": "  cus_1\t"})
    assert result.method is ID
    assert lookup.calls == [("id", "cus_1")]


async def test_customer_id_wins_over_email_of_another_customer() -> None:
    lookup = FakeLookup([customer("cus_1", "old@acme.com"), customer("cus_2", "ann@acme.com")])
    result = await match(lookup, "ann@acme.com", {"stripeCustomerId": "cus_1"})
    assert result.customer is not None and result.customer.id == "cus_1"


async def test_unknown_customer_id_falls_through_to_email_with_not_found_in_trail() -> None:
    lookup = FakeLookup([customer("cus_2", "ann@acme.com")])
    result = await match(lookup, "ann@acme.com", {"stripeCustomerId": "cus_gone"})
    assert result.method is EMAIL
    assert result.customer is not None and result.customer.id == "cus_2"
    assert outcomes(result) == [(ID, Out.NOT_FOUND), (EMAIL, Out.MATCHED)]
    assert result.trail[0].detail == "no Stripe customer cus_gone"
    assert lookup.calls == [("id", "cus_gone"), ("email", "ann@acme.com")]


async def test_deleted_customer_id_falls_through_to_email_with_deleted_in_trail() -> None:
    lookup = FakeLookup([customer("cus_1", deleted=True), customer("cus_2", "ann@acme.com")])
    result = await match(lookup, "ann@acme.com", {"stripeCustomerId": "cus_1"})
    assert result.method is EMAIL
    assert result.customer is not None and result.customer.id == "cus_2"
    assert outcomes(result) == [(ID, Out.DELETED), (EMAIL, Out.MATCHED)]
    assert result.trail[0].detail == "customer cus_1 is deleted"


@pytest.mark.parametrize(
    "custom_data",
    [None, {}, {"stripeCustomerId": None}, {"stripeCustomerId": ""}, {"stripeCustomerId": "  "}],
    ids=["no-custom-data", "no-key", "null", "empty", "blank"],
)
async def test_absent_or_blank_customer_id_is_skipped_no_value(
    custom_data: Mapping[str, Any] | None,
) -> None:
    lookup = FakeLookup([customer("cus_2", "ann@acme.com")])
    result = await match(lookup, "ann@acme.com", custom_data)
    assert outcomes(result) == [(ID, Out.SKIPPED_NO_VALUE), (EMAIL, Out.MATCHED)]
    assert lookup.calls == [("email", "ann@acme.com")]


@pytest.mark.parametrize(
    "value",
    [
        123,
        12.5,
        True,
        ["cus_1"],
        {"id": "cus_1"},
        "cu",
        "cus 1",
        "cus_1' OR email~'a",
        'cus_1" OR name:"x',
        "cus_\n1",
        "cus_1\x00",
        "cus_é",
        "../../v1/charges",
        "cus_" + "x" * 252,
    ],
    ids=repr,
)
async def test_invalid_customer_id_is_skipped_and_never_sent_to_stripe(value: object) -> None:
    lookup = FakeLookup([customer("cus_1"), customer("cus_2", "ann@acme.com")])
    result = await match(lookup, "ann@acme.com", {"stripeCustomerId": value})
    assert outcomes(result) == [(ID, Out.SKIPPED_INVALID), (EMAIL, Out.MATCHED)]
    assert result.trail[0].detail
    assert "stripeCustomerId" in result.trail[0].detail
    assert [kind for kind, _ in lookup.calls] == ["email"]


async def test_customer_id_of_255_characters_is_plausible() -> None:
    long_id = "cus_" + "x" * 251
    lookup = FakeLookup([customer(long_id)])
    result = await match(lookup, None, {"stripeCustomerId": long_id})
    assert result.method is ID


# 2. EMAIL


async def test_email_match_requires_equal_address_not_a_word_match() -> None:
    lookup = FakeLookup(
        [
            customer("cus_a", "jo.ann@acme.com"),
            customer("cus_b", "ann@acme.com.evil"),
            customer("cus_c", "ann@acme.com"),
        ]
    )
    result = await match(lookup, "ann@acme.com")
    assert result.method is EMAIL
    assert result.customer is not None and result.customer.id == "cus_c"
    assert result.alternatives == ()


async def test_email_comparison_is_trimmed_and_case_insensitive() -> None:
    lookup = FakeLookup([customer("cus_1", "  Ann.Lee@ACME.com ")])
    result = await match(lookup, "\tann.lee@Acme.COM  ")
    assert result.method is EMAIL
    assert result.customer is not None and result.customer.id == "cus_1"
    # the address is looked up as given, only trimmed
    assert lookup.calls == [("email", "ann.lee@Acme.COM")]


async def test_deleted_customers_never_match_by_email() -> None:
    lookup = FakeLookup([customer("cus_1", "ann@acme.com", deleted=True)])
    result = await match(lookup, "ann@acme.com")
    assert result.method is NONE
    assert outcomes(result)[1] == (EMAIL, Out.NOT_FOUND)
    assert "deleted" in (result.trail[1].detail or "")


async def test_customer_without_email_never_matches_by_email() -> None:
    class Loose(FakeLookup):
        async def customers_by_email(self, email: str) -> Sequence[Customer]:
            await super().customers_by_email(email)
            return [customer("cus_1", None)]

    result = await match(Loose(), "ann@acme.com")
    assert result.method is NONE


async def test_email_miss_falls_through_to_domain() -> None:
    lookup = FakeLookup([customer("cus_1", "bob@acme.com")])
    result = await match(lookup, "ann@acme.com")
    assert result.method is DOMAIN
    assert result.customer is not None and result.customer.id == "cus_1"
    assert outcomes(result) == [
        (ID, Out.SKIPPED_NO_VALUE),
        (EMAIL, Out.NOT_FOUND),
        (DOMAIN, Out.MATCHED),
    ]
    assert lookup.calls == [("email", "ann@acme.com"), ("domain", "acme.com")]


async def test_apostrophe_email_is_valid_and_looked_up_as_given() -> None:
    lookup = FakeLookup([customer("cus_1", "O'Brien@acme.com")])
    result = await match(lookup, "o'brien@acme.com")
    assert result.method is EMAIL
    assert lookup.calls == [("email", "o'brien@acme.com")]


async def test_internationalized_domain_compares_in_idna_form() -> None:
    lookup = FakeLookup([customer("cus_1", "ann@xn--mnchen-3ya.de")])

    class Both(FakeLookup):
        async def customers_by_email(self, email: str) -> Sequence[Customer]:
            await super().customers_by_email(email)
            return lookup.customers

    result = await match(Both(), "ann@münchen.de")
    assert result.method is EMAIL


# 3. DOMAIN


@pytest.mark.parametrize(
    "other",
    [
        "bob@notacme.com",
        "bob@mail.acme.com",
        "bob@acme.com.evil",
        "bob@acme.co",
        "acme.com@evil.com",
        "bob@acme.comm",
        "bob@xacme.com",
    ],
)
async def test_domain_must_match_exactly_not_parent_or_child(other: str) -> None:
    lookup = FakeLookup([customer("cus_other", other)])
    result = await match(lookup, "ann@acme.com")
    assert result.method is NONE, other
    assert outcomes(result)[2] == (DOMAIN, Out.NOT_FOUND)
    assert lookup.calls[-1] == ("domain", "acme.com")


async def test_contact_on_subdomain_does_not_match_parent_domain() -> None:
    lookup = FakeLookup([customer("cus_1", "bob@acme.com")])

    class Loose(FakeLookup):
        async def customers_by_domain(self, domain: str) -> Sequence[Customer]:
            await super().customers_by_domain(domain)
            return lookup.customers

    result = await match(Loose(), "ann@eu.acme.com")
    assert result.method is NONE


async def test_domain_comparison_is_trimmed_and_case_insensitive() -> None:
    lookup = FakeLookup([customer("cus_1", " Bob@ACME.Com ")])
    result = await match(lookup, "ann@Acme.COM")
    assert result.method is DOMAIN
    assert lookup.calls[-1] == ("domain", "acme.com")


async def test_domain_uses_the_part_after_the_last_at_sign() -> None:
    lookup = FakeLookup([customer("cus_1", '"weird@other.com"@acme.com')])
    result = await match(lookup, "ann@acme.com")
    assert result.method is DOMAIN


async def test_deleted_customers_never_match_by_domain() -> None:
    lookup = FakeLookup([customer("cus_1", "bob@acme.com", deleted=True)])
    result = await match(lookup, "ann@acme.com")
    assert result.method is NONE
    assert outcomes(result)[2] == (DOMAIN, Out.NOT_FOUND)


@pytest.mark.parametrize("email", ["ann@gmail.com", "ann@GMail.COM", "ann@hotmail.com"])
async def test_public_provider_domain_is_skipped(email: str) -> None:
    lookup = FakeLookup([customer("cus_1", "bob@gmail.com"), customer("cus_2", "bob@hotmail.com")])
    result = await match(lookup, email)
    assert result.method is NONE
    assert outcomes(result) == [
        (ID, Out.SKIPPED_NO_VALUE),
        (EMAIL, Out.NOT_FOUND),
        (DOMAIN, Out.SKIPPED_PUBLIC_DOMAIN),
    ]
    assert [kind for kind, _ in lookup.calls] == ["email"]


async def test_public_domains_add_and_remove_settings_change_the_domain_step() -> None:
    lookup = FakeLookup([customer("cus_1", "bob@gmail.com"), customer("cus_2", "bob@acme.com")])
    settings = MatchSettings(PublicDomains.from_lists(add=["ACME.com"], remove=["Gmail.com"]))
    on_gmail = await match(lookup, "ann@gmail.com", settings=settings)
    assert on_gmail.method is DOMAIN
    assert on_gmail.customer is not None and on_gmail.customer.id == "cus_1"
    on_acme = await match(lookup, "ann@acme.com", settings=settings)
    assert outcomes(on_acme)[2] == (DOMAIN, Out.SKIPPED_PUBLIC_DOMAIN)


async def test_search_disabled_domain_step_unavailable() -> None:
    lookup = FakeLookup([customer("cus_1", "bob@acme.com")])
    settings = MatchSettings(PublicDomains(), search_enabled=False)
    result = await match(lookup, "ann@acme.com", settings=settings)
    assert result.method is NONE
    assert result.error is None  # not an error: the account has no Search
    assert outcomes(result) == [
        (ID, Out.SKIPPED_NO_VALUE),
        (EMAIL, Out.NOT_FOUND),
        (DOMAIN, Out.UNAVAILABLE),
    ]
    assert result.trail[2].detail == SEARCH_UNAVAILABLE
    assert [kind for kind, _ in lookup.calls] == ["email"]


async def test_search_disabled_still_matches_by_id_and_email() -> None:
    lookup = FakeLookup([customer("cus_1", "ann@acme.com")])
    settings = MatchSettings(PublicDomains(), search_enabled=False)
    result = await match(lookup, "ann@acme.com", settings=settings)
    assert result.method is EMAIL


# 4. NONE


async def test_nothing_matched_gives_method_none_with_every_step_in_trail() -> None:
    lookup = FakeLookup([customer("cus_1", "bob@other.com")])
    result = await match(lookup, "ann@acme.com", {"stripeCustomerId": "cus_404"})
    assert result.method is NONE
    assert result.customer is None
    assert result.alternatives == ()
    assert result.error is None
    assert outcomes(result) == [
        (ID, Out.NOT_FOUND),
        (EMAIL, Out.NOT_FOUND),
        (DOMAIN, Out.NOT_FOUND),
    ]
    assert all(step.detail for step in result.trail)


# Duplicates


async def test_duplicates_prefer_live_subscription_then_newest_then_id() -> None:
    lookup = FakeLookup(
        [
            customer("cus_new", "ann@acme.com", created=300),
            customer("cus_paying", "ann@acme.com", created=100, subscriptions=["active"]),
            customer("cus_b", "ann@acme.com", created=200),
            customer("cus_a", "ann@acme.com", created=200),
            customer("cus_gone", "ann@acme.com", created=400, deleted=True),
        ]
    )
    result = await match(lookup, "ann@acme.com")
    assert result.method is EMAIL
    assert result.customer is not None and result.customer.id == "cus_paying"
    assert ids(result.alternatives) == ["cus_new", "cus_a", "cus_b"]
    assert "live subscription" in (result.trail[-1].detail or "")


async def test_duplicates_by_domain_are_ranked_and_returned_as_alternatives() -> None:
    lookup = FakeLookup(
        [
            customer("cus_1", "bob@acme.com", created=100),
            customer("cus_2", "eve@acme.com", created=200),
            customer("cus_3", "joe@notacme.com", created=300),
        ]
    )
    result = await match(lookup, "ann@acme.com")
    assert result.method is DOMAIN
    assert result.customer is not None and result.customer.id == "cus_2"
    assert ids(result.alternatives) == ["cus_1"]


async def test_repeated_candidate_is_counted_once() -> None:
    class Twice(FakeLookup):
        async def customers_by_email(self, email: str) -> Sequence[Customer]:
            found = await super().customers_by_email(email)
            return [*found, *found]

    result = await match(Twice([customer("cus_1", "ann@acme.com")]), "ann@acme.com")
    assert result.customer is not None and result.customer.id == "cus_1"
    assert result.alternatives == ()


# Errors are never a miss


@pytest.mark.parametrize(
    "error",
    [
        StripeUnavailable("Stripe did not answer"),
        StripeRateLimited("Stripe rate limit"),
        StripeAuthFailed("the Stripe key was refused"),
        StripePermissionDenied("the key may not read customers", "customer_read"),
    ],
    ids=lambda e: type(e).__name__,
)
@pytest.mark.parametrize(
    ("failing", "expected"),
    [
        ("id", [(ID, Out.UNAVAILABLE)]),
        ("email", [(ID, Out.NOT_FOUND), (EMAIL, Out.UNAVAILABLE)]),
        ("domain", [(ID, Out.NOT_FOUND), (EMAIL, Out.NOT_FOUND), (DOMAIN, Out.UNAVAILABLE)]),
    ],
)
async def test_stripe_failure_is_reported_not_downgraded(
    error: StripeFailure, failing: str, expected: list[tuple[MatchMethod, StepOutcome]]
) -> None:
    # every weaker step would match, so a fall-through would show
    lookup = FakeLookup([customer("cus_1", "ann@acme.com")], fail={failing: error})
    result = await match(lookup, "ann@acme.com", {"stripeCustomerId": "cus_404"})
    if failing != "id":
        lookup.customers = [customer("cus_1", "bob@acme.com")]
        lookup.calls.clear()
        result = await match(lookup, "ann@acme.com", {"stripeCustomerId": "cus_404"})
    assert result.method is NONE
    assert result.customer is None
    assert result.alternatives == ()
    assert result.error is error
    assert outcomes(result) == expected
    assert result.trail[-1].detail == error.message
    assert [kind for kind, _ in lookup.calls][-1] == failing


async def test_error_in_email_step_does_not_fall_through_to_domain() -> None:
    lookup = FakeLookup(
        [customer("cus_1", "bob@acme.com")], fail={"email": StripeUnavailable("timeout")}
    )
    result = await match(lookup, "ann@acme.com")
    assert result.method is NONE and result.error is not None
    assert [kind for kind, _ in lookup.calls] == ["email"]


async def test_non_stripe_exceptions_are_not_swallowed() -> None:
    class Broken(FakeLookup):
        async def customers_by_email(self, email: str) -> Sequence[Customer]:
            raise RuntimeError("a bug, not a Stripe failure")

    with pytest.raises(RuntimeError):
        await match(Broken(), "ann@acme.com")


# Costs and hostile input


async def test_contact_without_email_or_id_costs_zero_lookups() -> None:
    lookup = FakeLookup([customer("cus_1", "ann@acme.com")])
    result = await match(lookup, None, None)
    assert result.method is NONE
    assert lookup.calls == []
    assert outcomes(result) == [
        (ID, Out.SKIPPED_NO_VALUE),
        (EMAIL, Out.SKIPPED_NO_VALUE),
        (DOMAIN, Out.SKIPPED_NO_VALUE),
    ]
    blank = await match(lookup, "   ", {"stripeCustomerId": " ", "other": 1})
    assert outcomes(blank) == outcomes(result)
    assert lookup.calls == []


async def test_steps_run_in_order_each_only_after_a_miss() -> None:
    lookup = FakeLookup([customer("cus_1", "bob@acme.com")])
    await match(lookup, "ann@acme.com", {"stripeCustomerId": "cus_404"})
    assert lookup.calls == [("id", "cus_404"), ("email", "ann@acme.com"), ("domain", "acme.com")]
    lookup.calls.clear()
    await match(lookup, "bob@acme.com", {"stripeCustomerId": "cus_404"})
    assert lookup.calls == [("id", "cus_404"), ("email", "bob@acme.com")]


HOSTILE_EMAILS = [
    "x' OR email~'a",
    "x' OR email~'a@acme.com",
    'x" OR email~"a@acme.com',
    "a@b@c",
    "a@b@acme.com",
    "ann@acme.com\x00",
    "ann\x00@acme.com",
    "ann@acme.com\r\nX-Injected: 1",
    "ann\r\n@acme.com",
    "ann@acme.com' OR '1'='1",
    "a b@acme.com",
    '"x y"@acme.com',
    "Ann <ann@acme.com>",
    "ann@[127.0.0.1]",
    "ann@localhost",
    "ann@acme",
    "ann@acme..com",
    "ann@.acme.com",
    "@acme.com",
    "ann@",
    "ann",
    "ann\\@acme.com",
    "a" * 10_000 + "@acme.com",
    "ann@" + "a" * 10_000 + ".com",
    "x" * 10_240,
]


@pytest.mark.parametrize("email", HOSTILE_EMAILS, ids=lambda e: repr(e[:40]))
async def test_hostile_email_never_reaches_lookup(email: str) -> None:
    lookup = FakeLookup([customer("cus_1", "ann@acme.com")])
    result = await match(lookup, email)
    assert lookup.calls == []
    assert result.method is NONE
    assert outcomes(result) == [
        (ID, Out.SKIPPED_NO_VALUE),
        (EMAIL, Out.SKIPPED_INVALID),
        (DOMAIN, Out.SKIPPED_INVALID),
    ]
    detail = result.trail[1].detail or ""
    assert detail.startswith("the email is")
    assert len(detail) < 300


async def test_invalid_email_still_tries_customer_id_first() -> None:
    lookup = FakeLookup([customer("cus_1")])
    result = await match(lookup, "not an email", {"stripeCustomerId": "cus_1"})
    assert result.method is ID
    lookup.calls.clear()
    result = await match(lookup, "not an email", {"stripeCustomerId": "cus_404"})
    assert outcomes(result) == [
        (ID, Out.NOT_FOUND),
        (EMAIL, Out.SKIPPED_INVALID),
        (DOMAIN, Out.SKIPPED_INVALID),
    ]
    assert lookup.calls == [("id", "cus_404")]


async def test_trail_details_explain_each_outcome() -> None:
    lookup = FakeLookup(
        [customer("cus_1", "bob@acme.com", created=1), customer("cus_2", "eve@acme.com")]
    )
    result = await match(lookup, "ann@acme.com", {"stripeCustomerId": "cus_404"})
    assert [step.detail for step in result.trail] == [
        "no Stripe customer cus_404",
        "no Stripe customer with email ann@acme.com",
        "2 customers with an email at acme.com; chose cus_2: it is the most recently created",
    ]


def test_enum_values_equal_their_names() -> None:
    for enum in (MatchMethod, StepOutcome):
        assert all(member.value == member.name for member in enum)
    assert {m.name for m in MatchMethod} == {"CUSTOMER_ID", "EMAIL", "DOMAIN", "NONE"}
    assert {o.name for o in StepOutcome} == {
        "MATCHED",
        "NOT_FOUND",
        "DELETED",
        "SKIPPED_NO_VALUE",
        "SKIPPED_PUBLIC_DOMAIN",
        "SKIPPED_INVALID",
        "UNAVAILABLE",
    }
