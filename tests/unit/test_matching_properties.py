"""Properties of the matching rule, over generated input (hypothesis)."""

from __future__ import annotations

import asyncio
import re
import string

from hypothesis import given, settings
from hypothesis import strategies as st

from stripe_gateway.matching import (
    MatchMethod,
    MatchSettings,
    PublicDomains,
    StepOutcome,
    match_contact,
    parse_email,
    rank_candidates,
)
from stripe_gateway.records import Customer, Subscription
from tests.unit.test_matching import FakeLookup

SETTINGS = MatchSettings(PublicDomains())
CUSTOMER_ID = re.compile(r"[A-Za-z0-9_]{3,255}")

labels = st.text(alphabet=string.ascii_lowercase + string.digits, min_size=1, max_size=6)
tlds = st.text(alphabet=string.ascii_lowercase, min_size=2, max_size=5).filter(
    lambda t: t not in {"arpa", "local", "onion"}
)
domains = st.builds(
    lambda names, tld: ".".join([*names, tld]), st.lists(labels, min_size=1, max_size=3), tlds
)


def relatives(domain: str) -> st.SearchStrategy[str]:
    """Domains that contain, or are contained in, `domain`: the near misses."""
    first, _, rest = domain.partition(".")
    near = [f"mail.{domain}", f"not{domain}", f"{domain}.evil", f"{domain}x", rest]
    near.append(f"{first}.x{rest}")
    return st.sampled_from([domain, *[d for d in near if "." in d]])


cases = st.sampled_from([str.lower, str.upper, str.title])


@settings(max_examples=300, deadline=None)
@given(data=st.data(), contact_domain=domains, case=cases)
def test_domain_must_match_exactly_not_parent_or_child(
    data: st.DataObject, contact_domain: str, case: object
) -> None:
    """A candidate matches by domain exactly when its domain equals the contact's, ignoring
    case: whatever the substring, parent or child relation between the two."""
    assert callable(case)
    other_domain = data.draw(st.one_of(domains, relatives(contact_domain)))
    lookup = FakeLookup([Customer(id="cus_1", email=f"bob@{case(other_domain)}")])
    settings_ = MatchSettings(PublicDomains.from_lists(remove=[contact_domain]))
    result = asyncio.run(
        match_contact(
            email=f"ann@{contact_domain}", custom_data=None, lookup=lookup, settings=settings_
        )
    )
    assert (result.method is MatchMethod.DOMAIN) == (other_domain == contact_domain)


subscriptions = st.lists(
    st.sampled_from(["active", "trialing", "past_due", "canceled", "incomplete", "unpaid"]),
    max_size=2,
)
candidates = st.lists(
    st.builds(
        lambda n, created, statuses: Customer(
            id=f"cus_{n}",
            created=created,
            subscriptions=tuple(
                Subscription(id=f"sub_{n}_{i}", customer_id=f"cus_{n}", status=s, created=0)
                for i, s in enumerate(statuses)
            ),
        ),
        st.integers(0, 30),
        st.integers(0, 3),
        subscriptions,
    ),
    max_size=8,
    unique_by=lambda c: c.id,
)


@settings(max_examples=300, deadline=None)
@given(candidates, st.randoms())
def test_duplicates_choice_does_not_depend_on_the_order_stripe_returned(
    found: list[Customer], rnd: object
) -> None:
    shuffled = list(found)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    ranked = rank_candidates(found)
    assert rank_candidates(shuffled) == ranked
    keys = [(not c.has_live_subscription, -c.created, c.id) for c in ranked]
    assert keys == sorted(keys)


hostile_text = st.one_of(
    st.text(max_size=300),
    st.text(alphabet="ab@.'\" \\~:\x00\r\n()<>[],;", max_size=40),
    st.builds(lambda a, b: f"{a}@{b}", st.text(max_size=30), st.text(max_size=30)),
)


@settings(max_examples=500, deadline=None)
@given(email=hostile_text, customer_id=st.one_of(st.none(), st.text(max_size=40)))
def test_only_validated_values_reach_the_lookup(email: str, customer_id: str | None) -> None:
    lookup = FakeLookup()
    result = asyncio.run(
        match_contact(
            email=email,
            custom_data={"stripeCustomerId": customer_id},
            lookup=lookup,
            settings=SETTINGS,
        )
    )
    parsed = parse_email(email)
    for kind, value in lookup.calls:
        if kind == "id":
            assert CUSTOMER_ID.fullmatch(value)
        elif kind == "email":
            assert parsed is not None and value == parsed.address == email.strip()
            assert value.count("@") == 1
            assert not any(ch in value for ch in ' "\\\x00\r\n\t<>[]();,:')
        else:
            assert parsed is not None and value == parsed.domain
            assert re.fullmatch(r"[a-z0-9.-]+", value)
    if parsed is None and not lookup.calls:
        assert result.trail[1].outcome in {
            StepOutcome.SKIPPED_INVALID,
            StepOutcome.SKIPPED_NO_VALUE,
        }
    assert len(result.trail) == 3
