"""The supervisor's board (电子监察): the open cases with a yellow (warning) or red (overdue) deadline in my
region subtree, by department and item, with the figures the workflow API keeps (on-time rate, average
handling time in working days, steps past their own deadline); each case opens its page."""

from __future__ import annotations

import asyncio
import re
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from gov_web.app import render
from workbench.pages.calls import json_or_none, staff

router = APIRouter()
CLOSED = ("refused", "completed", "withdrawn")
REGION_RE = re.compile(r"^\d{6}$")
PAGES = 5  # at most this many pages of 100 cases per colour on the board


async def _open_cases(request: Request, level: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    """The open cases of ``level`` (the API lists closed ones too: they are left out here)."""
    found: list[dict[str, Any]] = []
    cursor = None
    for _ in range(PAGES):
        page = await json_or_none(
            request, "/api/workflow/v1/supervision/cases", level=level, limit=100, cursor=cursor, **params
        )
        if not page:
            break
        found += [c for c in page.get("items", []) if c.get("status") not in CLOSED]
        cursor = page.get("next_cursor")
        if not cursor:
            break
    return found


@router.get("/supervision", include_in_schema=False)
async def board(
    request: Request,
    department: Annotated[str, Query(max_length=40)] = "",
    region: Annotated[str, Query(max_length=12)] = "",
) -> Response:
    me = await staff(request)
    if "supervisor" not in me.get("roles", []):
        return render(
            request, "web/error.html", {"title": "无权访问", "message": "电子监察仅对监察人员开放。", "me": me}, 403
        )
    params = {
        "department": department if re.fullmatch(r"[0-9A-Z]{18}", department) else None,
        "region": region if REGION_RE.match(region) else None,
    }
    summary, red, yellow = await asyncio.gather(
        json_or_none(request, "/api/workflow/v1/supervision/summary", **params),
        _open_cases(request, "red", params),
        _open_cases(request, "yellow", params),
    )
    by_department: dict[str, dict[str, int]] = {}
    for level, cases in (("red", red), ("yellow", yellow)):
        for c in cases:
            row = by_department.setdefault(c["department"], {"red": 0, "yellow": 0})
            row[level] += 1
    return render(
        request,
        "supervision.html",
        {
            "me": me,
            "summary": summary or {},
            "red": red,
            "yellow": yellow,
            "by_department": sorted(by_department.items()),
            "department": params["department"] or "",
        },
    )
