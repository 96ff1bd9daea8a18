"""The 12345工单 pages (workbench.pages.hotline) in-process, with no platform behind them: every page needs a
signed-in staff member and every form its CSRF token and our origin; malformed ids are pages that do not
exist; the forms' own checks, the most urgent order first, the API's refusals in words; and what the order
page offers in each state, with errors next to their fields (the templates rendered as the app renders them)."""

from __future__ import annotations

from typing import Any

import httpx

from gov_web.templating import environment
from workbench import display
from workbench.main import HERE
from workbench.pages import hotline

ORDER = "6f1c2f8e-1111-4222-8333-944455556666"


async def test_every_hotline_page_needs_a_signed_in_staff_member(client: httpx.AsyncClient) -> None:
    for path in ("/hotline", "/hotline?status=signed&kind=complaint", f"/hotline/{ORDER}"):
        resp = await client.get(path)
        assert resp.status_code == 303 and resp.headers["location"].startswith("/login?next=%2Fhotline"), path


async def test_every_hotline_form_needs_its_csrf_token_and_our_origin(client: httpx.AsyncClient) -> None:
    await client.get("/login")
    for move in ("sign", "return", "extension", "answer"):
        resp = await client.post(f"/hotline/{ORDER}/{move}", data={"csrf_token": "guess", "reason": "x"})
        assert resp.status_code == 403 and "页面已过期" in resp.text, move
    forged = await client.post(f"/hotline/{ORDER}/answer", data={}, headers={"Origin": "https://evil.example"})
    assert forged.status_code == 403


async def test_malformed_order_ids_are_pages_that_do_not_exist(client: httpx.AsyncClient) -> None:
    for path in ("/hotline/not-a-uuid", "/hotline/1%27%20OR%201=1", "/hotline/..%2F..%2Fadmin"):
        assert (await client.get(path)).status_code == 404, path


def test_the_forms_are_refused_empty_or_too_long() -> None:
    assert hotline.answer_errors({"h-answer": ""}) == {"h-answer": "请填写答复内容"}
    assert hotline.answer_errors({"h-answer": "办" * 4001}) == {"h-answer": "答复内容不能超过4000字"}
    assert hotline.answer_errors({"h-answer": "办" * 4000}) == {}
    assert hotline.reason_errors({"h-reason": ""}, "h-reason", "退回理由") == {"h-reason": "请填写退回理由"}
    assert hotline.reason_errors({"h-reason": "理" * 501}, "h-reason", "退回理由") == {
        "h-reason": "退回理由不能超过500字"
    }
    assert hotline.extension_errors({"h-days": "3", "h-ext-reason": "需要现场检测"}) == {}
    assert list(hotline.extension_errors({"h-days": "", "h-ext-reason": ""})) == ["h-days", "h-ext-reason"]
    for days in ("0", "11", "-1", "2.5", "三", "３", "1e1"):
        assert "h-days" in hotline.extension_errors({"h-days": days, "h-ext-reason": "x"}), days


def test_the_most_urgent_order_comes_first() -> None:
    orders: list[dict[str, Any]] = [
        {"number": "a", "alert": "none", "due": "2026-12-10"},
        {"number": "b", "alert": "yellow", "due": "2026-12-09"},
        {"number": "c", "alert": "none", "due": "2026-12-08"},
        {"number": "d", "alert": "red", "due": "2026-12-01"},
        {"number": "e", "alert": "none", "due": None},
    ]
    assert [o["number"] for o in hotline.most_urgent_first(orders)] == ["d", "b", "c", "a", "e"]


def _problem(status: int, slug: str, **extra: Any) -> httpx.Response:
    body = {"type": f"urn:gov-platform:problem:{slug}", "title": "t", "status": status, "detail": "english", **extra}
    return httpx.Response(status, json=body, headers={"content-type": "application/problem+json"})


def test_the_apis_refusals_are_shown_in_words() -> None:
    moved_on = _problem(409, "invalid-order-transition", current_status="answered")
    assert hotline.refusal(moved_on, "answer") == "工单当前为“已答复，待回访”，不能答复（可能已有同事办理）。"
    waiting = _problem(409, "invalid-order-transition", current_status="signed")
    assert "已有延期申请" in hotline.refusal(waiting, "extension")
    assert "合计不能超过10个工作日" in hotline.refusal(_problem(422, "invalid-work-order"), "extension")
    assert "所在部门" in hotline.refusal(_problem(403, "outside-your-scope"), "sign")
    for move in hotline.MOVE_NAMES:
        assert "english" not in hotline.refusal(_problem(422, "validation-error"), move)


def test_who_handles_orders_and_where_an_order_lies() -> None:
    assert hotline.handles_orders({"roles": ["acceptor"]}) and hotline.handles_orders({"roles": ["approver"]})
    assert not hotline.handles_orders({"roles": ["hotline_operator"]}) and not hotline.handles_orders({})
    assert hotline.region_name("450100") == "南宁市" and hotline.region_name("450102") == "南宁市（450102）"


