"""Result delivery: the applicant chooses pick-up at a hall or mail (address encrypted at rest); case staff
dispatch it (mail goes through the logistics adapter); the carrier or hall staff report status updates."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

import sqlalchemy as sa
from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from application import access
from application.applications import service as applications
from application.appointments.service import get_hall
from application.deps import ContextDep
from application.errors import ApplicationNotFound, DeliveryNotAllowed, InvalidState
from application.logistics import DELIVERY_STATUSES
from application.models import Application, CatalogItem, Delivery, DeliveryUpdate
from gov_common.auth import PrincipalDep, scoped
from gov_common.deps import SessionDep
from gov_common.errors import Forbidden
from gov_common.http import AwareDateTime
from gov_common.policy import system_in
from gov_standards.china_time import utcnow

router = APIRouter(prefix="/v1", tags=["delivery"])
FINAL = frozenset({"completed", "withdrawn", "refused", "rejected"})


class Address(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    recipient: str = Field(min_length=1, max_length=50)
    phone: str = Field(pattern=r"^1[3-9]\d{9}$")
    region: str = Field(pattern=r"^\d{6}$", description="GB/T 2260 county code")
    detail: str = Field(min_length=2, max_length=200)
    postal_code: str | None = Field(default=None, pattern=r"^\d{6}$")


class DeliveryIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    method: Literal["pickup", "mail"]
    hall_id: uuid.UUID | None = Field(default=None, description="pick-up hall")
    address: Address | None = Field(default=None, description="mail address")


class UpdateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: Annotated[str, Field(pattern="^(" + "|".join(DELIVERY_STATUSES) + ")$")]
    note: str = Field(default="", max_length=300)


class UpdateRead(BaseModel):
    status: str
    note: str
    at: AwareDateTime


class DeliveryRead(BaseModel):
    application_id: uuid.UUID
    method: str
    hall_id: uuid.UUID | None
    address: dict[str, Any] | None
    carrier: str | None
    waybill: str | None
    status: str
    updates: list[UpdateRead]


async def _read(session: SessionDep, context: ContextDep, d: Delivery) -> DeliveryRead:
    updates = await session.scalars(
        sa.select(DeliveryUpdate).where(DeliveryUpdate.application_id == d.application_id).order_by(DeliveryUpdate.at)
    )
    return DeliveryRead(
        application_id=d.application_id,
        method=d.method,
        hall_id=d.hall_id,
        address=context.cipher.decrypt(d.address_enc, application_id=d.application_id) if d.address_enc else None,
        carrier=d.carrier,
        waybill=d.waybill,
        status=d.status,
        updates=[UpdateRead(status=u.status, note=u.note, at=u.at) for u in updates],
    )


def _record(session: SessionDep, d: Delivery, status: str, note: str, actor: str) -> None:
    now = utcnow()
    session.add(
        DeliveryUpdate(id=uuid.uuid4(), application_id=d.application_id, status=status, note=note, at=now, actor=actor)
    )
    d.status, d.updated_at = status, now


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
    if app.status in FINAL:
        raise InvalidState(f"an application {app.status} takes no delivery choice", current_status=app.status)
    item = await session.get(CatalogItem, app.item_code)
    if item is None or delivery_in.method not in item.delivery:
        raise DeliveryNotAllowed(f"this item delivers by {', '.join(item.delivery if item else [])}")
    if delivery_in.method == "pickup":
        if delivery_in.hall_id is None:
            raise DeliveryNotAllowed("pick-up needs a hall_id")
        await get_hall(session, delivery_in.hall_id)
    elif delivery_in.address is None:
        raise DeliveryNotAllowed("mail needs an address")
    existing = await session.get(Delivery, app.id)
    if existing is not None and existing.status != "requested":
        raise InvalidState("the result is already on its way")
    now = utcnow()
    d = existing or Delivery(application_id=app.id, created_at=now, status="requested")
    d.method = delivery_in.method
    d.hall_id = delivery_in.hall_id if delivery_in.method == "pickup" else None
    d.address_enc = (
        context.cipher.encrypt(delivery_in.address.model_dump(), application_id=app.id) if delivery_in.address else None
    )
    d.updated_at = now
    if existing is None:
        session.add(d)
        await session.flush()
        _record(session, d, "requested", delivery_in.method, principal.subject)
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
        _record(session, d, "shipped", f"{shipment.carrier} {shipment.waybill}", principal.subject)
    else:
        _record(session, d, "ready_for_pickup", "", principal.subject)
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
    _record(session, d, "picked_up", "", principal.subject)
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
    _record(session, d, update_in.status, update_in.note, principal.subject)
