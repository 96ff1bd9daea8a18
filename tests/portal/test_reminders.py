"""消息提醒 on the personal space: what waits for the person, derived from the services' own lists."""

from __future__ import annotations

from portal.pages.space import reminders

APPS = [
    {"id": "a1", "item_name": "食品经营许可", "status": "supplement_requested", "case_id": "c1"},
    {"id": "a2", "item_name": "个体工商户登记", "status": "accepted", "case_id": "c2"},
    {"id": "a3", "item_name": "出生医学证明", "status": "completed", "case_id": "c3"},
    {"id": "a4", "item_name": "社会保障卡", "status": "completed", "case_id": "c4"},
    {"id": "a5", "item_name": "草稿事项", "status": "draft"},
]


def test_each_thing_that_waits_for_the_person_is_a_reminder_with_its_link() -> None:
    unpaid = [{"case_id": "c2", "amount_fen": 1500}, {"case_id": "someone-else", "amount_fen": 100}]
    ratings = [{"case_id": "c4", "level": 5}]
    asked = [
        {"title": "材料问题", "kind": "consultation", "answer": "请带原件", "satisfaction": None},
        {"title": "已评过", "kind": "complaint", "answer": "已处理", "satisfaction": 4},
        {"title": "未答复", "kind": "complaint", "answer": None, "satisfaction": None},
    ]
    got = reminders(APPS, unpaid, ratings, asked)
    assert got == [
        ("“食品经营许可”需要补正材料，请按要求上传后重新提交。", "/me/applications/a1"),
        ("“个体工商户登记”有一笔 15.00 元 的费用待缴纳。", "/me/applications/a2"),
        ("“出生医学证明”已办结，欢迎评价本次服务。", "/me/applications/a3#rate"),
        ("您的咨询“材料问题”已答复。", "/me/consultations"),
    ]


def test_nothing_waits_when_the_person_has_acted() -> None:
    done = [{"id": "a", "item_name": "x", "status": "completed", "case_id": "c"}]
    assert reminders(done, [], [{"case_id": "c"}], []) == []
    assert reminders([], [], [], []) == []
