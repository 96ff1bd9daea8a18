"""Rules of 好差评 as plain functions and constants (国办发〔2019〕51号): the five levels, channels,
reasons, who may rate a case, the rectification state graph, the China calendar day of a moment and the
rates of the statistics. No I/O; unit tests call them directly."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from enum import IntEnum, StrEnum

from gov_standards.china_time import china_date


class Level(IntEnum):
    """The five national levels; the event and the API carry the number (5 best, 1 worst)."""

    VERY_SATISFIED = 5  # 非常满意
    SATISFIED = 4  # 满意
    BASICALLY_SATISFIED = 3  # 基本满意
    DISSATISFIED = 2  # 不满意
    VERY_DISSATISFIED = 1  # 非常不满意


LEVEL_NAMES: dict[int, str] = {5: "非常满意", 4: "满意", 3: "基本满意", 2: "不满意", 1: "非常不满意"}
BAD_LEVELS = frozenset({Level.DISSATISFIED, Level.VERY_DISSATISFIED})  # 差评


def is_bad(level: int) -> bool:
    return level in BAD_LEVELS


class Channel(StrEnum):
    WEB = "web"
    MOBILE = "mobile"
    HALL_DEVICE = "hall_device"  # 政务大厅评价器 / 自助终端
    HOTLINE = "hotline"  # 12345
    SMS = "sms"  # 短信邀评


# Channels on which a system relays the rater's choice (a hall device, the hotline, the SMS gateway).
RELAYED_CHANNELS = frozenset({Channel.HALL_DEVICE, Channel.HOTLINE, Channel.SMS})

# Reasons offered to the rater (code -> label). Good ratings pick from GOOD_REASONS, bad from BAD_REASONS.
GOOD_REASONS: dict[str, str] = {
    "fast": "办理快捷",
    "courteous": "态度热情",
    "clear_guidance": "指引清晰",
    "online_convenient": "网上办理方便",
    "fewer_visits": "少跑腿",
}
BAD_REASONS: dict[str, str] = {
    "slow": "办理时间长",
    "attitude": "服务态度差",
    "unclear_guidance": "办事指南不清晰",
    "extra_materials": "要求提供额外材料",
    "repeated_visits": "多次跑动",
    "system_problem": "系统故障或不好用",
    "not_handled_as_promised": "未按承诺时限办结",
    "other": "其他",
}


def invalid_reasons(level: int, reasons: Iterable[str]) -> list[str]:
    """The reasons that are not on the list for this level (bad and good ratings have their own lists)."""
    allowed = BAD_REASONS if is_bad(level) else GOOD_REASONS
    return sorted({r for r in reasons if r not in allowed})


class RectificationStatus(StrEnum):
    OPEN = "open"  # 待整改: the department verifies and rectifies
    REPLIED = "replied"  # 已回复: waiting for the rater's confirmation
    CONFIRMED = "confirmed"  # 已确认: the rater accepts the reply (rectified)
    APPEALED = "appealed"  # 申诉中: the department says the rating is malicious; a supervisor decides
    VOIDED = "voided"  # 申诉成立: the rating is excluded from statistics


R = RectificationStatus
# reject (the rater does not accept the reply) and appeal dismissed both go back to OPEN.
TRANSITIONS: dict[RectificationStatus, frozenset[RectificationStatus]] = {
    R.OPEN: frozenset({R.REPLIED, R.APPEALED}),
    R.REPLIED: frozenset({R.CONFIRMED, R.OPEN}),
    R.APPEALED: frozenset({R.VOIDED, R.OPEN}),
    R.CONFIRMED: frozenset(),
    R.VOIDED: frozenset(),
}
# States in which the department still owes the rater a reply (the deadline runs).
AWAITING_DEPARTMENT = frozenset({R.OPEN})


def can_transition(current: str, target: str) -> bool:
    return RectificationStatus(target) in TRANSITIONS[RectificationStatus(current)]


def is_overdue(*, due: date, now: datetime) -> bool:
    """A reply due on ``due`` is overdue once that China day has ended."""
    return china_date(now) > due


def rate(part: int, whole: int) -> float | None:
    """``part / whole`` rounded to 4 places; ``None`` when there is nothing to measure."""
    return round(part / whole, 4) if whole else None
