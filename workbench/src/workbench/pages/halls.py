"""大厅监察 on the supervisor's side (issue 21's figures feeding the board): every hall of the supervisor's
region subtree with today's figures from svc-hall (waiting now, tickets, average wait and service time,
no-show rate, appointment punctuality, kiosk prints), the average wait as an SVG chart with its table, and one
hall's queues and windows (tickets served per window)."""

from __future__ import annotations

import asyncio
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from gov_web.app import render
from workbench import display
from workbench.pages.calls import UUID_RE, json_or_none, staff

router = APIRouter()
MAX_HALLS = 30  # one page of the list; each hall's figures are one more call


def _minutes(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 60, 1)


@router.get("/hall-figures", include_in_schema=False)
async def hall_figures(request: Request, hall: Annotated[str, Query(max_length=36)] = "") -> Response:
    me = await staff(request)
    if "supervisor" not in me.get("roles", []):
        message = "大厅监察仅对监察人员开放。"
        return render(request, "web/error.html", {"title": "无权访问", "message": message, "me": me}, 403)
    listed = await json_or_none(request, "/api/hall/v1/halls", region=me.get("region") or None)
    halls = (listed or {}).get("items", [])[:MAX_HALLS]
    if hall and UUID_RE.match(hall):
        halls = [h for h in halls if h["id"] == hall]
        if not halls:
            return render(
                request, "web/error.html", {"title": "页面不存在", "message": "没有这个大厅。", "me": me}, 404
            )
    figures = await asyncio.gather(
        *(json_or_none(request, f"/api/hall/v1/halls/{uuid.UUID(h['id'])}/figures") for h in halls)
    )
    rows: list[dict[str, Any]] = [
        {"hall": h, "f": f, "wait": _minutes(f["total"]["average_wait_seconds"]) if f else None}
        for h, f in zip(halls, figures, strict=True)
    ]
    chart = display.bar_chart([(str(r["hall"]["name"]), r["wait"]) for r in rows])
    return render(
        request,
        "hall_figures.html",
        {"me": me, "rows": rows, "chart": chart, "one": rows[0] if hall and rows else None, "minutes": _minutes},
    )
