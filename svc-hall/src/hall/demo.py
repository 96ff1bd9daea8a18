"""Demo data for ``make run``: one hall in Nanning (南宁市民中心) with its queues and windows, serving
application's demo hall (its appointments check in here: the id both demos share). Idempotent."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from gov_common.settings import ServiceSettings
from gov_contracts.demo import NANNING_APPOINTMENT_HALL_ID
from gov_standards.china_time import utcnow
from hall.halls.schemas import HallCreate, QueueIn, WindowIn
from hall.halls.service import create_hall
from hall.models import Hall

DEMO_HALL = "南宁市民中心政务服务大厅"
ELDERLY = ["elderly", "disabled", "pregnant"]


def demo_hall() -> HallCreate:
    return HallCreate(
        name=DEMO_HALL,
        region="450100",
        address="南宁市青秀区民族大道",
        opening_hours=[("09:00", "12:00"), ("13:30", "17:00")],
        appointment_hall_id=NANNING_APPOINTMENT_HALL_ID,
        queues=[
            QueueIn(code="A", name="综合受理", category="comprehensive", priority_groups=ELDERLY),
            QueueIn(code="B", name="企业开办", category="enterprise", department="11450100MBQH0Y21QM"),
            QueueIn(code="C", name="不动产登记", category="real_estate", priority_groups=ELDERLY),
        ],
        windows=[
            WindowIn(name="1号窗口", queues=["A"]),
            WindowIn(name="2号窗口", queues=["A", "B"]),
            WindowIn(name="3号窗口", queues=["B", "C"]),
            WindowIn(name="4号窗口", queues=["C"]),
        ],
    )


async def seed(session: AsyncSession, settings: ServiceSettings) -> list[str]:
    hall = await session.scalar(sa.select(Hall).where(Hall.name == DEMO_HALL))
    created = hall is None
    if hall is None:
        hall = await create_hall(session, hall_in=demo_hall(), now=utcnow())
    elif hall.appointment_hall_id is None:  # seeded before the link existed
        hall.appointment_hall_id = str(NANNING_APPOINTMENT_HALL_ID)
    return [
        f"hall: {DEMO_HALL} {hall.id}" + ("" if created else " (already there)") + ": queues A B C, windows 1-4;"
        f" application's appointments at hall {NANNING_APPOINTMENT_HALL_ID} check in here",
        f"hall: screen (public) /api/hall/v1/halls/{hall.id}/screen; staff sign in at a window, "
        "POST /api/hall/v1/windows/{id}/call-next",
    ]
