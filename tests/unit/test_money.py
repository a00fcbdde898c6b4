"""Money formatting in Stripe's minor units."""

from __future__ import annotations

import pytest

from stripe_gateway.schema.money import format_money, minor_unit_exponent


@pytest.mark.parametrize(
    ("amount", "currency", "formatted"),
    [
        (1999, "usd", "$19.99"),
        (-2500, "usd", "-$25.00"),
        (1500, "jpy", "¥1,500"),
        (5000, "krw", "₩5,000"),
        (12345, "kwd", "KWD12.345"),
        (100000, "isk", "ISK1,000"),
        (990, "eur", "€9.90"),
    ],
)
def test_amounts_format_in_the_currency(amount: int, currency: str, formatted: str) -> None:
    assert format_money(amount, currency) == formatted


def test_zero_and_three_decimal_currencies_follow_stripe() -> None:
    assert minor_unit_exponent("JPY") == 0
    assert minor_unit_exponent("bhd") == 3
    assert minor_unit_exponent("gbp") == 2
