"""督办件 (issue 19 part 3): the supervision orders (督办) to my department as the ordered department sees them
(workflow's ``/v1/supervision/orders``, which shows staff only their department's in their region subtree):
the open ones with the reply deadline and whether it has passed or the order was escalated, the replied
ones; one order with the case it is on and its history; the department's reply, refused next to its field
when empty or too long, and by the API when the order is no longer open or not ours to answer. The
supervisor's side (issuing orders) is :mod:`workbench.pages.supervision`."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse, Response

from gov_common.policy import CASE_ROLES
from gov_web.app import csrf_protected, flash, render, session_of
from gov_web.gateway import problem_text
from workbench.pages.calls import UUID_RE, api, json_or_none, staff

router = APIRouter()
ORDERS = "/api/workflow/v1/supervision/orders"
REPLY_MAX = 2000
OPEN_PAGE, REPLIED_PAGE = 50, 20
STATUS = {"open": "待回复", "replied": "已回复"}
ACTIONS = {"issued": "下达督办", "escalated": "逾期未回复，升级督办", "replied": "部门回复"}
TARGET = {"case": "办件", "external_case": "城市平台推送的办件", "department": "部门工作"}


def _not_found(request: Request, me: dict[str, Any]) -> Response:
    message = "没有这件督办，或不是督办您的部门。"
    return render(request, "web/error.html", {"title": "页面不存在", "message": message, "me": me}, 404)


def _department_staff(me: dict[str, Any]) -> bool:
    return bool(set(me.get("roles") or []) & CASE_ROLES) and bool(me.get("department"))


def may_reply(me: dict[str, Any], order: dict[str, Any]) -> bool:
    """Offer the reply form: an open order seen by department staff. The API decides: it shows staff only
    their own department's orders, and refuses a supervisor's reply (identity's ``/me`` names the department
    by its id, the order by its credit code, so the page cannot compare them)."""
    return order.get("status") == "open" and _department_staff(me)


def reply_error(text: str) -> str | None:
    """What is wrong with the reply as typed (None: nothing)."""
    if not text:
        return "请填写回复内容"
    if len(text) > REPLY_MAX:
        return f"回复内容不能超过 {REPLY_MAX} 字"
    return None


def refusal(status: int, detail: str) -> str:
    """The API's refusal of a reply in words (``detail``: its problem text, for what is not named here)."""
    if status == 409:
        return "这件督办已有回复，不能再次回复。"
    if status == 403:
        return "只有被督办部门的工作人员可以回复督办。"
    if status == 422:
        return "回复内容不符合要求，请修改后重试。"
    return f"回复未成功，请稍后重试（{detail}）。"


def open_orders_in_trace(entries: list[dict[str, Any]], today: date) -> list[dict[str, Any]]:
    """The orders on a case still open, from its trace (issued, escalated and replied are written there, each
    naming the order), so the case page needs no extra call: ``{id, deadline, overdue}``, oldest first."""
    found: dict[str, str] = {}
    for entry in entries:
        details = entry.get("details") or {}
        order_id, action = str(details.get("order_id") or ""), entry.get("action")
        if not UUID_RE.match(order_id):
            continue
        if action in ("supervision_order_issued", "supervision_order_escalated"):
            found[order_id] = str(details.get("deadline") or found.get(order_id, ""))
        elif action == "supervision_order_replied":
            found.pop(order_id, None)
    shown = []
    for order_id, deadline in found.items():
        try:
            overdue = date.fromisoformat(deadline) < today
        except ValueError:
            overdue = False
        shown.append({"id": order_id, "deadline": deadline, "overdue": overdue})
    return shown


async def _names(request: Request, people: list[Any]) -> dict[str, str]:
    """Names of the supervisors and colleagues the orders name by account id (identity's staff directory)."""
    ids = sorted({str(p) for p in people if p and UUID_RE.match(str(p))})
    if not ids:
        return {}
    found = await json_or_none(request, "/api/identity/v1/staff-directory", id=ids[:50])
    return {str(i["id"]): str(i["name"]) for i in (found or {}).get("items", []) if i.get("name")}


