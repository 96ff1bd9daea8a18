"""Consultations and complaints (咨询投诉) about an item: asked from its guide, answered by the department
that handles it, followed in the personal space."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from gov_web.app import api, csrf_protected, render, runtime, session_of
from portal import guide
from portal.pages.apply import _key

router = APIRouter()
KINDS = {"consultation": "咨询", "complaint": "投诉"}
LEVELS = {5: "非常满意", 4: "满意", 3: "基本满意", 2: "不满意", 1: "非常不满意"}


@router.get("/me/consultations", include_in_schema=False)
async def consultations(request: Request, item: str = "") -> Response:
    resp = await api(request, "GET", "/api/evaluation/v1/consultations")
    mine = resp.json().get("items", []) if resp.status_code == 200 else []
    about = None
    if guide.CODE_RE.match(item):
        about = await runtime(request).gateway.public_json(request, f"/api/catalog/v1/items/{item}")
    return _page(request, mine, about, {}, {})


def _page(request: Request, mine: list, about: dict | None, values: dict, errors: dict, status: int = 200) -> Response:
    summary = [(f"c-{name}", message) for name, message in errors.items()]
    return render(
        request,
        "consultations.html",
        {
            "mine": mine,
            "levels": LEVELS,
            "judge_errors": session_of(request).pop("judge_errors") or {},
            "about": about,
            "values": values,
            "errors": errors,
            "summary": summary,
            "kinds": KINDS,
            "key": uuid.uuid4().hex,
        },
        status,
    )


@router.post("/me/consultations", include_in_schema=False, dependencies=[Depends(csrf_protected)])
async def ask(request: Request) -> Response:
    form = await request.form()
    values = {name: str(form.get(name) or "").strip() for name in ("kind", "title", "question", "item")}
    about = None
    if guide.CODE_RE.match(values["item"]):
        about = await runtime(request).gateway.public_json(request, f"/api/catalog/v1/items/{values['item']}")
    errors: dict[str, str] = {}
    if values["kind"] not in KINDS:
        errors["kind"] = "请选择咨询或投诉"
    if not values["title"]:
        errors["title"] = "请填写标题"
    elif len(values["title"]) > 200:
        errors["title"] = "标题最多200个字"
    if not values["question"]:
        errors["question"] = "请填写具体内容"
    elif len(values["question"]) > 4000:
        errors["question"] = "内容最多4000个字"
    if about is None:
        errors["title"] = errors.get("title") or "请从事项的办事指南进入咨询投诉"
    if errors:
        return _page(request, [], about, values, errors, 422)
    assert about is not None
    resp = await api(
        request,
        "POST",
        "/api/evaluation/v1/consultations",
        json={
            "kind": values["kind"],
            "title": values["title"],
            "question": values["question"],
            "region": about["definition"]["region"],
            "item_code": about["implementation_code"],
        },
        headers={"Idempotency-Key": _key(form.get("key"))},
    )
    if resp.status_code not in (200, 201):
        return _page(request, [], about, values, {"title": "提交未成功，请稍后再试"}, 422)
    session_of(request).set("flash", f"{KINDS[values['kind']]}已提交，办理部门将在规定时限内答复。")
    return RedirectResponse("/me/consultations", status_code=303)


@router.post(
    "/me/consultations/{consultation_id}/satisfaction",
    include_in_schema=False,
    dependencies=[Depends(csrf_protected)],
)
async def judge(request: Request, consultation_id: uuid.UUID) -> Response:
    """The asker rates the department's answer once (5 levels); a missing level is named next to the choice."""
    form = await request.form()
    raw = str(form.get("level") or "")
    back = RedirectResponse(f"/me/consultations#c-{consultation_id}", status_code=303)
    if not raw.isdigit() or int(raw) not in LEVELS:
        session_of(request).set("judge_errors", {str(consultation_id): "请选择您对答复的满意程度"})
        return back
    resp = await api(
        request, "POST", f"/api/evaluation/v1/consultations/{consultation_id}/satisfaction", json={"level": int(raw)}
    )
    if resp.status_code == 200:
        session_of(request).set("flash", "感谢您对答复的评价！")
    else:
        session_of(request).set("judge_errors", {str(consultation_id): "评价未提交：答复已评价过或不可评价"})
    return back
