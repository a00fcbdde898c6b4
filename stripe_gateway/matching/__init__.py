"""The matching rule: which Stripe customer a helpdesk contact pays as.

Pure functions over a `CustomerLookup` seam: no Stripe SDK, no GraphQL, no I/O of its own.
`match_contact` applies the rule of DESIGN.md (CUSTOMER_ID, EMAIL, DOMAIN, NONE) and
returns a `MatchResult` with the chosen customer, the alternatives and the trail.
"""

from stripe_gateway.matching.emails import (
    CUSTOMER_ID_KEY,
    InvalidValue,
    ParsedEmail,
    customer_id_from,
    domain_key,
    email_domain,
    email_key,
    parse_email,
    read_email,
)
from stripe_gateway.matching.engine import SEARCH_UNAVAILABLE, match_contact
from stripe_gateway.matching.public_domains import PublicDomains
from stripe_gateway.matching.selection import rank_candidates
from stripe_gateway.matching.types import (
    CustomerLookup,
    MatchMethod,
    MatchResult,
    MatchSettings,
    MatchStep,
    StepOutcome,
)

__all__ = [
    "CUSTOMER_ID_KEY",
    "SEARCH_UNAVAILABLE",
    "CustomerLookup",
    "InvalidValue",
    "MatchMethod",
    "MatchResult",
    "MatchSettings",
    "MatchStep",
    "ParsedEmail",
    "PublicDomains",
    "StepOutcome",
    "customer_id_from",
    "domain_key",
    "email_domain",
    "email_key",
    "match_contact",
    "parse_email",
    "rank_candidates",
    "read_email",
]
