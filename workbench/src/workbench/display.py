"""How the workbench words what the API's codes mean, and the time left on a case (pure: no I/O)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from gov_standards.calendar import default_calendar
from gov_web.display import when as when  # re-exported: the templates call d.when

CASE_STATUS = {
    "opened": "已收件",
    "accepting": "待受理",
    "reviewing": "审查中",
    "countersigning": "会签中",
    "deciding": "待决定",
    "delivering": "待送达",
    "supplementing": "待补正",
    "paying": "待缴费",
    "refused": "不予受理",
    "completed": "已办结",
    "withdrawn": "已撤回",
}
TASK_KIND = {"accept": "受理", "review": "审查", "countersign": "会签", "decide": "决定", "deliver": "送达"}
TASK_STATUS = {"open": "待认领", "claimed": "已认领", "completed": "已完成", "cancelled": "已取消"}
ROLE = {
    "acceptor": "受理人员",
    "reviewer": "审查人员",
    "approver": "审批人员",
    "supervisor": "监察人员",
    "hall_clerk": "窗口人员",
    "hotline_operator": "12345话务员",
    "catalog_editor": "事项编辑",
    "catalog_publisher": "事项发布",
    "finance": "财务人员",
    "staff_admin": "人员管理员",
    "platform_admin": "平台管理员",
}
SLA = {"green": "正常", "yellow": "预警", "red": "超期"}
TRACE_ACTION = {
    "submitted": "申请人提交",
    "step_opened": "进入环节",
    "accept": "受理",
    "refuse": "不予受理",
    "request_supplement": "要求补正",
    "supplemented": "申请人补正",
    "review_completed": "审查完成",
    "countersign_completed": "会签完成",
    "approve": "准予许可",
    "reject": "不予许可",
    "paid": "已缴费",
    "delivered": "送达",
    "completed": "办结",
    "withdrawn": "申请人撤回",
    "smart_approval_declined": "智能审批未通过",
    "taken_back_from_smart_approval": "收回人工审批",
    "countersign_requested": "发起会签",
    "countersign_answered": "会签答复",
    "supervision_order_issued": "下达督办",
    "supervision_order_escalated": "督办升级",
    "supervision_order_replied": "督办回复",
}
DECISION = {"approved": "准予", "rejected": "不予", "refused": "不予受理"}
# What completing a task of each step kind may do (the workflow API's actions), as the forms offer them.
ACTIONS = {
    "accept": [("accept", "予以受理"), ("request_supplement", "要求补正"), ("refuse", "不予受理")],
    "review": [("complete", "审查通过")],
    "countersign": [("complete", "会签完成")],
    "decide": [("approve", "准予许可"), ("reject", "不予许可")],
    "deliver": [("complete", "已送达")],
}


def working_days_left(deadline: date, today: date) -> int:
    """Working days from ``today`` to ``deadline`` (negative: overdue by that many), by the bundled
    holiday calendar (调休 included)."""
    calendar = default_calendar()
    if deadline >= today:
        return calendar.working_days_between(today, deadline)
    return -calendar.working_days_between(deadline, today)


LABEL_WIDTH, BAR_WIDTH, ROW, MAX_BARS = 220, 360, 28, 20


@dataclass(frozen=True)
class Bar:
    label: str
    value: float | None
    text: str  # the value as read out (a rate as a percentage, days with one decimal)
    width: float  # the bar's length in the chart's units (0 when there is no value)
    y: int


@dataclass(frozen=True)
class Chart:
    """A horizontal bar chart drawn by the template as inline SVG: the geometry is worked out here."""

    bars: list[Bar]
    height: int
    label_width: int = LABEL_WIDTH
    bar_width: int = BAR_WIDTH
    row: int = ROW


def bar_chart(
    rows: list[tuple[str, float | None]], *, percent: bool = False, scale: float | None = None, counts: bool = False
) -> Chart:
    """The bars of ``rows`` (label, value) scaled to the largest value (or ``scale``, e.g. 1 for a rate);
    a missing value draws no bar and reads “无数据”; ``counts`` reads as whole numbers. At most ``MAX_BARS``
    rows, labels cut to fit."""
    rows = rows[:MAX_BARS]
    top = scale or max((v for _, v in rows if v is not None), default=0) or 1
    bars = []
    for i, (label, value) in enumerate(rows):
        shown = f"{(value or 0) * 100:.1f}%" if percent else f"{value or 0:.0f}" if counts else f"{value or 0:.1f}"
        text = "无数据" if value is None else shown
        short = label if len(label) <= 14 else label[:13] + "…"
        width = 0.0 if value is None else round(BAR_WIDTH * min(value / top, 1.0), 1)
        bars.append(Bar(short, value, text, width, i * ROW))
    return Chart(bars, max(len(bars), 1) * ROW)
