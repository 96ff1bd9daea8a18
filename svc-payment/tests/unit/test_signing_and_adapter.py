"""Channel signatures and the sandbox adapter's checks of notifications, without a network."""

from __future__ import annotations

import base64
import json
import os

import pytest

from payment.channels.base import NotificationRejected
from payment.channels.sandbox import SandboxAdapter
from payment.signing import (
    canonical,
    ed25519_sign,
    ed25519_verify,
    hmac_sign,
    hmac_verify,
    private_key,
    public_key,
    public_key_b64,
)

KEY = private_key(base64.b64encode(b"k" * 32).decode())


def test_canonical_string_sorts_and_skips_empty_and_sign() -> None:
    assert canonical({"b": 2, "a": "x", "sign": "s", "sign_type": "T", "c": "", "d": None}) == "a=x&b=2"


def test_hmac_detects_any_change() -> None:
    fields = {"merchant_id": "M", "amount_fen": 100}
    fields["sign"] = hmac_sign(fields, "secret")
    assert hmac_verify(fields, "secret")
    assert not hmac_verify({**fields, "amount_fen": 101}, "secret")
    assert not hmac_verify(fields, "other")
    assert not hmac_verify({"merchant_id": "M"}, "secret")


def test_ed25519_detects_any_change_and_other_keys() -> None:
    fields = {"out_trade_no": "o", "amount_fen": 100}
    fields["sign"] = ed25519_sign(fields, KEY)
    pub = KEY.public_key()
    assert ed25519_verify(fields, pub)
    assert not ed25519_verify({**fields, "amount_fen": 1}, pub)
    assert not ed25519_verify({**fields, "sign": "!!notbase64"}, pub)
    other = private_key(base64.b64encode(os.urandom(32)).decode())
    assert not ed25519_verify(fields, other.public_key())
    assert public_key(public_key_b64(KEY)).public_bytes_raw() == pub.public_bytes_raw()


def _adapter() -> SandboxAdapter:
    return SandboxAdapter(
        base_url="http://unused", merchant_id="M1", merchant_key="k", channel_public_key=public_key_b64(KEY)
    )


def _notice(**over: object) -> dict[str, object]:
    fields: dict[str, object] = {
        "notify_id": "n1",
        "merchant_id": "M1",
        "out_trade_no": "a" * 32,
        "trade_no": "SBX1",
        "trade_status": "TRADE_SUCCESS",
        "amount_fen": 100,
        "currency": "CNY",
        "paid_at": "2026-11-27T10:00:00+00:00",
    }
    fields.update(over)
    fields["sign"] = ed25519_sign(fields, KEY)
    return fields


async def test_parse_notification() -> None:
    adapter = _adapter()
    try:
        note = adapter.parse_notification(json.dumps(_notice()).encode())
        assert (note.status, note.amount_fen, note.currency, note.trade_no) == ("paid", 100, "CNY", "SBX1")
        assert note.paid_at is not None and note.paid_at.utcoffset() is not None
        cases = {
            b"[]": "malformed body",
            b"{": "malformed body",
            json.dumps({**_notice(), "amount_fen": 5}).encode(): "bad signature",
            json.dumps(_notice(merchant_id="M2")).encode(): "another merchant",
            json.dumps(_notice(paid_at="2026-11-27T10:00:00")).encode(): "malformed fields",
            json.dumps(_notice(amount_fen="many")).encode(): "malformed fields",
        }
        for body, reason in cases.items():
            with pytest.raises(NotificationRejected) as exc:
                adapter.parse_notification(body)
            assert exc.value.reason == reason
    finally:
        await adapter.aclose()
