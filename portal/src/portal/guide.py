"""How the portal words what the API's codes mean (pure: no I/O)."""

from __future__ import annotations

import re
from typing import Any

from gov_standards.regions import GUANGXI_REGIONS
from gov_web.display import ITEM_TYPES as ITEM_TYPES  # re-exported: the guide names the kind
from gov_web.display import when as when  # re-exported: the templates call g.when

REGIONS = {code: name for code, name, _ in GUANGXI_REGIONS}
STAGES = {
    1: "在线咨询",
    2: "网上收件",
    3: "网上预审",
    4: "网上受理",
    5: "网上办理",
    6: "网上反馈结果",
    7: "电子证照反馈",
}
RECEIPT_STAGE = 2
DELIVERY = {"electronic": "电子证照", "pickup": "窗口领取", "mail": "邮寄送达"}
SERVICE_OBJECT = {"citizen": "自然人", "enterprise": "法人", "both": "自然人、法人"}
ONLINE_LEVELS = {
    "I": "一级（信息发布）",
    "II": "二级（网上收件）",
    "III": "三级（网上受理办理）",
    "IV": "四级（全程网办）",
}
STATUS = {
    "draft": "草稿",
    "submitted": "已提交",
    "supplement_requested": "待补正",
    "supplemented": "已补正",
    "accepted": "已受理",
    "rejected": "不予受理",
    "approved": "已办结（准予）",
    "denied": "已办结（不予）",
    "completed": "已办结",
    "withdrawn": "已撤回",
}
STATUS_TONE = {
    "supplement_requested": "amber",
    "rejected": "red",
    "denied": "red",
    "completed": "green",
    "approved": "green",
}
ORDER_STATUS = {"created": "待缴费", "pending": "支付中", "paid": "已缴费", "closed": "已关闭", "refunded": "已退款"}
CODE_RE = re.compile(r"^[0-9A-Za-z_-]{1,64}$")
LICENSE_ID_RE = re.compile(r"^[0-9A-Za-z_.:-]{1,100}$")


def region_name(code: str | None) -> str:
    return REGIONS.get(code or "", code or "")


def can_apply_online(definition: dict[str, Any]) -> tuple[bool, str]:
    """(whether the item can be applied for on the portal, why not)."""
    if RECEIPT_STAGE not in (definition.get("online_stages") or []):
        visits = definition.get("onsite_visits") or 0
        reason = definition.get("onsite_reason") or "该事项暂不支持网上申报"
        return False, f"本事项需到窗口办理（到现场{visits}次）：{reason}"
    return True, ""


def fen(amount: int | None) -> str:
    return "—" if amount is None else f"{amount / 100:.2f} 元"


def rank(items: list[dict[str, Any]], region: str) -> list[dict[str, Any]]:
    """Search results with, among items of the same name, the one of the person's own region first (then the
    city's, then the province's), keeping the service's relevance order between names."""
    first_at: dict[str, int] = {}
    for i, item in enumerate(items):
        first_at.setdefault(item["name"], i)

    def closeness(item: dict[str, Any]) -> int:
        code = str(item.get("region") or "")
        if code == region:
            return 0
        if region.startswith(code.rstrip("0")) and code != region:
            return 1 + (6 - len(code.rstrip("0")))  # the nearer ancestor first
        return 10

    return sorted(items, key=lambda it: (first_at[it["name"]], closeness(it)))
