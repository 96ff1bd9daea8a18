"""Kiosks (自助终端): a staff admin registers a kiosk (a client-credentials client of identity) to one hall;
the kiosk then takes walk-in tickets, checks appointments in, looks cases up and prints the person's licences,
each after a real-name check that records which method was used (never the ID number). A check-in goes ahead
only when identity finds the person checked to be the appointment's holder; look-ups and prints are answered
by application and certificates for that person only. A kiosk acts only in its own hall: it names no hall,
its client id finds it."""

from __future__ import annotations

import logging
import uuid
from datetime import datetime
from typing import Annotated

import sqlalchemy as sa
from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncSession

from gov_common import idempotency
from gov_common.attachments import attachment_headers
from gov_common.auth import Principal, scoped
from gov_common.deps import SessionDep
from gov_common.errors import Forbidden
from gov_common.http import created
from gov_standards.china_time import china_date
from hall import access, cases, holders, prints
from hall.deps import ContextDep
from hall.domain import Source
from hall.errors import (
    CaseNotFound,
    CasesUnavailable,
    DocumentNotFound,
    HolderCheckUnavailable,
    NotARegisteredKiosk,
    NotTheHolder,
    PrintsUnavailable,
    RealNameFailed,
)
from hall.halls import service as halls
from hall.kiosks.schemas import (
    KioskCase,
    KioskCaseLookup,
    KioskCheckIn,
    KioskCreate,
    KioskLicences,
    KioskPerson,
    KioskPrintAsk,
    KioskRead,
    KioskTicket,
    KioskTicketCreate,
    RealName,
)
from hall.models import Hall, IdempotencyRecord, Kiosk, KioskPrint, RealNameCheck
from hall.platform import PlatformCallFailed
from hall.realname import SandboxRealName
from hall.tickets import service as tickets
from hall.tickets.router import ticket_read

log = logging.getLogger(__name__)
router = APIRouter(prefix="/v1", tags=["kiosks"])
Admin = Annotated[Principal, scoped(access.SCOPE_ADMIN)]
Taker = Annotated[Principal, scoped(access.SCOPE_TAKE)]
REAL_NAME = SandboxRealName()


def kiosk_read(k: Kiosk) -> KioskRead:
    return KioskRead(
        id=k.id, hall_id=k.hall_id, client_id=k.client_id, name=k.name, active=k.active, registered_at=k.registered_at
    )


@router.post("/halls/{hall_id}/kiosks", status_code=201, response_model=KioskRead, summary="Register a kiosk")
async def register(
    hall_id: uuid.UUID,
    kiosk_in: KioskCreate,
    request: Request,
    response: Response,
    session: SessionDep,
    principal: Admin,
    context: ContextDep,
) -> KioskRead:
    hall = await halls.get_hall(session, hall_id)
    if not access.is_admin(principal, hall.region):
        raise Forbidden("staff admins of the hall's region register its kiosks")
    if await session.scalar(sa.select(Kiosk).where(Kiosk.client_id == kiosk_in.client_id)) is not None:
        raise Forbidden("that client is already a kiosk")
    kiosk = Kiosk(
        id=uuid.uuid4(),
        hall_id=hall.id,
        client_id=kiosk_in.client_id,
        name=kiosk_in.name,
        active=True,
        registered_by=principal.subject,
        registered_at=context.now(),
    )
    session.add(kiosk)
    await session.flush()
    created(request, response, f"/v1/halls/{hall.id}/kiosks/{kiosk.id}")
    return kiosk_read(kiosk)


async def this_kiosk(session: AsyncSession, principal: Principal) -> tuple[Kiosk, Hall]:
    """The kiosk the calling client is, and its hall; anyone else is refused."""
    kiosk = None
    if principal.kind == "system" and principal.client_id:
        kiosk = await session.scalar(sa.select(Kiosk).where(Kiosk.client_id == principal.client_id, Kiosk.active))
    if kiosk is None:
        raise NotARegisteredKiosk()
    return kiosk, await halls.get_hall(session, kiosk.hall_id)


async def _real_name(
    session: AsyncSession,
    kiosk: Kiosk,
    real_name: RealName,
    now: datetime,
    *,
    tracking_number: str | None = None,
    reference: str | None = None,
) -> RealNameCheck:
    outcome = await REAL_NAME.check(method=real_name.method, id_number=real_name.id_number, evidence=real_name.evidence)
    check = RealNameCheck(
        id=uuid.uuid4(),
        kiosk_id=kiosk.id,
        method=real_name.method,
        passed=outcome.passed,
        id_tail=outcome.id_tail,
        tracking_number=tracking_number,
        reference=reference,
        checked_at=now,
    )
    session.add(check)
    await session.flush()
    return check


