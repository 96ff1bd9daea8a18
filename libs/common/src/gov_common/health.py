"""Liveness and readiness: ``/healthz`` says the process runs, ``/readyz`` that its database and its
event bus answer. Orchestrators route traffic only to ready instances."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from gov_common.errors import problem_response

log = logging.getLogger(__name__)
router = APIRouter(tags=["health"])


@router.get("/healthz", summary="The process is alive")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


async def _check(name: str, probe: Any) -> tuple[str, str | None]:
    try:
        await asyncio.wait_for(probe(), timeout=3.0)
    except Exception as exc:
        reason = f"{type(exc).__name__}: {exc}"[:300]
        # The answer names only what is down (it may be read from outside the pod); the log says why.
        log.warning("readiness check %s failed: %s", name, reason)
        return name, reason
    return name, None


@router.get(
    "/readyz",
    summary="The database and the event bus answer",
    responses={503: {"description": "a dependency is down", "content": {"application/problem+json": {}}}},
)
async def readyz(request: Request) -> JSONResponse:
    runtime = request.app.state.runtime
    results = await asyncio.gather(_check("database", runtime.db.ping), _check("event_bus", runtime.bus.ping))
    checks = {name: ("ok" if err is None else "down") for name, err in results}
    failed = {name: err for name, err in results if err is not None}
    if failed:
        return problem_response(
            status=503,
            slug="not-ready",
            title="Not ready",
            detail="unreachable: " + ", ".join(sorted(failed)),
            extensions={"checks": checks},
        )
    return JSONResponse({"status": "ready", "checks": checks})
