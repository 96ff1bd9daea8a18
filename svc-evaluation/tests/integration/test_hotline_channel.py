"""A 12345 callback (``hotline.order.rated``) becomes a rating of the answering department on the hotline
channel, once however often the event arrives, and counts in the department's statistics."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from gov_contracts.hotline import OrderRated
from gov_contracts.testing import envelope


def rated(level: int, *, department: str, region: str = "450102") -> OrderRated:
    return OrderRated(
        order_id=str(uuid.uuid4()),
        number="GX12345-20260924-0A1B2C3D",
        kind="complaint",
        category="noise",
        region=region,
        occurred_at=datetime(2026, 9, 24, 2, 0, tzinfo=UTC),
        callback_id=str(uuid.uuid4()),
        department=department,
        level=level,
        solved=level >= 4,
    )


async def test_a_callback_is_a_hotline_rating_once(api) -> None:
    event = rated(2, department=api.DEPT_A)
    delivered = envelope(event)
    await api.app.state.runtime.bus.publish(OrderRated.topic, [delivered, delivered])

    async def recorded() -> bool:
        return bool(await api.sql("SELECT 1 FROM rating WHERE id = :i", i=uuid.UUID(event.callback_id)))

    await api.eventually(recorded, what="the hotline rating")
    rows = await api.sql("SELECT level, channel, department, region, case_id, rater_subject FROM rating")
    assert [tuple(r) for r in rows] == [(2, "hotline", api.DEPT_A, "450102", None, None)]
    # A phone caller is anonymous: no rectification is opened (the hotline reopens the order instead).
    assert await api.sql("SELECT id FROM rectification") == []
    submitted = await api.outbox("evaluation.rating.submitted")
    assert [(e.data["channel"], e.data["level"]) for e in submitted] == [("hotline", 2)]
