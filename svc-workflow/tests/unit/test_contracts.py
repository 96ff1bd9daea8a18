"""The consumers read other services' events through their gov_contracts models: the topics and types they
handle, a malformed event refused before any handler runs (dead-lettered at once); time travel cannot be
switched on in production."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from pydantic import ValidationError

from gov_common.bus import MalformedEvent
from gov_contracts.testing import envelope
from workflow.clock import Clock
from workflow.consumers import handlers
from workflow.main import SPEC
from workflow.settings import Settings

from ..conftest import submitted


def test_consumers_subscribe_to_the_topics_that_carry_what_they_read() -> None:
    topics = {t for sub in SPEC.subscriptions for t in sub.topics}
    assert topics == {"gov.catalog.items", "gov.application.applications", "gov.payment.orders", "gov.exchange.cases"}
    assert len({sub.group for sub in SPEC.subscriptions}) == len(SPEC.subscriptions)
    read = {model.type for group in handlers(Clock()) for model in group.models}
    assert read == {
        "catalog.item.published",
        "application.submitted",
        "application.supplemented",
        "application.withdrawn",
        "payment.order.paid",
        "exchange.case.synced",
    }


async def test_a_malformed_submission_is_refused_before_the_handler() -> None:
    applications = next(h for h in handlers(Clock()) if h.group == "workflow.applications")
    good = envelope(submitted())
    broken = replace(good, data={**good.data, "tracking_number": "GX1234"})  # not application's format
    session: Any = None  # validation comes first: no database is touched
    with pytest.raises(MalformedEvent) as refused:
        await applications(session, broken)
    assert [e["loc"] for e in refused.value.errors] == [["tracking_number"]]


def test_time_travel_is_refused_in_production() -> None:
    with pytest.raises(ValidationError, match="production"):
        Settings(environment="production", allow_time_travel=True)
    assert Settings().allow_time_travel is False
