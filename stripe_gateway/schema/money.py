"""Money in Stripe's minor units, formatted with Babel."""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache

import strawberry
from babel.numbers import format_currency

# Stripe's own lists (docs.stripe.com/currencies): amounts in these currencies are sent in
# whole units or in thousandths. Every other currency uses hundredths, even where the
# currency's everyday use has no minor unit (Stripe's "special cases" such as ISK or HUF).
ZERO_DECIMAL = frozenset(
    [
        "bif",
        "clp",
        "djf",
        "gnf",
        "jpy",
        "kmf",
        "krw",
        "mga",
        "pyg",
        "rwf",
        "ugx",
        "vnd",
        "vuv",
        "xaf",
        "xof",
        "xpf",
    ]
)
THREE_DECIMAL = frozenset({"bhd", "jod", "kwd", "omr", "tnd"})
LOCALE = "en_US"


def minor_unit_exponent(currency: str) -> int:
    """How many decimal places Stripe's integer amount carries for `currency`."""
    code = currency.lower()
    if code in ZERO_DECIMAL:
        return 0
    if code in THREE_DECIMAL:
        return 3
    return 2


@lru_cache(maxsize=4096)
def format_money(amount: int, currency: str) -> str:
    """`1999, "usd"` gives `$19.99`; `1500, "jpy"` gives `¥1,500`.

    Cached: Babel takes tens of microseconds per call, and a page of charges repeats amounts.
    """
    if not currency:
        return str(amount)
    exponent = minor_unit_exponent(currency)
    value = Decimal(amount).scaleb(-exponent)
    return format_currency(value, currency.upper(), locale=LOCALE)


@strawberry.type(description="An amount of money; `amount` is in the currency's minor unit.")
class Money:
    amount: int
    currency: str
    formatted: str

    @classmethod
    def of(cls, amount: int, currency: str) -> Money:
        return cls(amount=amount, currency=currency, formatted=format_money(amount, currency))
