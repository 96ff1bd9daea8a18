"""Appointments (网上预约): book a slot at a service hall, see and cancel one's bookings."""

from __future__ import annotations

import asyncio
import re
import uuid
from datetime import date, timedelta

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from gov_standards.china_time import today_in_china
from gov_web.app import api, csrf_protected, json_or_none, render, session_of
from gov_web.gateway import problem
from portal.pages.apply import _key

router = APIRouter()
DAY_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
APPOINTMENT_STATUS = {"booked": "已预约", "cancelled": "已取消", "checked_in": "已签到", "no_show": "未到"}


def _day(value: str) -> date:
    """The day asked for, or tomorrow (China time) when none or a malformed one is given."""
    if DAY_RE.match(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    return today_in_china() + timedelta(days=1)


@router.get("/me/appointments", include_in_schema=False)
async def appointments(request: Request, hall: str = "", day: str = "") -> Response:
    mine, halls = await asyncio.gather(
        json_or_none(request, "/api/application/v1/appointments"), json_or_none(request, "/api/application/v1/halls")
    )
    hall_list = (halls or {}).get("items", [])
    names = {h["id"]: h["name"] for h in hall_list}
    chosen = next((h for h in hall_list if h["id"] == hall), hall_list[0] if hall_list else None)
    on = _day(day)
    slots = []
    if chosen is not None:
        page = await json_or_none(
            request, f"/api/application/v1/halls/{uuid.UUID(chosen['id'])}/slots", day=on.isoformat()
        )
        slots = [s for s in (page or {}).get("items", []) if s["available"] > 0]
    return render(
        request,
        "appointments.html",
        {
            "mine": (mine or {}).get("items", []),
            "names": names,
            "halls": hall_list,
            "hall": chosen,
            "day": on.isoformat(),
            "next_day": (on + timedelta(days=1)).isoformat(),
            "slots": slots,
            "status": APPOINTMENT_STATUS,
            "key": uuid.uuid4().hex,
            "errors": session_of(request).pop("appointment_errors") or [],
        },
    )


@router.post("/me/appointments", include_in_schema=False, dependencies=[Depends(csrf_protected)])
async def book(request: Request) -> Response:
    form = await request.form()
    hall, slot = str(form.get("hall_id") or ""), str(form.get("slot_start") or "")
    back = f"/me/appointments?hall={hall}&day={slot[:10]}" if hall else "/me/appointments"
    try:
        hall_id = uuid.UUID(hall)
    except ValueError:
        return RedirectResponse("/me/appointments", status_code=303)
    if not slot:
        session_of(request).set("appointment_errors", [("slot-0", "请选择预约时段")])
        return RedirectResponse(back, status_code=303)
    resp = await api(
        request,
        "POST",
        "/api/application/v1/appointments",
        json={"hall_id": str(hall_id), "slot_start": slot},
        headers={"Idempotency-Key": _key(form.get("key"))},
    )
    if resp.status_code in (200, 201):
        session_of(request).set("flash", f"预约成功，预约号 {resp.json()['reference']}，请按时到大厅办理。")
        return RedirectResponse("/me/appointments", status_code=303)
    detail = str(problem(resp).get("detail") or "该时段已约满，请选择其他时段")
    session_of(request).set("appointment_errors", [("slot-0", "预约未成功：" + detail)])
    return RedirectResponse(back, status_code=303)


@router.post(
    "/me/appointments/{appointment_id}/cancel", include_in_schema=False, dependencies=[Depends(csrf_protected)]
)
async def cancel(request: Request, appointment_id: uuid.UUID) -> Response:
    resp = await api(request, "POST", f"/api/application/v1/appointments/{appointment_id}/cancel")
    session_of(request).set("flash", "预约已取消。" if resp.status_code == 200 else "取消未成功，请稍后再试。")
    return RedirectResponse("/me/appointments", status_code=303)
