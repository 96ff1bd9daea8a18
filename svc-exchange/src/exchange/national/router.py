"""Upward reporting to the national platform through a replaceable adapter (:mod:`exchange.national.adapters`).

Consumed events become rows (items, case acceptance / process / result, ratings, licenses); a batch takes
the pending rows in time order and hands this document to the adapter:

    {"batch_id": uuid, "source": "<platform identifier>", "created_at": RFC 3339, "count": n,
     "records": [{"row_id": uuid, "dataset": "item" | "case_accept" | "case_process" | "case_result"
                  | "rating" | "license", "operation": "insert" | "update" | "delete",
                  "time": RFC 3339, "source": "<platform identifier>", "data": {...}}]}"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Request, Response

from exchange.access import SCOPE_NATIONAL, PlatformAdminDep
from exchange.deps import SettingsDep, system_with_scope
from exchange.errors import NationalUnavailable
from exchange.models import ExternalSystem, NationalBatch, NationalRow
from exchange.national.adapters import NationalAdapter
from exchange.national.schemas import BatchRead
from exchange.national.service import row_document
from gov_common.deps import SessionDep
from gov_common.errors import NotFound
from gov_common.http import created
from gov_standards.china_time import utcnow

router = APIRouter(prefix="/v1/national", tags=["national platform"])


NationalSystem = Annotated[ExternalSystem, Depends(system_with_scope(SCOPE_NATIONAL))]


def adapter_of(request: Request) -> NationalAdapter:
    adapter: NationalAdapter = request.app.state.national_adapter
    return adapter


@router.post("/batches", status_code=201, response_model=BatchRead, summary="Send pending rows as one batch")
async def send_batch(
    request: Request, response: Response, session: SessionDep, settings: SettingsDep, _: PlatformAdminDep
) -> Any:
    """Platform admins (or a scheduler acting as one). With nothing pending the batch is empty (count 0)."""
    rows = list(
        await session.scalars(
            sa.select(NationalRow)
            .where(NationalRow.batch_id.is_(None))
            .order_by(NationalRow.occurred_at, NationalRow.row_id)
            .limit(settings.national_batch_size)
        )
    )
    adapter = adapter_of(request)
    batch = NationalBatch(id=uuid.uuid4(), rows=len(rows), adapter=adapter.name, created_at=utcnow())
    document = {
        "batch_id": str(batch.id),
        "source": settings.national_source,
        "created_at": batch.created_at.isoformat(),
        "count": len(rows),
        "records": [row_document(r) for r in rows],
    }
    try:
        batch.receipt = (await adapter.send(document))[:500]
    except Exception as exc:
        raise NationalUnavailable(type(exc).__name__) from exc
    for row in rows:
        row.batch_id = batch.id
    session.add(batch)
    await session.flush()
    created(request, response, f"/v1/national/batches/{batch.id}")
    return {
        "batch_id": batch.id,
        "created_at": batch.created_at,
        "count": len(rows),
        "adapter": adapter.name,
        "receipt": batch.receipt,
    }


@router.get("/batches/{batch_id}", summary="The document of a sent batch (to resend or inspect)")
async def get_batch(batch_id: uuid.UUID, session: SessionDep, settings: SettingsDep, _: NationalSystem) -> Any:
    """For the national platform's adapter (a registered system granted ``exchange.national.read``): a batch
    it missed or must check, as it was sent."""
    batch = await session.get(NationalBatch, batch_id)
    if batch is None:
        raise NotFound("no such batch")
    rows = await session.scalars(
        sa.select(NationalRow)
        .where(NationalRow.batch_id == batch_id)
        .order_by(NationalRow.occurred_at, NationalRow.row_id)
    )
    return {
        "batch_id": str(batch.id),
        "source": settings.national_source,
        "created_at": batch.created_at.isoformat(),
        "count": batch.rows,
        "records": [row_document(r) for r in rows],
    }
