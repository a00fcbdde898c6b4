"""The pure validation rules of the contact store (no database)."""

from __future__ import annotations

import math

import pytest

from stripe_gateway.contacts.cursor import decode_cursor, encode_cursor
from stripe_gateway.contacts.validation import (
    ContactValidationError,
    lookup_id,
    merge_custom_data,
    validate_custom_data,
    validate_email,
    validate_first,
    validate_id,
    validate_name,
    validate_search,
)
from stripe_gateway.errors import BadUserInput


def nested(depth: int) -> dict[str, object]:
    """An object whose depth (containers, the outermost counting 1) is `depth`."""
    value: dict[str, object] = {}
    for _ in range(depth - 1):
        value = {"a": value}
    return value


# --- id -------------------------------------------------------------------------------


def test_id_is_trimmed() -> None:
    assert validate_id("  19283 ") == "19283"


@pytest.mark.parametrize("value", ["", "   ", "\t\n"])
def test_id_must_not_be_blank(value: str) -> None:
    with pytest.raises(BadUserInput, match=r"^id: must not be empty"):
        validate_id(value)


def test_id_at_most_255_characters() -> None:
    assert validate_id("x" * 255) == "x" * 255
    with pytest.raises(BadUserInput, match=r"^id: must be at most 255"):
        validate_id("x" * 256)


@pytest.mark.parametrize("value", ["a\x00b", "a\r\nb", "a\x7fb", "a\u2028b", "a\ud800b"])
def test_id_rejects_control_characters(value: str) -> None:
    with pytest.raises(BadUserInput, match=r"^id: must not contain control characters"):
        validate_id(value)


def test_id_must_be_a_string() -> None:
    with pytest.raises(BadUserInput, match=r"^id: must be a string"):
        validate_id(42)


def test_lookup_id_gives_none_for_ids_that_cannot_be_stored() -> None:
    assert lookup_id(" 7 ") == "7"
    assert lookup_id("") is None
    assert lookup_id("a\x00") is None
    assert lookup_id("x" * 300) is None


def test_errors_name_the_field_in_extensions() -> None:
    with pytest.raises(ContactValidationError) as info:
        validate_email("nope")
    assert info.value.extensions == {"code": "BAD_USER_INPUT", "field": "email"}


# --- name -----------------------------------------------------------------------------


def test_name_is_trimmed_and_blank_clears() -> None:
    assert validate_name("  Ada Lovelace ") == "Ada Lovelace"
    assert validate_name("   ") is None
    assert validate_name(None) is None


def test_name_at_most_256_characters() -> None:
    assert validate_name("é" * 256) == "é" * 256
    with pytest.raises(BadUserInput, match=r"^name: must be at most 256"):
        validate_name("n" * 257)


@pytest.mark.parametrize("value", ["Ada\nLovelace", "Ada\x00", "Ada\x1b[31m"])
def test_name_rejects_control_characters(value: str) -> None:
    with pytest.raises(BadUserInput, match=r"^name: must not contain control characters"):
        validate_name(value)


# --- email ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "stored"),
    [
        ("ada@acme.com", "ada@acme.com"),
        ("  Ada@Acme.COM ", "Ada@Acme.COM"),  # trimmed, otherwise stored as given
        ("o'brien@acme.com", "o'brien@acme.com"),
        ("first.last+tag@sub.example.co.uk", "first.last+tag@sub.example.co.uk"),
        ("用户@例子.广告", "用户@例子.广告"),
    ],
)
def test_email_accepts_valid_addresses(value: str, stored: str) -> None:
    assert validate_email(value) == stored


@pytest.mark.parametrize("value", ["", "   ", None])
def test_email_empty_or_none_clears(value: str | None) -> None:
    assert validate_email(value) is None


@pytest.mark.parametrize(
    "value",
    [
        "x' OR email~'a",
        "a@b@c",
        "ada@acme.com\r\nBcc: eve@evil.com",
        "ada\x00@acme.com",
        "ada@acme.com\x00",
        "plainaddress",
        "@acme.com",
        "ada@",
        "ada@localhost",
        "Ada <ada@acme.com>",
        '"ada lovelace"@acme.com',
        "ada@[127.0.0.1]",
        "ada..lovelace@acme.com",
        "ada@acme..com",
        'ada"@acme.com',
    ],
)
def test_email_rejects_hostile_or_malformed(value: str) -> None:
    with pytest.raises(BadUserInput, match=r"^email: "):
        validate_email(value)


def test_email_at_most_254_characters() -> None:
    local = "a" * 64
    ok = f"{local}@{'b' * 60}.{'c' * 60}.{'d' * 63}.com"
    assert len(ok) == 254
    assert validate_email(ok) == ok
    too_long = f"{local}@{'b' * 61}.{'c' * 60}.{'d' * 63}.com"
    assert len(too_long) == 255
    with pytest.raises(BadUserInput, match=r"^email: must be at most 254"):
        validate_email(too_long)


def test_email_must_be_a_string() -> None:
    with pytest.raises(BadUserInput, match=r"^email: must be a string"):
        validate_email(["ada@acme.com"])


# --- customData -----------------------------------------------------------------------


def test_custom_data_accepts_json_objects() -> None:
    data = {"plan": "pro", "seats": 3, "ratio": 0.5, "flags": [True, None], "nested": {"x": {}}}
    assert validate_custom_data(data) is data


