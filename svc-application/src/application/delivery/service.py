"""Result delivery: choosing how a result reaches the applicant (one application, or every part of a bundle
at once). Functions flush, never commit."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from application.appointments.service import get_hall
from application.delivery.schemas import DeliveryIn, DeliveryRead, UpdateRead
from application.errors import DeliveryNotAllowed, InvalidState
from application.logistics import AddressCipher
from application.models import Application, CatalogItem, Delivery, DeliveryUpdate
from gov_standards.china_time import utcnow

FINAL = frozenset({"completed", "withdrawn", "refused", "rejected"})


def record(session: AsyncSession, d: Delivery, status: str, note: str, actor: str) -> None:
    now = utcnow()
    session.add(
        DeliveryUpdate(id=uuid.uuid4(), application_id=d.application_id, status=status, note=note, at=now, actor=actor)
    )
    d.status, d.updated_at = status, now


async def check_choice(session: AsyncSession, *, app: Application, delivery_in: DeliveryIn) -> None:
    """``delivery_in`` fits ``app``: not ended, a method its item offers, a pick-up hall or a mail address."""
    if app.status in FINAL:
        raise InvalidState(f"an application {app.status} takes no delivery choice", current_status=app.status)
    item = await session.get(CatalogItem, app.item_code)
    if item is None or delivery_in.method not in item.delivery:
        raise DeliveryNotAllowed(
            f"{app.item_name} delivers by {', '.join(item.delivery if item else [])}", item_code=app.item_code
        )
    if delivery_in.method == "pickup":
        if delivery_in.hall_id is None:
            raise DeliveryNotAllowed("pick-up needs a hall_id")
        await get_hall(session, delivery_in.hall_id)
    elif delivery_in.address is None:
        raise DeliveryNotAllowed("mail needs an address")


async def choose(
    session: AsyncSession, *, cipher: AddressCipher, app: Application, delivery_in: DeliveryIn, actor: str
) -> Delivery:
    """Record (or change, while nothing was dispatched) how ``app``'s result reaches the applicant."""
    await check_choice(session, app=app, delivery_in=delivery_in)
    existing = await session.get(Delivery, app.id)
    if existing is not None and existing.status != "requested":
        raise InvalidState("the result is already on its way")
    now = utcnow()
    d = existing or Delivery(application_id=app.id, created_at=now, status="requested")
    d.method = delivery_in.method
    d.hall_id = delivery_in.hall_id if delivery_in.method == "pickup" else None
    d.address_enc = (
        cipher.encrypt(delivery_in.address.model_dump(), application_id=app.id) if delivery_in.address else None
    )
    d.updated_at = now
    if existing is None:
        session.add(d)
        await session.flush()
        record(session, d, "requested", delivery_in.method, actor)
    return d


async def read(session: AsyncSession, *, cipher: AddressCipher, d: Delivery) -> DeliveryRead:
    """``d`` with its updates in order (the address decrypted: for those who may read the application)."""
    updates = await session.scalars(
        sa.select(DeliveryUpdate).where(DeliveryUpdate.application_id == d.application_id).order_by(DeliveryUpdate.at)
    )
    return DeliveryRead(
        application_id=d.application_id,
        method=d.method,
        hall_id=d.hall_id,
        address=cipher.decrypt(d.address_enc, application_id=d.application_id) if d.address_enc else None,
        carrier=d.carrier,
        waybill=d.waybill,
        status=d.status,
        updates=[UpdateRead(status=u.status, note=u.note, at=u.at) for u in updates],
    )
