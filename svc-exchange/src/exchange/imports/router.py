"""Imports of legacy cases and licenses by platform admins."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Request

from exchange.access import PlatformAdminDep
from exchange.imports.schemas import ImportReport
from exchange.imports.service import import_rows, parse_file
from exchange.keyring import BlindIndexDep
from gov_common.deps import SessionDep

router = APIRouter(prefix="/v1/imports", tags=["historical data"])


@router.post(
    "/{kind}",
    response_model=ImportReport,
    summary="Import legacy cases or licenses from a CSV or JSON file",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "text/csv": {"schema": {"type": "string"}},
                "application/json": {"schema": {"type": "array", "items": {"type": "object"}}},
            },
        }
    },
)
async def import_file(
    kind: Annotated[Literal["cases", "licenses"], Path()],
    request: Request,
    session: SessionDep,
    index: BlindIndexDep,
    _: PlatformAdminDep,
) -> Any:
    """Platform admins. Good rows are kept, bad rows come back in ``errors`` (by row number); running
    the same file again creates nothing (rows are keyed by ``legacy_id``)."""
    rows = parse_file(await request.body(), request.headers.get("content-type", ""))
    return await import_rows(session, kind=kind, rows=rows, index=index)