@router.post(
    "/kiosk/tickets",
    status_code=201,
    response_model=KioskTicket,
    summary="A kiosk takes a walk-in ticket in its hall; Idempotency-Key optional",
    openapi_extra=idempotency.KEY_OPTIONAL,
)
async def kiosk_ticket(
    ticket_in: KioskTicketCreate,
    request: Request,
    session: SessionDep,
    principal: Taker,
    context: ContextDep,
    key: idempotency.OptionalKey,
) -> JSONResponse:
    kiosk, hall = await this_kiosk(session, principal)
    now = context.now()
    check = await _real_name(session, kiosk, ticket_in.real_name, now) if ticket_in.real_name else None
    if check is not None and not check.passed:
        return RealNameFailed().to_response()  # answered, not raised: the failed attempt is kept
    claim = await idempotency.claim(
        session,
        IdempotencyRecord,
        principal=principal.subject,
        scope="tickets.kiosk",
        key=key,
        body=ticket_in.model_dump(mode="json"),
    )
    if claim.replay:
        return created(request, claim.response(), f"/v1/tickets/{claim.record.body['ticket']['id']}")
    queue = await halls.queue_by_code(session, hall.id, ticket_in.queue, lock=True)
    ticket = await tickets.issue(
        session, hall=hall, queue=queue, source=Source.KIOSK, now=now, priority_group=ticket_in.priority_group
    )
    if check is not None:
        check.ticket_id = ticket.id
    body = KioskTicket(ticket=await ticket_read(session, ticket, context), real_name_method=check and check.method)
    return created(
        request,
        idempotency.remember(claim, status_code=201, body=body.model_dump(mode="json")),
        f"/v1/tickets/{ticket.id}",
    )


@router.post(
    "/kiosk/check-ins",
    status_code=201,
    response_model=KioskTicket,
    summary="A kiosk checks an appointment in after a real-name check (ID card or face) of its holder",
    responses={403: {"content": {"application/problem+json": {}}}, 503: {"content": {"application/problem+json": {}}}},
)
async def kiosk_check_in(
    check_in_in: KioskCheckIn, request: Request, session: SessionDep, principal: Taker, context: ContextDep
) -> JSONResponse:
    """The person checked must be the appointment's holder: identity compares the ID number read with the
    holder's account and answers yes or no (``identity.holder.match``, the hall's own token). Someone else
    is refused (403 ``not-the-appointment-holder``, no ticket), and the check is kept with the appointment
    and the refusal (identity audits the ask too)."""
    kiosk, hall = await this_kiosk(session, principal)
    now = context.now()
    check = await _real_name(session, kiosk, check_in_in.real_name, now, reference=check_in_in.reference)
    # Problems below are answered, not raised: the request's transaction then commits and keeps the check.
    if not check.passed:
        return RealNameFailed().to_response()
    holder = (await tickets.appointment_for(session, hall=hall, reference=check_in_in.reference, lock=False)).holder
    if not context.platform.configured:
        return HolderCheckUnavailable("the hall has no client at identity (HALL_IDENTITY_CLIENT_SECRET)").to_response()
    try:
        check.holder_matched = await holders.is_holder(
            context.platform, subject=holder, id_number=check_in_in.real_name.id_number
        )
    except PlatformCallFailed:
        return HolderCheckUnavailable().to_response()
    if not check.holder_matched:
        log.warning(
            "kiosk %s: the person checked is not the holder of appointment %s", kiosk.client_id, check.reference
        )
        return NotTheHolder().to_response()
    appointment = await tickets.appointment_for(session, hall=hall, reference=check_in_in.reference)
    queue = await halls.queue_by_code(session, hall.id, check_in_in.queue, lock=True)
    ticket = await tickets.check_in(
        session, hall=hall, queue=queue, appointment=appointment, source=Source.KIOSK, now=now
    )
    check.ticket_id = ticket.id
    body = KioskTicket(ticket=await ticket_read(session, ticket, context), real_name_method=check.method)
    return created(request, JSONResponse(body.model_dump(mode="json"), status_code=201), f"/v1/tickets/{ticket.id}")