def _order(status: str, **changes: Any) -> dict[str, Any]:
    order: dict[str, Any] = {
        "id": ORDER,
        "number": "GX12345-20261207-6F1C2F8E",
        "channel": "phone",
        "kind": "complaint",
        "category": "noise",
        "region": "450102",
        "urgency": "urgent",
        "title": "夜间施工噪音扰民",
        "content": "工地每晚打桩。\n无法休息。",
        "address": "朝阳路",
        "caller_phone_masked": "139****5678",
        "caller_name_masked": "黄*",
        "recording_ref": "rec-1",
        "status": status,
        "department": "11450100MB0C1G2L3X",
        "department_name": "南宁市城市管理综合行政执法局",
        "due": "2026-12-08",
        "alert": "yellow",
        "extension_request": None,
        "answer": None,
        "answered_at": None,
        "reopen_count": 0,
        "transfer_count": 0,
        "outcome": None,
        "created_at": "2026-12-07T01:00:00+00:00",
        "closed_at": None,
        "history": [
            {"at": "2026-12-07T01:00:00+00:00", "by": "op", "action": "created", "note": "channel phone"},
            {"at": "2026-12-07T01:01:00+00:00", "by": "op", "action": "dispatch", "note": "请尽快核查",
             "department": "11450100MB0C1G2L3X"},
        ],
    }  # fmt: skip
    order.update(changes)
    return order


def _page(order: dict[str, Any], errors: dict[str, str] | None = None) -> str:
    """The order page as the route renders it (the same context), for a handler of the department."""
    errors = errors or {}
    allowed = {m for m, states in hotline.MOVES.items() if order["status"] in states}
    if (order.get("extension_request") or {}).get("state") == "requested":
        allowed.discard("extension")
    env = environment(HERE / "templates")
    env.globals["d"] = display
    return env.get_template("hotline_order.html").render(
        site_name="工作平台", user={"sub": "x"}, me={"roles": ["acceptor"], "name": "韦工"}, path=f"/hotline/{ORDER}",
        csrf_token=lambda: "token", csrf_field="csrf_token", flash=None, o=order, allowed=allowed, errors=errors,
        values={}, error_list=hotline.error_links(errors, allowed), statuses=hotline.STATUS, kinds=hotline.KIND,
        urgencies=hotline.URGENCY, channels=hotline.CHANNEL, outcomes=hotline.OUTCOME,
        extension_states=hotline.EXTENSION, actions=hotline.ACTIONS, worded=hotline.WORDED,
        categories={"noise": "噪声扰民"}, region=hotline.region_name(order["region"]),
        alert_level=hotline.ALERT_LEVEL, alert_tag=hotline.ALERT_TAG, reason_max=500, answer_max=4000, days_max=10,
    )  # fmt: skip


def _forms(html: str) -> set[str]:
    return {move for move in hotline.MOVES if f'action="/hotline/{ORDER}/{move}"' in html}


def test_the_order_page_offers_what_its_state_allows() -> None:
    assert _forms(_page(_order("dispatched"))) == {"sign", "return"}
    assert _forms(_page(_order("signed"))) == {"answer", "extension", "return"}
    waiting = _order("signed", extension_request={"state": "requested", "days": 3, "reason": "需检测"})
    html = _page(waiting)
    assert _forms(html) == {"answer", "return"} and "3 个工作日，等待12345中心批复" in html
    answered = _page(_order("answered", answer="已停止夜间施工。", alert="none"))
    assert _forms(answered) == set() and "已停止夜间施工。" in answered and "已答复，待回访" in answered
    assert "南宁市城市管理综合行政执法局" in answered and "nn-hotline" not in answered


def test_the_order_page_shows_the_caller_masked_the_deadline_and_the_history_in_words() -> None:
    html = _page(_order("dispatched"))
    assert "黄* 139****5678" in html and "rec-1" not in html
    assert "2026-12-08" in html and "tag--amber" in html and "紧急" in html and "噪声扰民" in html
    assert "派单 · 南宁市城市管理综合行政执法局：请尽快核查" in html
    assert "登记工单" in html and "channel phone" not in html  # the service's own notes are not shown
    assert "<p>工地每晚打桩。</p><p>无法休息。</p>" in html


def test_errors_are_next_to_their_fields_and_in_the_summary() -> None:
    html = _page(_order("signed"), {"h-answer": "请填写答复内容"})
    assert 'id="h-answer-error"' in html and 'href="#h-answer"' in html and 'aria-invalid="true"' in html
    # The order moved on meanwhile: its form is gone, the summary points at the order's state.
    html = _page(_order("answered"), {"h-answer": "工单当前为“已答复，待回访”，不能答复（可能已有同事办理）。"})
    assert 'href="#order-status"' in html and 'id="order-status"' in html and "不能答复" in html
