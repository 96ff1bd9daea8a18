"""The hall's figures for a day (today when no day is named): waiting and service time per queue, window and
hour, tickets issued and finished (served per window), tickets waiting now, no-show rate, appointment
punctuality and kiosk prints. The workbench's supervisor board reads them (``hall.figures.read``:
supervisors, staff admins and hall staff of a region covering the hall's), for all the halls of a region at
once (``GET /v1/figures``: the hall-wide figures, one SQL statement per page of halls)."""

from __future__ import annotations

import uuid
from typing import Annotated

import sqlalchemy as sa
from fastapi import APIRouter, Query

from gov_common.auth import Principal, scoped
from gov_common.deps import ReadSessionDep, SessionDep
from gov_common.pagination import Cursor, IsoDate, Limit, Page
from gov_standards.china_time import CHINA_TZ, china_date
from gov_standards.regions import region_prefix
from hall import access, domain
from hall.deps import ContextDep
from hall.errors import NotHallStaff
from hall.figures import service
from hall.figures.schemas import Figures, HallFigures
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


def _subtree(principal: Principal, region: str | None) -> str:
    """The region prefix of the halls whose figures ``principal`` asks for: ``region`` (default their own),
    which their region must cover (a platform administrator: any; with no region at all, every hall)."""
    wanted = region or principal.region or ""
    if not access.reads_figures(principal, wanted):
        raise NotHallStaff(
            f"supervisors, administrators and staff of a region read the figures of its halls; {wanted} is not yours",
            region=wanted or None,
        )
    return region_prefix(wanted) if wanted else ""


@router.get(
    "/figures",
    response_model=Page[HallFigures],
    summary="A day's figures of every hall of a region subtree (default: yours, today; one page: up to 100 halls)",
)
async def region_figures(
    session: ReadSessionDep,
    principal: Reader,
    context: ContextDep,
    region: Annotated[
        str | None, Query(pattern=r"^\d{6}$", description="a region inside yours (450100 covers 4501xx); default yours")
    ] = None,
    day: Annotated[IsoDate | None, Query(description="the China day (ISO 8601); default today")] = None,
    limit: Limit = 100,
    cursor: Cursor = None,
) -> Page[HallFigures]:
    """For a supervisor's board: each hall of the subtree with the hall-wide figures of
    ``GET /v1/halls/{id}/figures`` (``total``: tickets issued and finished, no-shows and their rate, average
    wait and service time; tickets waiting, appointments and their punctuality, kiosk prints), the same
    numbers, computed for the whole page at once. Halls are ordered by region, name and id, as
    ``GET /v1/halls`` lists them; ``next_cursor`` leads to the next page. A region outside the caller's is
    403 ``not-hall-staff``, as a hall outside it is at the per-hall endpoint; the break-downs by queue, window
    and hour stay with that endpoint."""
    prefix = _subtree(principal, region)
    day = day or china_date(context.now())
    found, next_cursor = await service.figures_of_halls(
        session, region_prefix=prefix, day=day, limit=limit, cursor=cursor
    )
    items = [
        HallFigures.model_validate(
            {
                "hall_id": f.hall.id,
                "name": f.hall.name,
                "region": f.hall.region,
                "day": day,
                "total": f.total,
                "waiting": f.waiting,
                "kiosk_prints": f.kiosk_prints,
                "appointments": f.appointments,
                "appointment_punctuality": f.appointment_punctuality,
            }
        )
        for f in found
    ]
    return Page(items=items, next_cursor=next_cursor)
