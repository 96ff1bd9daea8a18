"""The inbox (待办): the tasks of my roles in my department and region, filtered by item, tracking number,
applicant, deadline colour and "claimed by me", with counts per state; claim and release."""

from __future__ import annotations

import asyncio
import re
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse, Response

from gov_web.app import csrf_protected, flash, render
from gov_web.gateway import problem
from workbench import display
from workbench.pages.calls import api, back_to, json_or_none, staff

router = APIRouter()
TRACKING_RE = re.compile(r"^[0-9A-Za-z]{1,64}$")
CODE_RE = re.compile(r"^[0-9A-Za-z_.-]{1,100}$")
Text = Annotated[str, Query(max_length=200)]


@router.get("/", include_in_schema=False)
async def inbox(
    request: Request,
    item: Text = "",
    tracking_number: Text = "",
    applicant: Text = "",
    sla: Text = "",
    mine: Text = "",
    status: Text = "",
    cursor: Annotated[str, Query(max_length=500)] = "",
) -> Response:
    me = await staff(request)
    tracking_number, applicant = tracking_number.strip(), applicant.strip()
    errors: dict[str, str] = {}
    if tracking_number and not TRACKING_RE.match(tracking_number):
        errors["tracking_number"] = "办件编号只含数字和字母"
    if item and not CODE_RE.match(item):
        errors["item"] = "请选择列表中的事项"
    if len(applicant) > 100:
        errors["applicant"] = "申请人最多100个字"
    filters: dict[str, Any] = {
        "item_code": item if "item" not in errors else None,
        "tracking_number": tracking_number if "tracking_number" not in errors else None,
        "applicant": applicant if "applicant" not in errors else None,
        "sla_level": sla if sla in display.SLA else None,
    }
    listing = {
        **filters,
        "status": status if status in ("open", "claimed") else None,
        "mine": "true" if mine else None,
        "cursor": cursor or None,
        "limit": 20,
    }
    tasks, counts, everything = await asyncio.gather(
        json_or_none(request, "/api/workflow/v1/tasks", **listing),
        json_or_none(request, "/api/workflow/v1/tasks/counts", **filters),
        json_or_none(request, "/api/workflow/v1/tasks/counts"),  # the items the item filter offers
    )
    if tasks is None and cursor:  # a stale or forged cursor: the first page
        return RedirectResponse("/", status_code=303)
    query = str(request.url.query)
    return render(
        request,
        "inbox.html",
        {
            "me": me,
            "tasks": (tasks or {}).get("items", []),
            "next_cursor": (tasks or {}).get("next_cursor"),
            "counts": counts or {"open": 0, "claimed": 0, "claimed_by_me": 0, "by_sla_level": {}, "by_kind": {}},
            "items": (everything or {}).get("by_item", []),
            "errors": errors,
            "values": {
                "item": item,
                "tracking_number": tracking_number,
                "applicant": applicant,
                "sla": sla,
                "mine": bool(mine),
                "status": status,
            },
            "back": "/" + (f"?{query}" if query else ""),
            "filtered": any(v for v in filters.values()) or bool(mine) or bool(status),
        },
    )


async def _task_command(request: Request, task_id: uuid.UUID, command: str, done: str) -> Response:
    form = await request.form()
    back = back_to(form.get("back"))
    resp = await api(request, "POST", f"/api/workflow/v1/tasks/{task_id}/{command}")
    if resp.status_code == 200:
        flash(request, done)
    elif resp.status_code == 409:
        flash(request, "该任务已被他人认领。")
    else:
        flash(
            request, "操作未成功：" + str(problem(resp).get("detail") or problem(resp).get("title") or resp.status_code)
        )
    return RedirectResponse(back, status_code=303)


@router.post("/tasks/{task_id}/claim", include_in_schema=False, dependencies=[Depends(csrf_protected)])
async def claim(request: Request, task_id: uuid.UUID) -> Response:
    return await _task_command(request, task_id, "claim", "已认领，请及时办理。")


@router.post("/tasks/{task_id}/release", include_in_schema=False, dependencies=[Depends(csrf_protected)])
async def release(request: Request, task_id: uuid.UUID) -> Response:
    return await _task_command(request, task_id, "release", "已退回待办，其他同事可以认领。")
