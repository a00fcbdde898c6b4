"""Every value put into a Stripe search query is quoted and escaped."""

from __future__ import annotations

import pytest

from stripe_gateway.stripe_api import search_query


def test_quote_escapes_quotes_and_backslashes() -> None:
    assert search_query.quote('o"brien') == '"o\\"brien"'
    assert search_query.quote("back\\slash") == '"back\\\\slash"'
    assert search_query.quote("o'brien@acme.com") == '"o\'brien@acme.com"'


def test_injection_attempt_stays_inside_one_value() -> None:
    clause = search_query.exact("email", 'x" OR email~"a')
    assert clause == 'email:"x\\" OR email~\\"a"'


def test_substring_needs_three_characters() -> None:
    assert search_query.substring("email", "a.io") == 'email~"a.io"'
    with pytest.raises(ValueError):
        search_query.substring("email", "ab")


def test_any_of_joins_at_most_ten_clauses() -> None:
    clauses = [search_query.exact("email", f"u{i}@x.example") for i in range(10)]
    assert search_query.any_of(clauses).count(" OR ") == 9
    with pytest.raises(ValueError):
        search_query.any_of([*clauses, clauses[0]])
    with pytest.raises(ValueError):
        search_query.any_of([])


def test_any_of_refuses_queries_over_stripe_length_limit() -> None:
    with pytest.raises(ValueError):
        search_query.any_of([search_query.exact("email", "x" * 600)] * 9)


def test_chunks_keep_order() -> None:
    assert list(search_query.chunks(range(23), 10)) == [
        list(range(10)),
        list(range(10, 20)),
        [20, 21, 22],
    ]