@router.get("/orders", include_in_schema=False)
async def orders(
    request: Request,
    cursor: Annotated[str, Query(max_length=500)] = "",
    replied_cursor: Annotated[str, Query(max_length=500)] = "",
) -> Response:
    me = await staff(request)
    if not _department_staff(me):
        message = "督办件仅对部门的受理、审查和审批人员开放。"
        return render(request, "web/error.html", {"title": "无权访问", "message": message, "me": me}, 403)
    opened, replied = await asyncio.gather(
        json_or_none(request, ORDERS, status="open", limit=OPEN_PAGE, cursor=cursor or None),
        json_or_none(request, ORDERS, status="replied", limit=REPLIED_PAGE, cursor=replied_cursor or None),
    )
    mine, answered = (opened or {}).get("items", []), (replied or {}).get("items", [])
    names = await _names(request, [o.get("issued_by") for o in mine + answered])
    return render(
        request,
        "orders.html",
        {
            "me": me,
            "open": sorted(mine, key=lambda o: (str(o.get("deadline")), str(o.get("issued_at")))),
            "replied": answered,
            "names": names,
            "targets": TARGET,
            "failed": opened is None or replied is None,
            "next_open": (opened or {}).get("next_cursor"),
            "next_replied": (replied or {}).get("next_cursor"),
            "cursor": cursor,
            "replied_cursor": replied_cursor,
        },
    )


@router.get("/orders/{order_id}", include_in_schema=False)
async def order(request: Request, order_id: uuid.UUID) -> Response:
    me = await staff(request)
    found = await json_or_none(request, f"{ORDERS}/{order_id}")
    if not isinstance(found, dict):
        return _not_found(request, me)
    people = [found.get("issued_by"), found.get("replied_by")] + [h.get("by") for h in found.get("history") or []]
    names = await _names(request, people)
    ws = session_of(request)
    errors: dict[str, str] = ws.pop("order_reply_errors") or {}
    values: dict[str, str] = ws.pop("order_reply_values") or {}
    refused: str = ws.pop("order_reply_refused") or ""
    error_list = [(f"o-{k}", v) for k, v in errors.items()]
    if refused:
        error_list.append(("order-status", refused))
    return render(
        request,
        "order.html",
        {
            "me": me,
            "order": found,
            "names": names,
            "statuses": STATUS,
            "actions": ACTIONS,
            "targets": TARGET,
            "may_reply": may_reply(me, found),
            "department_staff": _department_staff(me),
            "errors": errors,
            "values": values,
            "error_list": error_list,
        },
    )


@router.post("/orders/{order_id}/reply", include_in_schema=False, dependencies=[Depends(csrf_protected)])
async def reply(request: Request, order_id: uuid.UUID) -> Response:
    form = await request.form()
    text = str(form.get("reply") or "").strip()
    back = RedirectResponse(f"/orders/{order_id}", status_code=303)
    ws = session_of(request)
    error = reply_error(text)
    if error:
        ws.set("order_reply_errors", {"reply": error})
        ws.set("order_reply_values", {"reply": text[: REPLY_MAX + 100]})
        return back
    resp = await api(request, "POST", f"{ORDERS}/{order_id}/reply", json={"reply": text})
    if resp.status_code == 200:
        flash(request, "督办回复已发送。" + ("（已超过首次回复期限，记为逾期回复）" if resp.json().get("late") else ""))
        return back
    if resp.status_code == 404:
        return _not_found(request, await staff(request))
    why = refusal(resp.status_code, problem_text(resp))
    if resp.status_code == 409:  # answered meanwhile (a colleague, another tab): the page shows that reply
        ws.set("order_reply_refused", why)
    else:
        ws.set("order_reply_errors", {"reply": why})
        ws.set("order_reply_values", {"reply": text})
    return back
