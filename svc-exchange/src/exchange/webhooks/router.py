"""Webhook subscriptions of external systems and their deliveries; platform admins see every system's."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse

from exchange.access import SCOPE_WEBHOOKS, PlatformAdminDep
from exchange.audit import service as audit
from exchange.deps import SettingsDep, system_with_scope
from exchange.errors import SecretUnavailable, SubscriptionNotFound, WebhookUrlNotAllowed
from exchange.keyring import KeyRingDep
from exchange.models import ExternalSystem, IdempotencyRecord, WebhookSubscription
from exchange.webhooks.schemas import (
    DeliveryPage,
    DeliveryRead,
    SubscriptionCreate,
    SubscriptionCreated,
    SubscriptionRead,
)
from exchange.webhooks.service import list_page, literal_refusal, owned_delivery, redeliver_now
from exchange.webhooks.signing import new_secret
from gov_common import idempotency
from gov_common.deps import SessionDep
from gov_common.http import created
from gov_common.pagination import Cursor, Limit, Page

router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"])


admin_router = APIRouter(prefix="/v1/admin/webhook-deliveries", tags=["webhooks"])


WebhookSystem = Annotated[ExternalSystem, Depends(system_with_scope(SCOPE_WEBHOOKS))]


@router.post(
    "/subscriptions",
    status_code=201,
    response_model=SubscriptionCreated,
    summary="Subscribe",
    openapi_extra=idempotency.KEY_OPTIONAL,
)
async def create_subscription(
    request: Request,
    body: SubscriptionCreate,
    session: SessionDep,
    system: WebhookSystem,
    settings: SettingsDep,
    ring: KeyRingDep,
    idempotency_key: idempotency.OptionalKey,
) -> JSONResponse:
    """The URL must reach a public address (``EXCHANGE_WEBHOOK_ALLOW_PRIVATE_ADDRESSES`` lifts that for
    tests and local receivers). The secret is in this answer (and its idempotent replay) only; it is stored
    sealed (:mod:`exchange.keyring`).

    Only outbound event types may be chosen, and each delivery carries only that type's allow-listed
    fields (see ``event_types``), never an internal payload; it is sent only when the record's region is
    inside the system's registered region (a record without a region is never sent)."""
    refusal = None if settings.webhook_allow_private_addresses else literal_refusal(str(body.url))
    if refusal:
        raise WebhookUrlNotAllowed(refusal)
    claim = await idempotency.claim(
        session,
        IdempotencyRecord,
        principal=f"system:{system.id}",
        scope="webhooks.subscriptions.create",
        key=idempotency_key,
        body=body.model_dump(mode="json"),
    )
    if claim.replay:
        earlier = await session.get(WebhookSubscription, uuid.UUID(claim.record.body["id"]))
        secret = ring.readable_secret(earlier) if earlier is not None else None
        if not isinstance(secret, str):
            raise SecretUnavailable()
        path = f"/v1/webhooks/subscriptions/{claim.record.body['id']}"
        return created(request, claim.response(unkept={"secret": secret}), path)
    secret = new_secret()
    sub = WebhookSubscription(
        id=uuid.uuid4(),
        system_id=system.id,
        url=str(body.url),
        event_types=body.event_types,
    )
    ring.store(sub, secret)
    session.add(sub)
    await session.flush()
    answer = SubscriptionRead.model_validate(sub).model_dump(mode="json")
    # the audit hashes the answer without the secret: the log must not become a way to recompute it
    await audit.append(
        session, request, actor=system.identifier, request_body=body.model_dump(mode="json"), response_body=answer
    )
    # the secret is answered, never remembered in clear: a replay reads it sealed from the row
    idempotency.remember(claim, status_code=201, body=answer)
    response = JSONResponse({**answer, "secret": secret}, status_code=201)
    return created(request, response, f"/v1/webhooks/subscriptions/{sub.id}")


@router.get(
    "/subscriptions", response_model=Page[SubscriptionRead], summary="My subscriptions, oldest first (one page: all)"
)
async def list_subscriptions(session: SessionDep, system: WebhookSystem) -> Any:
    rows = await session.scalars(
        sa.select(WebhookSubscription)
        .where(WebhookSubscription.system_id == system.id)
        .order_by(WebhookSubscription.created_at)
    )
    return {"items": list(rows), "next_cursor": None}


@router.delete("/subscriptions/{subscription_id}", status_code=204, summary="Unsubscribe")
async def delete_subscription(subscription_id: uuid.UUID, session: SessionDep, system: WebhookSystem) -> None:
    sub = await session.get(WebhookSubscription, subscription_id)
    if sub is None or sub.system_id != system.id:
        raise SubscriptionNotFound()
    sub.active = False


StatusFilter = Annotated[Literal["pending", "delivered", "dead"] | None, Query()]


@router.get(
    "/deliveries",
    response_model=DeliveryPage,
    summary="My deliveries; status=dead is the dead-letter list",
)
async def list_deliveries(
    session: SessionDep, system: WebhookSystem, status: StatusFilter = None, limit: Limit = 50, cursor: Cursor = None
) -> Any:
    """The deliveries of the calling system's own subscriptions."""
    return await list_page(session, system, status, limit, cursor)


@router.post(
    "/deliveries/{delivery_id}/redeliver",
    response_model=DeliveryRead,
    summary="Deliver again now",
)
async def redeliver(delivery_id: uuid.UUID, session: SessionDep, system: WebhookSystem) -> Any:
    """The owning system puts a delivery (typically a dead one) back in the queue with a fresh retry
    schedule."""
    return await redeliver_now(await owned_delivery(session, delivery_id, system), session)


@admin_router.get("", response_model=DeliveryPage, summary="Every system's deliveries (platform admins)")
async def list_all_deliveries(
    session: SessionDep, _: PlatformAdminDep, status: StatusFilter = None, limit: Limit = 50, cursor: Cursor = None
) -> Any:
    return await list_page(session, None, status, limit, cursor)


@admin_router.post("/{delivery_id}/redeliver", response_model=DeliveryRead, summary="Deliver again now (admins)")
async def redeliver_any(delivery_id: uuid.UUID, session: SessionDep, _: PlatformAdminDep) -> Any:
    """A platform admin puts any system's delivery back in the queue, e.g. after the receiver's outage."""
    return await redeliver_now(await owned_delivery(session, delivery_id, None), session)
