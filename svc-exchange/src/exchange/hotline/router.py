"""City platforms reply to the 12345 work orders forwarded to them: a token with ``exchange.hotline.write``
and, over the raw body, a Standard Webhooks signature with the secret of the platform's subscription to
``hotline.order.forwarded`` (the key they already share with exchange), whose ``webhook-id`` makes a
retried reply idempotent."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from exchange.access import SCOPE_HOTLINE
from exchange.audit import service as audit
from exchange.deps import system_with_scope
from exchange.errors import ReplySignatureInvalid
from exchange.hotline import service
from exchange.hotline.schemas import ForwardRead, ReplyIn
from exchange.keyring import KeyRingDep
from exchange.models import ExternalSystem, IdempotencyRecord
from exchange.webhooks.signing import ID_HEADER
from gov_common import idempotency
from gov_common.deps import SessionDep
from gov_standards.china_time import utcnow

router = APIRouter(prefix="/v1/hotline", tags=["hotline"])
HotlineSystem = Annotated[ExternalSystem, Depends(system_with_scope(SCOPE_HOTLINE))]
SIGNED = {
    "parameters": [
        {"name": h, "in": "header", "required": True, "schema": {"type": "string", "maxLength": 200}}
        for h in ("webhook-id", "webhook-timestamp", "webhook-signature")
    ]
}


@router.post(
    "/orders/{order_id}/replies",
    response_model=ForwardRead,
    summary="Answer, close or return a 12345 work order forwarded to your platform (signed; webhook-id idempotent)",
    openapi_extra=SIGNED,
)
async def reply(
    order_id: uuid.UUID,
    reply_in: ReplyIn,
    request: Request,
    session: SessionDep,
    system: HotlineSystem,
    ring: KeyRingDep,
) -> Any:
    """Sign the raw body as exchange signs its webhooks: ``webhook-signature: v1,<base64 HMAC-SHA256(key,
    "<webhook-id>.<webhook-timestamp>.<body>")>`` with the key of your subscription to
    ``hotline.order.forwarded``, a timestamp within 5 minutes, a ``webhook-id`` unique per reply (a retry
    with the same id and body gets the first answer). Only the platform the order was forwarded to replies
    (others: 404); a forged or stale signature: 401; a reply the order no longer takes: 409."""
    body = await request.body()
    await service.verify_signature(session, ring, system, body, request.headers)
    reply_id = request.headers.get(ID_HEADER, "")
    if not reply_id:
        raise ReplySignatureInvalid()
    claim = await idempotency.claim(
        session, IdempotencyRecord, principal=f"system:{system.id}", scope=f"hotline.replies:{order_id}",
        key=reply_id, body=reply_in.model_dump(mode="json"),
    )  # fmt: skip
    if claim.replay:
        return claim.response()
    forward = await service.reply(
        session, system=system, order_id=order_id, reply_in=reply_in, reply_id=reply_id, now=utcnow()
    )
    answer = ForwardRead.model_validate(forward).model_dump(mode="json")
    await audit.append(
        session, request, actor=system.identifier, request_body=reply_in.model_dump(mode="json"), response_body=answer
    )
    response: JSONResponse = idempotency.remember(claim, status_code=200, body=answer)
    return response