@pytest.mark.parametrize("value", [None, [], "text", 1, [{"a": 1}]])
def test_custom_data_must_be_an_object(value: object) -> None:
    with pytest.raises(BadUserInput, match=r"^customData: must be a JSON object"):
        validate_custom_data(value)


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_custom_data_rejects_non_finite_numbers(bad: float) -> None:
    with pytest.raises(BadUserInput, match=r"^customData: numbers must be finite"):
        validate_custom_data({"a": [1, {"b": bad}]})


def test_custom_data_keys_must_be_strings_at_every_level() -> None:
    with pytest.raises(BadUserInput, match=r"keys must be strings"):
        validate_custom_data({1: "x"})
    with pytest.raises(BadUserInput, match=r"keys must be strings.*customData\.a"):
        validate_custom_data({"a": {2: "x"}})


@pytest.mark.parametrize("value", [{1, 2}, (1, 2), b"bytes", object()])
def test_custom_data_rejects_non_json_values(value: object) -> None:
    with pytest.raises(BadUserInput, match=r"is not a JSON value"):
        validate_custom_data({"a": value})


@pytest.mark.parametrize(
    "data", [{"a": "x\x00y"}, {"a\x00": 1}, {"a": ["\ud83d"]}], ids=["nul", "nul-key", "surrogate"]
)
def test_custom_data_strings_must_be_storable(data: dict[str, object]) -> None:
    with pytest.raises(BadUserInput, match=r"^customData: strings must"):
        validate_custom_data(data)


def in_lists(depth: int) -> dict[str, object]:
    """An object holding `depth - 1` nested lists around a number: depth `depth`."""
    value: object = 1
    for _ in range(depth - 1):
        value = [value]
    return {"a": value}


def test_custom_data_depth_at_most_16() -> None:
    validate_custom_data(nested(16))
    validate_custom_data(in_lists(16))
    with pytest.raises(BadUserInput, match=r"^customData: is nested more than 16 levels"):
        validate_custom_data(nested(17))
    with pytest.raises(BadUserInput, match=r"nested more than 16"):
        validate_custom_data(in_lists(17))


def test_custom_data_depth_check_survives_very_deep_input() -> None:
    with pytest.raises(BadUserInput, match=r"nested more than 16"):
        validate_custom_data(nested(100_000))


def test_merge_is_key_by_key_and_null_removes() -> None:
    stored = {"plan": "free", "seats": 1, "keep": {"deep": True}}
    merged = merge_custom_data(
        stored, {"plan": "pro", "seats": None, "new": [1], "absent": None}, max_bytes=1000
    )
    assert merged == {"plan": "pro", "keep": {"deep": True}, "new": [1]}
    assert stored == {"plan": "free", "seats": 1, "keep": {"deep": True}}  # not mutated


def test_merge_is_shallow_nested_objects_are_replaced() -> None:
    merged = merge_custom_data({"a": {"x": 1, "y": 2}}, {"a": {"x": 3}}, max_bytes=1000)
    assert merged == {"a": {"x": 3}}


def test_merge_returns_a_copy_of_the_patch_values() -> None:
    patch = {"list": [1, 2]}
    merged = merge_custom_data({}, patch, max_bytes=1000)
    patch["list"].append(3)
    assert merged == {"list": [1, 2]}


def test_merge_limits_the_compact_utf8_encoding() -> None:
    # {"k":"..."} is 8 bytes plus the value; "é" is 2 bytes in UTF-8.
    assert merge_custom_data({}, {"k": "é" * 46}, max_bytes=100) == {"k": "é" * 46}
    with pytest.raises(BadUserInput, match=r"^customData: is too large: 102 bytes"):
        merge_custom_data({}, {"k": "é" * 47}, max_bytes=100)


def test_merge_limit_applies_to_the_merged_result() -> None:
    stored = {"a": "x" * 40}
    with pytest.raises(BadUserInput, match=r"too large"):
        merge_custom_data(stored, {"b": "y" * 40}, max_bytes=80)
    assert merge_custom_data(stored, {"a": None, "b": "y" * 40}, max_bytes=80) == {"b": "y" * 40}


def test_merge_rejects_integers_too_long_to_encode() -> None:
    with pytest.raises(BadUserInput, match=r"^customData: "):
        merge_custom_data({}, {"n": 10**5000}, max_bytes=10**6)


# --- list arguments and cursors ---------------------------------------------------------


@pytest.mark.parametrize("value", [-1, 101, True, 2.0, "5"])
def test_first_must_be_0_to_100(value: object) -> None:
    with pytest.raises(BadUserInput, match=r"^first: "):
        validate_first(value)


def test_search_is_trimmed_and_blank_means_none() -> None:
    assert validate_search(" 50%_off ") == "50%_off"
    assert validate_search("  ") is None
    with pytest.raises(BadUserInput, match=r"^search: "):
        validate_search("a\x00")


def test_cursor_round_trip() -> None:
    from datetime import UTC, datetime

    created = datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=UTC)
    cursor = encode_cursor(created, "contact/ü 1")
    assert "=" not in cursor
    assert decode_cursor(cursor) == (created, "contact/ü 1")


@pytest.mark.parametrize(
    "cursor",
    [
        "",
        "not base64!",
        "AAAA",
        "W10",  # []
        "eyJhIjoxfQ",  # {"a":1}
        "WyIyMDI0LTA1LTA2VDA3OjA4OjA5IiwiYSJd",  # naive timestamp
        "WyJub3QgYSBkYXRlIiwiYSJd",  # ["not a date","a"]
        "x" * 5000,
    ],
)
def test_malformed_cursor_is_bad_user_input(cursor: str) -> None:
    with pytest.raises(BadUserInput, match=r"^after: "):
        decode_cursor(cursor)
