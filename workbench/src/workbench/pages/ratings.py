"""好差评整改 (issue 19 part 4, rating follow-up): the bad ratings of my department and their rectifications,
with the day each reply is due and whether it is overdue (evaluation's ``/v1/rectifications``, which shows
staff only their department's in their region subtree); one rectification with the rating and its history;
the department's reply (what it verified, what it changed, what it tells the rater), refused next to its
fields when empty or too long, and by the API when the rectification is not waiting for one."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse, Response

from gov_web.app import csrf_protected, flash, public_json, render, session_of
from workbench.pages.calls import api, json_or_none, staff

router = APIRouter()
RECTIFICATIONS = "/api/evaluation/v1/rectifications"
STATUS = {
    "open": "待整改",
    "replied": "已回复，待评价人确认",
    "confirmed": "已确认整改",
    "appealed": "申诉中",
    "voided": "申诉成立",
}
ACTIONS = {
    "opened": "差评生成整改",
    "replied": "部门答复",
    "confirmed": "评价人确认",
    "rejected": "评价人不认可，重新整改",
    "appealed": "部门申诉",
    "appeal_upheld": "申诉成立",
    "appeal_dismissed": "申诉不成立，重新整改",
    "overdue": "答复超期",
}
FIELDS = {"verification": "核实情况", "measures": "整改措施", "reply": "答复评价人"}
TEXT_MAX = 2000


def _not_found(request: Request, me: dict[str, Any]) -> Response:
    message = "没有这条整改，或不属于您的部门。"
    return render(request, "web/error.html", {"title": "页面不存在", "message": message, "me": me}, 404)


@router.get("/rectifications", include_in_schema=False)
async def rectifications(request: Request, status: Annotated[str, Query(max_length=20)] = "open") -> Response:
    me = await staff(request)
    wanted = status if status in STATUS else None
    page = await json_or_none(request, RECTIFICATIONS, status=wanted, limit=50)
    items = (page or {}).get("items", [])
    return render(
        request,
        "rectifications.html",
        {"me": me, "items": items, "status": wanted or "", "statuses": STATUS, "failed": page is None},
    )


@router.get("/rectifications/{rect_id}", include_in_schema=False)
async def rectification(request: Request, rect_id: uuid.UUID) -> Response:
    me = await staff(request)
    rect = await json_or_none(request, f"{RECTIFICATIONS}/{rect_id}")
    if rect is None:
        return _not_found(request, me)
    rating = await json_or_none(request, f"/api/evaluation/v1/ratings/{uuid.UUID(rect['rating_id'])}")
    listed = await public_json(request, "/api/evaluation/v1/reasons") or {}
    reasons = {r["code"]: r["label"] for kind in ("good", "bad") for r in listed.get(kind, [])}
    ws = session_of(request)
    errors: dict[str, str] = ws.pop("reply_errors") or {}
    values: dict[str, str] = ws.pop("reply_values") or {}
    return render(
        request,
        "rectification.html",
        {
            "me": me,
            "rect": rect,
            "rating": rating,
            "reasons": reasons,
            "statuses": STATUS,
            "actions": ACTIONS,
            "fields": FIELDS,
            "errors": errors,
            "values": values,
            "error_list": [(f"r-{k}", v) for k, v in errors.items()],
        },
    )


@router.post("/rectifications/{rect_id}/reply", include_in_schema=False, dependencies=[Depends(csrf_protected)])
async def reply(request: Request, rect_id: uuid.UUID) -> Response:
    form = await request.form()
    values = {name: str(form.get(name) or "").strip() for name in FIELDS}
    errors = {
        name: f"请填写{label}" if not values[name] else f"{label}不能超过{TEXT_MAX}字"
        for name, label in FIELDS.items()
        if not values[name] or len(values[name]) > TEXT_MAX
    }
    back = RedirectResponse(f"/rectifications/{rect_id}", status_code=303)
    ws = session_of(request)
    if errors:
        ws.set("reply_errors", errors)
        ws.set("reply_values", values)
        return back
    resp = await api(request, "POST", f"{RECTIFICATIONS}/{rect_id}/reply", json=values)
    if resp.status_code == 200:
        flash(request, "答复已发送，等待评价人确认。")
    elif resp.status_code in (403, 404):
        return _not_found(request, await staff(request))
    else:  # 409: no longer waiting for a reply (answered meanwhile); 422: the API's own checks
        why = (
            "这条整改已不在待答复状态（可能已有人答复）。"
            if resp.status_code == 409
            else "答复未能发送，请核对后重试。"
        )
        ws.set("reply_errors", {"": why})
        ws.set("reply_values", values)
    return back
