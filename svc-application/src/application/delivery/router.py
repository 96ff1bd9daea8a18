"""Result delivery: the applicant chooses pick-up at a hall or mail (address encrypted at rest); case staff
dispatch it (mail goes through the logistics adapter); the carrier or hall staff report status updates."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from fastapi import APIRouter

from application import access
from application.applications import service as applications
from application.appointments.service import get_hall
from application.delivery import service
from application.delivery.schemas import DeliveryIn, DeliveryRead, UpdateIn
from application.deps import ContextDep
from application.errors import ApplicationNotFound, InvalidState
from application.models import Application, Delivery
from gov_common.auth import PrincipalDep, scoped
from gov_common.deps import SessionDep
from gov_common.errors import Forbidden
from gov_common.policy import system_in

router = APIRouter(prefix="/v1", tags=["delivery"])


async def _read(session: SessionDep, context: ContextDep, d: Delivery) -> DeliveryRead:
    return await service.read(session, cipher=context.cipher, d=d)


@router.put(
    "/applications/{application_id}/delivery",
    response_model=DeliveryRead,
    summary="Choose how to receive the result",
    dependencies=[scoped(access.SCOPE_WRITE)],
)
async def choose_delivery(
    application_id: uuid.UUID,
    delivery_in: DeliveryIn,
    session: SessionDep,
    principal: PrincipalDep,
    context: ContextDep,
) -> DeliveryRead:
    app = await applications.get_application(session, application_id, lock=True)
    access.ensure_applicant(principal, app)
    d = await service.choose(session, cipher=context.cipher, app=app, delivery_in=delivery_in, actor=principal.subject)
    return await _read(session, context, d)


@router.get(
    "/applications/{application_id}/delivery",
    response_model=DeliveryRead,
    summary="The delivery and its updates",
    dependencies=[scoped(access.SCOPE_READ)],
)
async def get_delivery(
    application_id: uuid.UUID, session: SessionDep, principal: PrincipalDep, context: ContextDep
) -> DeliveryRead:
    app = await applications.get_application(session, application_id)
    access.ensure_read(principal, app)
    d = await session.get(Delivery, app.id)
    if d is None:
        raise ApplicationNotFound("no delivery chosen yet")
    return await _read(session, context, d)


@router.post(
    "/applications/{application_id}/delivery/dispatch",
    response_model=DeliveryRead,
    summary="Hand the result over: mail through the logistics adapter, or ready for pick-up (case staff)",
    dependencies=[scoped(access.SCOPE_WRITE)],
)
async def dispatch(
    application_id: uuid.UUID, session: SessionDep, principal: PrincipalDep, context: ContextDep
) -> DeliveryRead:
    app = await applications.get_application(session, application_id)
    access.ensure_read(principal, app)
    if not access.is_case_staff(principal, app):
        raise Forbidden("case staff of the department dispatch results")
    if app.status not in ("approved", "completed"):
        raise InvalidState("only an approved case has a result to deliver", current_status=app.status)
    d = await session.get(Delivery, app.id, with_for_update=True)
    if d is None or d.status != "requested":
        raise InvalidState("no delivery waits for dispatch")
    if d.method == "mail":
        assert d.address_enc is not None
        shipment = await context.logistics.create_shipment(
            reference=app.tracking_number or str(app.id),
            address=context.cipher.decrypt(d.address_enc, application_id=app.id),
        )
        d.carrier, d.waybill = shipment.carrier, shipment.waybill
        service.record(session, d, "shipped", f"{shipment.carrier} {shipment.waybill}", principal.subject)
    else:
        service.record(session, d, "ready_for_pickup", "", principal.subject)
    return await _read(session, context, d)


@router.post(
    "/applications/{application_id}/delivery/handover",
    response_model=DeliveryRead,
    summary="The result was handed over at the pick-up hall's window (hall staff of that hall's region)",
    dependencies=[scoped(access.SCOPE_WRITE)],
)
async def hand_over(
    application_id: uuid.UUID, session: SessionDep, principal: PrincipalDep, context: ContextDep
) -> DeliveryRead:
    """Picked up (领取): for a case accepted for another region (异地代收), the accepting window hands over the
    result the deciding department dispatched to its hall."""
    app = await applications.get_application(session, application_id)
    access.ensure_read(principal, app)
    d = await session.get(Delivery, app.id, with_for_update=True)
    if d is None or d.method != "pickup" or d.hall_id is None or d.status != "ready_for_pickup":
        raise InvalidState("no result waits for pick-up", current_status=d.status if d else None)
    hall = await get_hall(session, d.hall_id)
    if not access.is_hall_staff(principal, hall.region):
        raise Forbidden("hall staff of the pick-up hall's region hand the result over")
    service.record(session, d, "picked_up", "", principal.subject)
    return await _read(session, context, d)


@router.post(
    "/deliveries/{waybill}/updates",
    status_code=204,
    summary="A carrier's status update (a logistics system) for a waybill",
    dependencies=[scoped(access.SCOPE_DELIVERY)],
)
async def carrier_update(waybill: str, update_in: UpdateIn, session: SessionDep, principal: PrincipalDep) -> None:
    if principal.kind != "system":
        raise Forbidden("carriers (logistics systems) report deliveries")
    d = await session.scalar(sa.select(Delivery).where(Delivery.waybill == waybill).with_for_update())
    app = await session.get(Application, d.application_id) if d is not None else None
    # A carrier registered for a region reports on that region's deliveries only.
    if d is None or app is None or not system_in(principal, scope=access.SCOPE_DELIVERY, region=app.region):
        raise ApplicationNotFound("no delivery with that waybill")
    service.record(session, d, update_in.status, update_in.note, principal.subject)
