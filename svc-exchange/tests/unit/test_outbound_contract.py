"""Exchange's outbound allow-list against the publishers' contracts (gov_contracts): every field a webhook
may carry is one its publisher's event has, every outbound record names its region, and nothing personal is
forwarded."""

from __future__ import annotations

import typing
from typing import Any

import pytest
from pydantic import BaseModel

from exchange.webhooks.outbound import OUTBOUND, SUBSCRIBABLE
from gov_contracts.registry import by_type

PUBLISHED = by_type()
PERSONAL = {"applicant", "holder", "license_fields", "form", "materials", "id_number", "name", "opinion", "reason"}


def model_has(model: type[BaseModel], path: str) -> bool:
    """Whether ``path`` (dotted) names a field of ``model``, through nested models."""
    current: Any = model
    for part in path.split("."):
        field = current.model_fields.get(part) if isinstance(current, type) else None
        if field is None:
            return False
        nested = [a for a in (field.annotation, *typing.get_args(field.annotation)) if isinstance(a, type)]
        current = next((a for a in nested if issubclass(a, BaseModel)), None)
    return True


@pytest.mark.parametrize("event_type", SUBSCRIBABLE)
def test_every_outbound_field_is_one_its_publisher_documents(event_type: str) -> None:
    spec = OUTBOUND[event_type]
    paths = [*spec.fields.values(), *([spec.time] if spec.time else [])]
    missing = [p for p in paths if not model_has(PUBLISHED[event_type], p)]
    assert not missing, f"{event_type}: {missing} are not in the publisher's schema"
    assert "region" in spec.fields, "every outbound record names its region"
    assert not PERSONAL & {p.split(".")[0] for p in spec.fields.values()}, "nothing personal is forwarded"
