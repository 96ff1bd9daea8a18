"""The demo hall has the id svc-hall's demo hall serves (gov_contracts.demo), so a demo appointment's
``application.appointment.booked`` names the hall whose kiosks check it in."""

from __future__ import annotations

import uuid

from application import demo
from gov_contracts.demo import NANNING_APPOINTMENT_HALL_ID
from gov_standards.china_time import china_date as local_day
from gov_standards.china_time import utcnow

from ..conftest import next_working_day, slot_at


async def test_the_demo_hall_has_the_shared_id_and_its_bookings_name_it(svc) -> None:
    for _ in range(2):  # idempotent: the second run finds it
        async with svc.db.transaction() as session:
            await demo.seed(session, svc.app.state.runtime.settings)
    assert await svc.sql("SELECT id FROM hall WHERE id = :i", i=NANNING_APPOINTMENT_HALL_ID) == [
        (NANNING_APPOINTMENT_HALL_ID,)
    ]
    assert await svc.sql("SELECT count(*) FROM hall") == [(1,)]
    day = next_working_day(local_day(utcnow()))
    booked = await svc.client.post(
        "/v1/appointments",
        json={"hall_id": str(NANNING_APPOINTMENT_HALL_ID), "slot_start": slot_at(day, "09:00")},
        headers={**svc.citizen("c-demo"), "Idempotency-Key": uuid.uuid4().hex},
    )
    assert booked.status_code == 201, booked.text
    (event,) = await svc.outbox("application.appointment.booked")
    assert event.data["hall_id"] == str(NANNING_APPOINTMENT_HALL_ID)
