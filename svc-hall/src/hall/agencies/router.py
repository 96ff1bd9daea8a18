"""全程代办: a hall agent takes on a person's case with the person's consent recorded; the person sees who
acts for them, and the agent (or the person) ends it."""

from __future__ import annotations

import uuid
from typing import Annotated

import sqlalchemy as sa
from fastapi import APIRouter, Request, Response

from gov_common.auth import Principal, scoped
from gov_common.deps import SessionDep
from gov_common.http import created
from gov_common.pagination import Page
from hall import access
from hall.agencies.schemas import AgencyCreate, AgencyRead
from hall.deps import ContextDep
from hall.errors import AgencyEnded, AgencyNotFound, NotHallStaff
from hall.halls import service as halls
from hall.models import Agency

router = APIRouter(prefix="/v1", tags=["agencies"])
Operator = Annotated[Principal, scoped(access.SCOPE_OPERATE)]
Taker = Annotated[Principal, scoped(access.SCOPE_TAKE)]


def agency_read(a: Agency) -> AgencyRead:
    return AgencyRead(
        id=a.id,
        hall_id=a.hall_id,
        tracking_number=a.tracking_number,
        person=a.person,
        agent=a.agent,
        consent_method=a.consent_method,
        consent_at=a.consent_at,
        note=a.note,
        status=a.status,
        created_at=a.created_at,
        ended_at=a.ended_at,
    )


@router.post("/halls/{hall_id}/agencies", status_code=201, response_model=AgencyRead, summary="Take on a person's case")
async def create(
    hall_id: uuid.UUID,
    agency_in: AgencyCreate,
    request: Request,
    response: Response,
    session: SessionDep,
    principal: Operator,
    context: ContextDep,
) -> AgencyRead:
    hall = await halls.get_hall(session, hall_id)
    if not access.is_hall_staff(principal, hall.region):
        raise NotHallStaff()
    agency = Agency(
        id=uuid.uuid4(),
        hall_id=hall.id,
        tracking_number=agency_in.tracking_number,
        person=agency_in.person,
        agent=principal.subject,
        consent_method=agency_in.consent_method,
        consent_at=agency_in.consent_at,
        note=agency_in.note,
        status="active",
        created_at=context.now(),
    )
    session.add(agency)
    await session.flush()
    created(request, response, f"/v1/agencies/{agency.id}")
    return agency_read(agency)


@router.get("/agencies", response_model=Page[AgencyRead], summary="Agencies for me (a person) or mine (an agent)")
async def mine(session: SessionDep, principal: Taker) -> Page[AgencyRead]:
    column = Agency.agent if principal.kind == "staff" else Agency.person
    rows = await session.scalars(
        sa.select(Agency).where(column == principal.subject).order_by(Agency.created_at.desc()).limit(100)
    )
    return Page(items=[agency_read(a) for a in rows])


async def _visible(session: SessionDep, principal: Principal, agency_id: uuid.UUID) -> Agency:
    agency = await session.get(Agency, agency_id, with_for_update=True)
    if agency is None or principal.subject not in (agency.person, agency.agent):
        raise AgencyNotFound()
    return agency


@router.get("/agencies/{agency_id}", response_model=AgencyRead, summary="One agency: its person or its agent")
async def get(agency_id: uuid.UUID, session: SessionDep, principal: Taker) -> AgencyRead:
    return agency_read(await _visible(session, principal, agency_id))


@router.post("/agencies/{agency_id}/end", response_model=AgencyRead, summary="End it: its person or its agent")
async def end(agency_id: uuid.UUID, session: SessionDep, principal: Taker, context: ContextDep) -> AgencyRead:
    agency = await _visible(session, principal, agency_id)
    if agency.status != "active":
        raise AgencyEnded()
    agency.status, agency.ended_at = "ended", context.now()
    return agency_read(agency)
