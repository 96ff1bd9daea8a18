"""The hall's figures for a day (today when no day is named): waiting and service time per queue, window and
hour, tickets issued and finished (served per window), tickets waiting now, no-show rate, appointment
punctuality and kiosk prints. The workbench's supervisor board reads them (``hall.figures.read``:
supervisors, staff admins and hall staff of a region covering the hall's)."""

from __future__ import annotations

import uuid
from typing import Annotated

import sqlalchemy as sa
from fastapi import APIRouter

from gov_common.auth import Principal, scoped
from gov_common.deps import SessionDep
from gov_common.pagination import IsoDate
from gov_standards.china_time import CHINA_TZ, china_date
from hall import access, domain
from hall.deps import ContextDep
from hall.errors import NotHallStaff
from hall.figures.schemas import Figures
from hall.halls import service as halls
from hall.models import HallQueue, HallWindow, KioskPrint, Ticket

router = APIRouter(prefix="/v1", tags=["figures"])
Reader = Annotated[Principal, scoped(access.SCOPE_FIGURES)]


@router.get("/halls/{hall_id}/figures", response_model=Figures, summary="A day's figures of a hall (default today)")
async def figures(
    hall_id: uuid.UUID, session: SessionDep, principal: Reader, context: ContextDep, day: IsoDate | None = None
) -> Figures:
    hall = await halls.get_hall(session, hall_id)
    day = day or china_date(context.now())
    if not access.reads_figures(principal, hall.region):
        raise NotHallStaff("supervisors, administrators and staff of the hall's region read its figures")
    queues = {q.id: q.code for q in await session.scalars(sa.select(HallQueue).where(HallQueue.hall_id == hall.id))}
    windows = {w.id: w.name for w in await session.scalars(sa.select(HallWindow).where(HallWindow.hall_id == hall.id))}
    rows = await session.scalars(sa.select(Ticket).where(Ticket.hall_id == hall.id, Ticket.day == day))
    facts = [
        domain.TicketFacts(
            queue=queues[t.queue_id],
            window=windows.get(t.window_id) if t.window_id else None,
            source=t.source,
            status=t.status,
            expired_reason=t.expired_reason,
            issued_at=t.issued_at,
            queued_at=t.queued_at,
            first_called_at=t.first_called_at,
            served_at=t.served_at,
            finished_at=t.finished_at,
            slot_start=t.slot_start,
            slot_end=t.slot_end,
        )
        for t in rows
    ]
    result = domain.figures(facts, hour_of=lambda at: at.astimezone(CHINA_TZ).hour)
    prints = await session.scalar(
        sa.select(sa.func.count()).select_from(KioskPrint).where(KioskPrint.hall_id == hall.id, KioskPrint.day == day)
    )
    return Figures.model_validate({"hall_id": hall.id, "day": day, "kiosk_prints": int(prints or 0), **result})
