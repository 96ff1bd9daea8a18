"""大厅监察 on the supervisor's side (issue 21's figures feeding the board): every hall of the supervisor's
region subtree with today's figures from svc-hall (waiting now, tickets, average wait and service time,
no-show rate, appointment punctuality, kiosk prints), the average wait as an SVG chart with its table, and one
hall's queues and windows (tickets served per window). The list costs one call to svc-hall whatever the
number of halls (``GET /v1/figures``: each hall's name with its figures); one hall's page one more, for its
queues and windows."""

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
MAX_HALLS = 30  # the halls the chart and table show (svc-hall answers up to 100 in one call)


def _minutes(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 60, 1)


@router.get("/hall-figures", include_in_schema=False)
async def hall_figures(request: Request, hall: Annotated[str, Query(max_length=36)] = "") -> Response:
    me = await staff(request)
    if "supervisor" not in me.get("roles", []):
        message = "大厅监察仅对监察人员开放。"
        return render(request, "web/error.html", {"title": "无权访问", "message": message, "me": me}, 403)
    region = me.get("region") or None
    hall_id = uuid.UUID(hall) if hall and UUID_RE.match(hall) else None
    if hall and hall_id is None:
        return render(request, "web/error.html", {"title": "页面不存在", "message": "没有这个大厅。", "me": me}, 404)
    calls = [json_or_none(request, "/api/hall/v1/figures", region=region, limit=MAX_HALLS)]
    if hall_id is not None:  # its queues and windows: the hall's own figures, asked at the same time
        calls.append(json_or_none(request, f"/api/hall/v1/halls/{hall_id}/figures"))
    listed, *detail = await asyncio.gather(*calls)
    items = (listed or {}).get("items", [])
    if hall_id is not None:
        # Only a hall of the supervisor's list; its row and tables from its own figures.
        own = detail[0]
        items = [{**i, **own} if own else {**i, "total": None} for i in items if i["hall_id"] == str(hall_id)]
        if not items:
            return render(
                request, "web/error.html", {"title": "页面不存在", "message": "没有这个大厅。", "me": me}, 404
            )
    rows: list[dict[str, Any]] = [
        {
            "hall": {"id": i["hall_id"], "name": i["name"]},
            "f": i if i["total"] else None,
            "wait": _minutes(i["total"]["average_wait_seconds"]) if i["total"] else None,
        }
        for i in items
    ]
    chart = display.bar_chart([(str(r["hall"]["name"]), r["wait"]) for r in rows])
    return render(
        request,
        "hall_figures.html",
        {"me": me, "rows": rows, "chart": chart, "one": rows[0] if hall and rows else None, "minutes": _minutes},
    )
