from __future__ import annotations

import pytest

from gov_common.events import CloudEvent


def test_binary_mode_round_trip_keeps_every_attribute() -> None:
    event = CloudEvent(
        type="application.submitted",
        source="/svc-application",
        subject="app-1",
        data={"name": "张三", "fee_fen": 1200},
        traceparent="00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
    )
    key, value, headers = event.to_record()
    names = dict(headers)
    assert key == b"app-1"
    assert names["ce_specversion"] == b"1.0"
    assert names["ce_type"] == b"application.submitted"
    assert names["content-type"] == b"application/json"
    assert "张三".encode() in value
    assert CloudEvent.from_record(value, headers) == event


def test_record_that_is_not_a_cloudevent_is_refused() -> None:
    with pytest.raises(ValueError, match="CloudEvents"):
        CloudEvent.from_record(b"{}", [("content-type", b"application/json")])
    with pytest.raises(ValueError, match="required"):
        CloudEvent.from_record(b"{}", [("ce_specversion", b"1.0"), ("ce_id", b"x")])
    with pytest.raises(ValueError, match="object"):
        CloudEvent.from_record(
            b"[1]", [("ce_specversion", b"1.0"), ("ce_id", b"x"), ("ce_source", b"s"), ("ce_type", b"t")]
        )
