"""12345工单 (issue 19 part 4, consultations and complaints to answer): the 12345 hotline's work orders
dispatched to my department (svc-hotline's ``/v1/orders``, which shows handling staff only their
department's, in their region subtree) by state, the most urgent first, each with its due day and its
yellow or red warning; one order with the caller's matter (the caller masked, as the API gives it), its
deadline and history, and what its state allows: sign for it (签收), return it to the centre (退回), ask
for more working days (申请延期), answer it (答复). Empty or too-long fields are refused next to the field
and nothing is sent; the API's refusals (another state, another department) are shown in words.

The hotline's moves take no Idempotency-Key: a form sent twice is refused the second time by the order's
state (409), which is shown as such."""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from typing import Annotated, Any

import httpx
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse, Response

from gov_common.policy import CASE_ROLES
from gov_standards.regions import GUANGXI_REGIONS
from gov_web.app import csrf_protected, flash, public_json, render, session_of
from gov_web.gateway import problem
from workbench.pages.calls import api, json_or_none, staff

router = APIRouter()
ORDERS = "/api/hotline/v1/orders"
# The tabs of the list: the states an order is in while it concerns the department.
TABS = {"dispatched": "待签收", "signed": "办理中", "answered": "已答复", "closed": "已办结"}
STATUS = {
    "registered": "待派单",
    "dispatched": "待签收",
    "signed": "办理中",
    "answered": "已答复，待回访",
    "closed": "已办结",
    "handed_over": "已移交应急联动",
    "forwarded": "已转市级12345",
}
KIND = {"consultation": "咨询", "request": "求助", "complaint": "投诉", "suggestion": "建议", "report": "举报",
        "praise": "表扬"}  # fmt: skip
URGENCY = {"normal": "一般", "urgent": "紧急", "emergency": "紧急求助"}
CHANNEL = {"phone": "电话", "web": "网上留言", "wechat": "微信", "mini_program": "小程序", "exchange": "其他热线转来"}
OUTCOME = {"rated": "已回访", "answered_on_the_spot": "话务员当场答复", "handed_over": "已移交应急联动"}
EXTENSION = {"requested": "等待12345中心批复", "approved": "已同意", "refused": "未同意"}
ACTIONS = {
    "created": "登记工单",
    "dispatch": "派单",
    "redispatch": "重新派单",
    "transfer": "转办",
    "reopen": "回访不满意，重办",
    "signed": "签收",
    "returned": "退回",
    "extension_requested": "申请延期",
    "extension_approved": "同意延期",
    "extension_refused": "不同意延期",
    "answered": "答复",
    "called_back": "回访",
    "reopened": "回访不满意，退回12345中心",
    "closed": "办结",
    "handed_over": "移交应急联动",
    "caller_revealed": "话务员查看来电号码",
    "forwarded": "转至市级12345",
    "rated_in_evaluation": "提问人评价",
}
# Steps whose note is what a person wrote (a reason, an instruction); the other notes are the service's own.
WORDED = frozenset(
    {"dispatch", "redispatch", "transfer", "reopen", "returned", "extension_requested", "extension_approved",
     "extension_refused", "reopened", "forwarded"}
)  # fmt: skip
# The API's alert as the workbench words a deadline (display.SLA) and colours it.
ALERT_LEVEL = {"none": "green", "yellow": "yellow", "red": "red"}
ALERT_TAG = {"none": "green", "yellow": "amber", "red": "red"}
# What the order's state allows the department (the API checks again).
MOVES = {"sign": ("dispatched",), "return": ("dispatched", "signed"), "extension": ("signed",), "answer": ("signed",)}
MOVE_NAMES = {"sign": "签收", "return": "退回", "extension": "申请延期", "answer": "答复"}
# Where each move's refusal is shown: its main field (signing for has none: its button).
MOVE_FIELD = {"sign": "h-sign", "return": "h-reason", "extension": "h-days", "answer": "h-answer"}
FIELD_MOVE = {"h-sign": "sign", "h-reason": "return", "h-days": "extension", "h-ext-reason": "extension",
              "h-answer": "answer"}  # fmt: skip
REASON_MAX, ANSWER_MAX, DAYS_MAX = 500, 4000, 10
CURSOR_RE = re.compile(r"^[A-Za-z0-9_=-]{1,500}$")
CITIES = {code: name for code, name, _ in GUANGXI_REGIONS}
ERRORS, VALUES = "hotline_errors", "hotline_values"


def _not_found(request: Request, me: dict[str, Any]) -> Response:
    message = "没有这张工单，或它不在您的部门办理。"
    return render(request, "web/error.html", {"title": "页面不存在", "message": message, "me": me}, 404)


def _forbidden(request: Request, me: dict[str, Any]) -> Response:
    message = "12345工单仅对部门的办理人员（受理、审查、审批人员）开放。"
    return render(request, "web/error.html", {"title": "无权访问", "message": message, "me": me}, 403)


