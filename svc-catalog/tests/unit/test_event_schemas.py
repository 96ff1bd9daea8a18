from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from catalog import events


def test_every_published_type_has_a_documented_schema() -> None:
    published = {events.ITEM_PUBLISHED, events.ITEM_WITHDRAWN, events.BUNDLE_PUBLISHED, events.BUNDLE_WITHDRAWN}
    assert set(events.SCHEMAS) == published
    for event_type, model in events.SCHEMAS.items():
        schema = model.model_json_schema()
        assert schema["type"] == "object", event_type
        assert schema["additionalProperties"] is False, event_type
        assert event_type.split(".")[1] in {"item", "bundle"}


def test_payloads_are_validated_before_they_are_staged(food: dict[str, Any]) -> None:
    now = datetime.now(UTC)
    data = events.payload(
        events.ITEM_PUBLISHED,
        implementation_code="X",
        version=1,
        inherits=None,
        online_level="III",
        fully_online=False,
        published_at=now,
        definition=food,
    )
    assert data["definition"]["time_limit"] == food["time_limit"]
    assert data["published_at"] == now.isoformat().replace("+00:00", "Z")
    with pytest.raises(ValidationError):
        events.payload(events.ITEM_WITHDRAWN, implementation_code="X", version=0, region="450000", withdrawn_at=now)
