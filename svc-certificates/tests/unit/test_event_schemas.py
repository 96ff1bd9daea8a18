"""Every event type we publish has a documented schema, and payloads validate against it."""

import pytest
from pydantic import ValidationError

from certificates import events


def test_every_published_type_has_a_schema() -> None:
    assert set(events.SCHEMAS) == {events.LICENSE_ISSUED, events.LICENSE_REVOKED}


def test_payload_validates_and_rejects_unknown_fields() -> None:
    data = events.payload(
        events.LICENSE_REVOKED, license_id="x", reason="r", revoked_at="2026-11-27T10:00:00+08:00", region="450100"
    )
    assert data["revoked_at"].startswith("2026-11-27T10:00:00") and data["region"] == "450100"
    with pytest.raises(ValidationError):
        events.payload(events.LICENSE_REVOKED, license_id="x", reason="r", revoked_at="now", region="450100", extra=1)
    with pytest.raises(ValidationError):  # a license event without its region cannot be routed to a region
        events.payload(events.LICENSE_REVOKED, license_id="x", reason="r", revoked_at="2026-11-27T10:00:00+08:00")
