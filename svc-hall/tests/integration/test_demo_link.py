"""The demo hall serves application's demo hall (the id both demos share, gov_contracts.demo): an appointment
booked there checks in at the demo hall's kiosk."""

from __future__ import annotations

import uuid
from datetime import timedelta

from gov_common.testing import eventually
from gov_contracts.application import AppointmentBooked
from gov_contracts.demo import NANNING_APPOINTMENT_HALL_ID
from gov_contracts.testing import envelope
from hall import demo

from ..conftest import PlatformStub

ID_NUMBER = "11010519491231002X"


async def test_a_demo_appointment_checks_in_at_the_demo_halls_kiosk(api) -> None:
    api.connect(PlatformStub(holders={"citizen-1": ID_NUMBER}))
    for _ in range(2):  # idempotent
        async with api.db.transaction() as session:
            await demo.seed(session, api.app.state.runtime.settings)
    ((hall_id, linked),) = await api.sql("SELECT id, appointment_hall_id FROM hall")
    assert linked == str(NANNING_APPOINTMENT_HALL_ID)
    kiosk = await api.client.post(
        f"/v1/halls/{hall_id}/kiosks", json={"client_id": "kiosk-demo-1", "name": "一楼自助机"}, headers=api.admin()
    )
    assert kiosk.status_code == 201, kiosk.text
    # As application publishes a booking at its demo hall.
    event = AppointmentBooked(
        appointment_id=str(uuid.uuid4()),
        hall_id=str(NANNING_APPOINTMENT_HALL_ID),
        reference="YYDEMAN234",
        subject="citizen-1",
        application_id=None,
        slot_start=api.clock.now + timedelta(minutes=5),
        slot_end=api.clock.now + timedelta(minutes=35),
        booked_at=api.clock.now - timedelta(days=1),
    )
    await api.app.state.runtime.bus.publish(AppointmentBooked.topic, [envelope(event)])

    async def known() -> bool:
        return bool(await api.sql("SELECT 1 FROM appointment WHERE reference = 'YYDEMAN234'"))

    await eventually(known, what="the demo appointment", timeout=20)
    checked = await api.client.post(
        "/v1/kiosk/check-ins",
        json={"reference": "YYDEMAN234", "queue": "A", "real_name": {"method": "id_card", "id_number": ID_NUMBER}},
        headers=api.kiosk("kiosk-demo-1"),
    )
    assert checked.status_code == 201, checked.text
    ticket = checked.json()["ticket"]
    assert ticket["hall_id"] == str(hall_id) and ticket["source"] == "appointment" and ticket["number"] == "A001"
