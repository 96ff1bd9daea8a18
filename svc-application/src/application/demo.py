"""Demo data for ``make run``: a service hall in Nanning with two windows that take appointments.
Items come from svc-catalog's ``catalog.item.published`` events like in production."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from application.appointments.schemas import HallCreate, WindowIn
from application.appointments.service import create_hall
from application.models import Hall
from gov_common.settings import ServiceSettings
from gov_contracts.demo import NANNING_APPOINTMENT_HALL_ID

DEMO_HALL = "南宁市民中心政务服务大厅 (demo)"


async def seed(session: AsyncSession, settings: ServiceSettings) -> list[str]:
    # A fixed id: svc-hall's demo hall serves this one (its appointments check in there).
    hall = await session.get(Hall, NANNING_APPOINTMENT_HALL_ID)
    created = hall is None
    if hall is None:
        hall, _ = await create_hall(
            session,
            hall_id=NANNING_APPOINTMENT_HALL_ID,
            hall_in=HallCreate(
                name=DEMO_HALL,
                region="450100",
                address="南宁市青秀区民族大道 (demo)",
                periods=[("09:00", "12:00"), ("13:30", "17:00")],
                slot_minutes=30,
                windows=[
                    WindowIn(name="综合窗口 1", capacity_per_slot=2),
                    WindowIn(name="综合窗口 2", capacity_per_slot=2),
                ],
            ),
        )
    return [
        f"application: hall {hall.id} ({DEMO_HALL})" + ("" if created else " (already there)"),
        "application: POST /api/application/v1/applications {item_code, applicant, form} as a citizen starts a draft;",
        "  GET .../v1/applications/{id}/pre-review says what is missing; POST .../submit with an Idempotency-Key",
        f"application: GET /api/application/v1/halls/{hall.id}/slots?day=YYYY-MM-DD, POST /api/application/v1/appointments",
    ]