def handles_orders(me: Mapping[str, Any]) -> bool:
    """A department's handling staff (the roles svc-hotline lets sign for and answer orders)."""
    return bool(set(me.get("roles") or []) & CASE_ROLES)


def region_name(code: str) -> str:
    """A region code as people read it: the city's name, with the code when it is a district or county."""
    city = CITIES.get(code[:4] + "00") if len(code) == 6 else None
    if code in CITIES:
        return CITIES[code]
    return f"{city}（{code}）" if city else code


def most_urgent_first(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Red before yellow before the rest, then the nearest due day; an order without one last (stable:
    newest first among equals, as the API lists them)."""
    rank = {"red": 0, "yellow": 1}
    return sorted(items, key=lambda o: (rank.get(str(o.get("alert")), 2), str(o.get("due") or "9999-99-99")))


def reason_errors(values: Mapping[str, str], field: str, label: str) -> dict[str, str]:
    text = values.get(field, "")
    if not text:
        return {field: f"请填写{label}"}
    if len(text) > REASON_MAX:
        return {field: f"{label}不能超过{REASON_MAX}字"}
    return {}


def extension_errors(values: Mapping[str, str]) -> dict[str, str]:
    errors: dict[str, str] = {}  # in the form's order, as the error summary lists them
    days = values.get("h-days", "")
    if not days:
        errors["h-days"] = "请填写延期的工作日数"
    elif not days.isascii() or not days.isdigit() or not 1 <= int(days) <= DAYS_MAX:
        errors["h-days"] = f"延期的工作日数须为1至{DAYS_MAX}的整数"
    return errors | reason_errors(values, "h-ext-reason", "延期理由")


def answer_errors(values: Mapping[str, str]) -> dict[str, str]:
    text = values.get("h-answer", "")
    if not text:
        return {"h-answer": "请填写答复内容"}
    if len(text) > ANSWER_MAX:
        return {"h-answer": f"答复内容不能超过{ANSWER_MAX}字"}
    return {}


def error_links(errors: Mapping[str, str], allowed: set[str]) -> list[tuple[str, str]]:
    """The error summary's links: to the field, or to the order's state when its form is gone (the order
    moved on, e.g. answered meanwhile)."""
    return [(field if FIELD_MOVE.get(field) in allowed else "order-status", text) for field, text in errors.items()]


def refusal(resp: httpx.Response, move: str) -> str:
    """The API's refusal of ``move`` in words (its problem details are for programs)."""
    body = problem(resp)
    slug = str(body.get("type", "")).rsplit(":", 1)[-1]
    if slug == "invalid-order-transition":
        now = STATUS.get(str(body.get("current_status")), "")
        if move == "extension" and body.get("current_status") == "signed":
            return "这张工单已有延期申请在等待12345中心批复。"
        return f"工单当前{'为“' + now + '”' if now else '的状态'}，不能{MOVE_NAMES[move]}（可能已有同事办理）。"
    if slug == "invalid-work-order" and move == "extension":
        return f"延期合计不能超过{DAYS_MAX}个工作日。"
    if slug == "outside-your-scope" or resp.status_code == 403:
        return "只有工单所在部门的办理人员才能办理这张工单。"
    return f"{MOVE_NAMES[move]}未成功，请核对后重试。"


@router.get("/hotline", include_in_schema=False)
async def orders(
    request: Request,
    status: Annotated[str, Query(max_length=20)] = "dispatched",
    kind: Annotated[str, Query(max_length=20)] = "",
    cursor: Annotated[str, Query(max_length=500)] = "",
) -> Response:
    me = await staff(request)
    if not handles_orders(me):
        return _forbidden(request, me)
    status = status if status in TABS else "dispatched"
    kind = kind if kind in KIND else ""
    cursor = cursor if CURSOR_RE.match(cursor) else ""
    page = await json_or_none(request, ORDERS, status=status, kind=kind, cursor=cursor, limit=100)
    items = list((page or {}).get("items", []))
    if status in ("dispatched", "signed"):
        items = most_urgent_first(items)
    listed = await public_json(request, "/api/hotline/v1/categories") or {}
    return render(
        request,
        "hotline_orders.html",
        {
            "me": me,
            "items": items,
            "status": status,
            "kind": kind,
            "next_cursor": (page or {}).get("next_cursor"),
            "failed": page is None,
            "tabs": TABS,
            "kinds": KIND,
            "urgencies": URGENCY,
            "categories": {c["code"]: c["name"] for c in listed.get("items", [])},
            "alert_level": ALERT_LEVEL,
            "alert_tag": ALERT_TAG,
        },
    )


@router.get("/hotline/{order_id}", include_in_schema=False)
async def order(request: Request, order_id: uuid.UUID) -> Response:
    me = await staff(request)
    if not handles_orders(me):
        return _forbidden(request, me)
    found = await json_or_none(request, f"{ORDERS}/{order_id}")
    if found is None:
        return _not_found(request, me)
    listed = await public_json(request, "/api/hotline/v1/categories") or {}
    ws = session_of(request)
    errors: dict[str, str] = ws.pop(ERRORS) or {}
    values: dict[str, str] = ws.pop(VALUES) or {}
    status = found.get("status")
    pending = (found.get("extension_request") or {}).get("state") == "requested"
    allowed = {move for move, states in MOVES.items() if status in states}
    if pending:
        allowed.discard("extension")
    return render(
        request,
        "hotline_order.html",
        {
            "me": me,
            "o": found,
            "allowed": allowed,
            "errors": errors,
            "values": values,
            "error_list": error_links(errors, allowed),
            "statuses": STATUS,
            "kinds": KIND,
            "urgencies": URGENCY,
            "channels": CHANNEL,
            "outcomes": OUTCOME,
            "extension_states": EXTENSION,
            "actions": ACTIONS,
            "worded": WORDED,
            "categories": {c["code"]: c["name"] for c in listed.get("items", [])},
            "region": region_name(str(found.get("region") or "")),
            "alert_level": ALERT_LEVEL,
            "alert_tag": ALERT_TAG,
            "reason_max": REASON_MAX,
            "answer_max": ANSWER_MAX,
            "days_max": DAYS_MAX,
        },
    )


async def _move(
    request: Request, order_id: uuid.UUID, move: str, values: dict[str, str], errors: dict[str, str], body: Any
) -> Response | None:
    """Send ``move`` unless the form was refused here: None when the API accepted it, else the page to go to
    (the order again, with the refusal next to its field; or the page that does not exist)."""
    me = await staff(request)
    if not handles_orders(me):
        return _forbidden(request, me)
    ws = session_of(request)
    back = RedirectResponse(f"/hotline/{order_id}", status_code=303)
    if errors:
        ws.set(ERRORS, errors)
        ws.set(VALUES, values)
        return back
    resp = await api(request, "POST", f"{ORDERS}/{order_id}/{move}", json=body)
    if resp.status_code == 200:
        return None
    if resp.status_code == 404:
        return _not_found(request, me)
    ws.set(ERRORS, {MOVE_FIELD[move]: refusal(resp, move)})
    ws.set(VALUES, values)
    return back


@router.post("/hotline/{order_id}/sign", include_in_schema=False, dependencies=[Depends(csrf_protected)])
async def sign(request: Request, order_id: uuid.UUID) -> Response:
    refused = await _move(request, order_id, "sign", {}, {}, {})
    if refused is not None:
        return refused
    flash(request, "已签收。请在办理期限内答复。")
    return RedirectResponse(f"/hotline/{order_id}", status_code=303)


@router.post("/hotline/{order_id}/return", include_in_schema=False, dependencies=[Depends(csrf_protected)])
async def give_back(request: Request, order_id: uuid.UUID) -> Response:
    form = await request.form()
    values = {"h-reason": str(form.get("reason") or "").strip()}
    errors = reason_errors(values, "h-reason", "退回理由")
    refused = await _move(request, order_id, "return", values, errors, {"reason": values["h-reason"]})
    if refused is not None:
        return refused
    flash(request, "工单已退回12345中心，由中心重新派单。")
    return RedirectResponse("/hotline", status_code=303)  # no longer the department's: back to the list


@router.post("/hotline/{order_id}/extension", include_in_schema=False, dependencies=[Depends(csrf_protected)])
async def extension(request: Request, order_id: uuid.UUID) -> Response:
    form = await request.form()
    values = {"h-days": str(form.get("days") or "").strip(), "h-ext-reason": str(form.get("reason") or "").strip()}
    errors = extension_errors(values)
    body = {"days": 0 if errors else int(values["h-days"]), "reason": values["h-ext-reason"]}
    refused = await _move(request, order_id, "extension", values, errors, body)
    if refused is not None:
        return refused
    flash(request, "延期申请已提交，等待12345中心批复。")
    return RedirectResponse(f"/hotline/{order_id}", status_code=303)


@router.post("/hotline/{order_id}/answer", include_in_schema=False, dependencies=[Depends(csrf_protected)])
async def answer(request: Request, order_id: uuid.UUID) -> Response:
    form = await request.form()
    values = {"h-answer": str(form.get("answer") or "").strip()}
    errors = answer_errors(values)
    refused = await _move(request, order_id, "answer", values, errors, {"answer": values["h-answer"]})
    if refused is not None:
        return refused
    flash(request, "答复已提交，等待12345中心回访。")
    return RedirectResponse(f"/hotline/{order_id}", status_code=303)
