"""督办件 (the ordered department's supervision orders) in-process, no platform behind it: the pages need a
signed-in staff member, the reply form its CSRF token and our origin, malformed ids are pages that do not
exist; what the reply form refuses, the API's refusals in words, and the open orders the case page reads off
the case's trace; what the two pages show of an order."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx

from gov_web.templating import environment
from workbench import display
from workbench.main import HERE
from workbench.pages.orders import (
    ACTIONS,
    REPLY_MAX,
    STATUS,
    TARGET,
    may_reply,
    open_orders_in_trace,
    refusal,
    reply_error,
)

ORDER = "6f1c2f8e-1111-4222-8333-944455556666"
OTHER = "0b7e6c1a-2222-4333-8444-555566667777"


async def test_the_order_pages_need_a_signed_in_staff_member(client: httpx.AsyncClient) -> None:
    for path in ("/orders", "/orders?cursor=x&replied_cursor=y", f"/orders/{ORDER}"):
        resp = await client.get(path)
        assert resp.status_code == 303 and resp.headers["location"].startswith("/login?next=%2Forders"), path


async def test_the_reply_needs_its_csrf_token_and_our_origin(client: httpx.AsyncClient) -> None:
    await client.get("/login")
    resp = await client.post(f"/orders/{ORDER}/reply", data={"csrf_token": "guess", "reply": "已办结"})
    assert resp.status_code == 403 and "页面已过期" in resp.text
    forged = await client.post(f"/orders/{ORDER}/reply", data={}, headers={"Origin": "https://evil.example"})
    assert forged.status_code == 403


async def test_malformed_order_ids_are_pages_that_do_not_exist(client: httpx.AsyncClient) -> None:
    for path in ("/orders/not-a-uuid", "/orders/1%27%20OR%201=1", "/orders/..%2F..%2Fadmin"):
        assert (await client.get(path)).status_code == 404, path


def test_an_empty_or_too_long_reply_is_named_and_a_full_one_passes() -> None:
    assert reply_error("") == "请填写回复内容"
    assert reply_error("x" * (REPLY_MAX + 1)) == f"回复内容不能超过 {REPLY_MAX} 字"
    assert reply_error("x" * REPLY_MAX) is None
    assert reply_error("已核实，明日办结") is None


def test_the_apis_refusals_are_said_in_words() -> None:
    assert refusal(409, "The supervision order has been replied to already") == "这件督办已有回复，不能再次回复。"
    assert "被督办部门" in refusal(403, "Outside your department, region or role")
    assert "Outside" not in refusal(403, "Outside your department, region or role")
    assert refusal(422, "x") == "回复内容不符合要求，请修改后重试。"
    assert refusal(502, "Bad Gateway") == "回复未成功，请稍后重试（Bad Gateway）。"


def test_the_reply_form_is_offered_on_open_orders_to_department_staff_only() -> None:
    acceptor = {"roles": ["acceptor"], "department": "d1"}
    assert may_reply(acceptor, {"status": "open"})
    assert not may_reply(acceptor, {"status": "replied"})
    assert not may_reply({"roles": ["supervisor"], "department": "d1"}, {"status": "open"})
    assert not may_reply({"roles": ["acceptor"], "department": ""}, {"status": "open"})


def _entry(action: str, **details: Any) -> dict[str, Any]:
    return {"action": action, "details": details}


def test_the_case_page_reads_the_open_orders_off_the_trace() -> None:
    today = date(2026, 12, 8)
    trace = [
        _entry("accept"),
        _entry("supervision_order_issued", order_id=ORDER, deadline="2026-12-07", working_days=1),
        _entry("supervision_order_issued", order_id=OTHER, deadline="2026-12-09", working_days=3),
        _entry("supervision_order_replied", order_id=OTHER, late=False),
        _entry("supervision_order_issued", order_id="../../admin", deadline="2026-12-09"),  # not an order id
    ]
    assert open_orders_in_trace(trace, today) == [{"id": ORDER, "deadline": "2026-12-07", "overdue": True}]
    escalated = [*trace, _entry("supervision_order_escalated", order_id=ORDER, deadline="2026-12-10")]
    assert open_orders_in_trace(escalated, today) == [{"id": ORDER, "deadline": "2026-12-10", "overdue": False}]
    replied = [*escalated, _entry("supervision_order_replied", order_id=ORDER, late=True)]
    assert open_orders_in_trace(replied, today) == []
    assert open_orders_in_trace([_entry("supervision_order_issued", order_id=ORDER)], today) == [
        {"id": ORDER, "deadline": "", "overdue": False}
    ]


ACCEPTOR = {"roles": ["acceptor"], "department": "d1", "name": "张受理"}


def _order(**changes: Any) -> dict[str, Any]:
    order = {
        "id": ORDER,
        "target": "case",
        "case_id": OTHER,
        "tracking_number": "GX2026120800001",
        "item_name": "食品经营许可",
        "department": "11450100MB0000000X",
        "reason": "超期未办结，请说明原因",
        "issued_by": "sup-1",
        "issued_at": "2026-12-07T09:00:00+08:00",
        "first_deadline": "2026-12-08",
        "deadline": "2026-12-08",
        "escalations": 0,
        "status": "open",
        "overdue": True,
        "reply": None,
        "replied_by": None,
        "replied_at": None,
        "late": None,
        "history": [{"action": "issued", "at": "2026-12-07T09:00:00+08:00", "deadline": "2026-12-08"}],
    }
    return order | changes


def _page(template: str, **context: Any) -> str:
    templates = environment(HERE / "templates")
    templates.globals.update({"d": display})
    common = {"site_name": "工作平台", "user": {"sub": "me"}, "csrf_token": lambda: "t", "csrf_field": "csrf_token"}
    return templates.get_template(template).render(**common, flash=None, path="/orders", me=ACCEPTOR, **context)


def test_the_list_links_the_case_by_its_tracking_number_and_marks_the_overdue_and_escalated() -> None:
    late = _order(escalations=1)
    department = _order(
        id=OTHER, target="department", case_id=None, tracking_number=None, item_name=None, deadline="2026-12-20"
    )
    pushed = _order(target="external_case", case_id=None, external_case_id=OTHER, tracking_number="LZ-0001")
    answered = _order(
        status="replied", overdue=False, reply="已办结", replied_at="2026-12-08T10:00:00+08:00", late=True
    )
    html = _page(
        "orders.html",
        open=[late, department, pushed],
        replied=[answered],
        names={"sup-1": "李监察"},
        targets=TARGET,
        failed=False,
        next_open="abc",
        next_replied=None,
        cursor="",
        replied_cursor="",
    )
    assert f'<a href="/cases/{OTHER}">GX2026120800001</a>' in html
    assert "李监察" in html and "已逾期" in html and "已升级 1 次" in html and "逾期回复" in html
    assert "部门工作" in html and html.count(f'href="/orders/{ORDER}"') == 3
    assert "LZ-0001 <span" in html and 'href="/cases/None"' not in html, "a pushed case is named, not linked"
    assert 'href="/orders?cursor=abc"' in html and 'aria-current="page">督办件' in html


def test_the_order_page_names_the_error_at_the_reply_field_and_offers_no_form_once_replied() -> None:
    context = {"names": {}, "statuses": STATUS, "actions": ACTIONS, "targets": TARGET}
    refused = _page(
        "order.html",
        order=_order(),
        may_reply=True,
        department_staff=True,
        errors={"reply": "请填写回复内容"},
        values={"reply": ""},
        error_list=[("o-reply", "请填写回复内容")],
        **context,
    )
    assert 'id="o-reply-error"' in refused and 'aria-invalid="true"' in refused
    assert '<a href="#o-reply">请填写回复内容</a>' in refused and f'action="/orders/{ORDER}/reply"' in refused
    done = _page(
        "order.html",
        order=_order(status="replied", overdue=False, reply="已办结", replied_by="me", late=False),
        may_reply=False,
        department_staff=True,
        errors={},
        values={},
        error_list=[("order-status", refusal(409, ""))],
        **context,
    )
    assert "/reply" not in done and 'id="order-reply"' in done and '<a href="#order-status">这件督办已有回复' in done