@router.post(
    "/kiosk/case-lookups",
    response_model=KioskCase,
    summary="A kiosk looks up a case by tracking number for the person it checked (ID card or face)",
    responses={404: {"content": {"application/problem+json": {}}}, 503: {"content": {"application/problem+json": {}}}},
)
async def kiosk_case_lookup(
    lookup: KioskCaseLookup, session: SessionDep, principal: Taker, context: ContextDep
) -> JSONResponse:
    """The real-name check is kept (method, outcome, the case asked for; never the ID number) whatever the
    answer; svc-application answers with the public status only if the checked person is the applicant."""
    kiosk, _hall = await this_kiosk(session, principal)
    check = await _real_name(session, kiosk, lookup.real_name, context.now(), tracking_number=lookup.tracking_number)
    # Problems below are answered, not raised: the request's transaction then commits and keeps the check.
    if not check.passed:
        return RealNameFailed().to_response()
    if not context.platform.configured:
        return CasesUnavailable("the hall has no client for case lookups (HALL_IDENTITY_CLIENT_SECRET)").to_response()
    try:
        status = await cases.status_for(
            context.platform, tracking_number=lookup.tracking_number, id_number=lookup.real_name.id_number
        )
    except PlatformCallFailed:
        return CasesUnavailable().to_response()
    if status is None:
        return CaseNotFound().to_response()
    return JSONResponse(KioskCase(case=status, real_name_method=check.method).model_dump(mode="json"))


@router.post(
    "/kiosk/licences",
    response_model=KioskLicences,
    summary="The active licences of the person a kiosk checked (ID card or face), to choose one to print",
    responses={503: {"content": {"application/problem+json": {}}}},
)
async def kiosk_licences(ask: KioskPerson, session: SessionDep, principal: Taker, context: ContextDep) -> JSONResponse:
    """Certificates lists them for the ID number read (the hall's own token); the check is kept whatever
    the answer. No holder's name or number in the answer."""
    kiosk, _hall = await this_kiosk(session, principal)
    check = await _real_name(session, kiosk, ask.real_name, context.now())
    if not check.passed:
        return RealNameFailed().to_response()
    if not context.platform.configured:
        return PrintsUnavailable("the hall has no client at identity (HALL_IDENTITY_CLIENT_SECRET)").to_response()
    try:
        found = await prints.licences_of(context.platform, id_number=ask.real_name.id_number)
    except PlatformCallFailed:
        return PrintsUnavailable().to_response()
    return JSONResponse(KioskLicences(items=found, real_name_method=check.method).model_dump(mode="json"))


@router.post(
    "/kiosk/prints",
    response_class=Response,
    summary="A kiosk prints a licence of the person it checked, or a case's result licence (自助打印)",
    responses={
        200: {"content": {"application/pdf": {}}, "description": "the document to print"},
        404: {"content": {"application/problem+json": {}}},
        503: {"content": {"application/problem+json": {}}},
    },
)
async def kiosk_print(ask: KioskPrintAsk, session: SessionDep, principal: Taker, context: ContextDep) -> Response:
    """By ``license_id``: one of the person's licences (from ``/v1/kiosk/licences``); by ``tracking_number``:
    application first finds the person to be the case's applicant, then the case's licence is printed.
    Another person's licence or case is the same 404 (``document-not-found``) and prints nothing; every
    print is counted (``kiosk_print``: kiosk, licence id and type, the check; no personal data) and is in
    the holder's use log at certificates."""
    kiosk, hall = await this_kiosk(session, principal)
    now = context.now()
    check = await _real_name(session, kiosk, ask.real_name, now, tracking_number=ask.tracking_number)
    if not check.passed:
        return RealNameFailed().to_response()
    if not context.platform.configured:
        return PrintsUnavailable("the hall has no client at identity (HALL_IDENTITY_CLIENT_SECRET)").to_response()
    id_number = ask.real_name.id_number
    try:
        licences = await prints.licences_of(context.platform, id_number=id_number)
        if ask.tracking_number is not None:
            case = await cases.status_for(context.platform, tracking_number=ask.tracking_number, id_number=id_number)
            if case is None:
                return CaseNotFound().to_response()
            wanted = [lic for lic in licences if case.case_id is not None and lic.case_id == case.case_id]
        else:
            wanted = [lic for lic in licences if lic.id == str(ask.license_id)]
        if not wanted:
            log.warning("kiosk %s: no printable document of the person checked (%s)", kiosk.client_id, ask.license_id)
            return DocumentNotFound().to_response()
        document = wanted[0]
        pdf = await prints.licence_pdf(context.platform, id_number=id_number, license_id=document.id, kiosk=kiosk.name)
    except PlatformCallFailed:
        return PrintsUnavailable().to_response()
    if pdf is None:
        return DocumentNotFound().to_response()
    session.add(
        KioskPrint(
            id=uuid.uuid4(),
            kiosk_id=kiosk.id,
            hall_id=hall.id,
            real_name_check_id=check.id,
            license_id=document.id,
            document_type=document.type_name[:50],
            tracking_number=ask.tracking_number,
            day=china_date(now),
            printed_at=now,
        )
    )
    name = f"{document.type_name}-{document.identifier}.pdf"
    return Response(pdf, media_type="application/pdf", headers=attachment_headers(name, media_type="application/pdf"))
