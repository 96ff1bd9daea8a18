from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from gov_common.idempotency import request_hash
from gov_common.pagination import InvalidCursor, decode_cursor, encode_cursor


def test_cursor_round_trip_with_parsers() -> None:
    moment, ident = datetime(2026, 11, 27, 9, 30, tzinfo=UTC), uuid.uuid4()
    cursor = encode_cursor({"t": moment, "i": ident, "s": 7, "c": "营业执照"})
    assert decode_cursor(cursor, t=datetime.fromisoformat, i=uuid.UUID, s=int, c=str) == {
        "t": moment,
        "i": ident,
        "s": 7,
        "c": "营业执照",
    }
    assert decode_cursor(None, c=str) is None and decode_cursor("", c=str) is None


@pytest.mark.parametrize(
    ("cursor", "fields"),
    [
        ("%%%not-base64", {"c": str}),
        (encode_cursor({"c": 1}), {"c": str}),  # wrong type
        (encode_cursor({"c": "x", "extra": 1}), {"c": str}),  # unexpected field
        (encode_cursor({"t": "yesterday"}), {"t": datetime.fromisoformat}),  # parser refuses
    ],
)
def test_bad_cursors_are_problems(cursor: str, fields: dict[str, object]) -> None:
    with pytest.raises(InvalidCursor):
        decode_cursor(cursor, **fields)  # type: ignore[arg-type]


def test_request_hash_ignores_key_order_but_not_values() -> None:
    assert request_hash({"a": 1, "b": [1, 2]}) == request_hash({"b": [1, 2], "a": 1})
    assert request_hash({"a": 1}) != request_hash({"a": 2})
