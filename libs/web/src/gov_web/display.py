"""How the web front-ends show the API's values to people (pure: no I/O)."""

from __future__ import annotations

from datetime import datetime

from gov_standards.china_time import CHINA_TZ

# The kinds of service item (事项类型) by their national code, as both front-ends name them.
ITEM_TYPES = {
    "01": "行政许可",
    "02": "行政处罚",
    "03": "行政强制",
    "04": "行政征收",
    "05": "行政给付",
    "06": "行政检查",
    "07": "行政确认",
    "08": "行政奖励",
    "09": "行政裁决",
    "10": "其他行政权力",
    "20": "公共服务",
}


def when(value: str | None) -> str:
    """An RFC 3339 time from the API as people in Guangxi read it: China time, to the minute."""
    if not value:
        return ""
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value[:16].replace("T", " ")
    if moment.tzinfo is None:
        return value[:16].replace("T", " ")
    return f"{moment.astimezone(CHINA_TZ):%Y-%m-%d %H:%M}"
