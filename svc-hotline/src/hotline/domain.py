"""Rules of the 12345 hotline as plain values and functions: kinds, urgency, the order's states and their
moves, deadlines in working days, warnings, masking of phone numbers, supervision formulas. No I/O."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from gov_standards.calendar import WorkingCalendar
from gov_standards.regions import GUANGXI, GUANGXI_REGIONS, region_covers


class Kind(StrEnum):
    CONSULTATION = "consultation"  # 咨询
    REQUEST = "request"  # 求助
    COMPLAINT = "complaint"  # 投诉
    SUGGESTION = "suggestion"  # 建议
    REPORT = "report"  # 举报
    PRAISE = "praise"  # 表扬


class Urgency(StrEnum):
    NORMAL = "normal"
    URGENT = "urgent"  # 紧急: one working day
    EMERGENCY = "emergency"  # 110/119/120/122 matters: handed over, not dispatched


class Channel(StrEnum):
    PHONE = "phone"
    WEB = "web"
    WECHAT = "wechat"
    MINI_PROGRAM = "mini_program"
    EXCHANGE = "exchange"  # pushed by another hotline or a city platform


class Status(StrEnum):
    REGISTERED = "registered"  # recorded, waiting for dispatch (or re-dispatch after a return)
    DISPATCHED = "dispatched"  # with a department, not signed for yet
    SIGNED = "signed"  # the department signed for it (签收) and works on it
    ANSWERED = "answered"  # the department answered; waiting for the callback (回访)
    CLOSED = "closed"  # done
    HANDED_OVER = "handed_over"  # an emergency line took it
    FORWARDED = "forwarded"  # with a city's 12345 hotline (through exchange), waiting for its answer


class EmergencyLine(StrEnum):
    POLICE = "110"
    FIRE = "119"
    MEDICAL = "120"
    TRAFFIC = "122"


KIND_NAMES = {"consultation": "咨询", "request": "求助", "complaint": "投诉", "suggestion": "建议",
              "report": "举报", "praise": "表扬"}  # fmt: skip

# Working days a department has to answer, by kind (normal urgency). Urgent orders: URGENT_DAYS.
DEADLINE_DAYS: dict[str, int] = {
    Kind.CONSULTATION: 2,
    Kind.REQUEST: 5,
    Kind.COMPLAINT: 5,
    Kind.SUGGESTION: 10,
    Kind.REPORT: 10,
    Kind.PRAISE: 3,
}
URGENT_DAYS = 1
# A department signs for a dispatched order within this many working days (响应时限).
RESPONSE_DAYS = 1
# Yellow: the due date is this many working days away or less (and not passed); red: passed.
YELLOW_WITHIN_DAYS = 1
MAX_EXTENSION_DAYS = 10
# Levels of the callback, as 好差评: 4 and 5 satisfied, 1 and 2 bad (the order is reopened).
SATISFIED_LEVELS = frozenset({4, 5})
BAD_LEVELS = frozenset({1, 2})

# What may happen in which state.
MOVES: dict[str, frozenset[str]] = {
    "dispatch": frozenset({Status.REGISTERED}),
    "transfer": frozenset({Status.DISPATCHED, Status.SIGNED}),
    "sign": frozenset({Status.DISPATCHED}),
    "return": frozenset({Status.DISPATCHED, Status.SIGNED}),
    "extend": frozenset({Status.SIGNED}),
    "answer": frozenset({Status.SIGNED}),
    "callback": frozenset({Status.ANSWERED}),
    "hand_over": frozenset({Status.REGISTERED, Status.DISPATCHED}),
    "forward": frozenset({Status.REGISTERED, Status.DISPATCHED, Status.SIGNED}),
}


def may(move: str, status: str) -> bool:
    return status in MOVES[move]


def answer_days(kind: str, urgency: str) -> int:
    """Working days to answer an order of ``kind`` and ``urgency``."""
    return URGENT_DAYS if urgency == Urgency.URGENT else DEADLINE_DAYS[kind]


def due_date(calendar: WorkingCalendar, dispatched_on: date, kind: str, urgency: str, extension_days: int = 0) -> date:
    """The last day to answer: ``answer_days`` (plus any granted extension) working days after the day of
    dispatch (the day itself does not count)."""
    return calendar.add_working_days(dispatched_on, answer_days(kind, urgency) + extension_days)


class Alert(StrEnum):
    NONE = "none"
    YELLOW = "yellow"  # 黄牌: due within YELLOW_WITHIN_DAYS working days
    RED = "red"  # 红牌: past due and not answered


def alert(calendar: WorkingCalendar, today: date, due: date | None, *, answered: bool) -> Alert:
    """The order's alert on ``today``: red when the due date has passed unanswered, yellow when it is
    YELLOW_WITHIN_DAYS working days away or less, none otherwise (and always none once answered)."""
    if due is None or answered:
        return Alert.NONE
    if today > due:
        return Alert.RED
    if calendar.working_days_between(today, due) <= YELLOW_WITHIN_DAYS:
        return Alert.YELLOW
    return Alert.NONE


_DIGITS = re.compile(r"\D")


def normalise_phone(raw: str) -> str:
    """Digits only (a landline keeps its area code): the form sealed, indexed and masked."""
    return _DIGITS.sub("", raw)


def mask_phone(digits: str) -> str:
    """What operators and departments see of a caller's number: the first 3 and last 4 digits of a mobile
    number, the last 4 of any other (``138****5678``, ``****1234``)."""
    if len(digits) == 11 and digits.startswith("1"):
        return f"{digits[:3]}****{digits[-4:]}"
    return "****" + digits[-4:] if len(digits) > 4 else "****"


def mask_name(name: str) -> str:
    """A caller's name as shown beside the order: the family name and a star (``张*``)."""
    return (name[:1] + "*") if name else ""


# The prefecture-level cities whose 12345 hotlines take forwarded orders (through exchange), by code.
CITIES: dict[str, str] = {code: name for code, name, parent in GUANGXI_REGIONS if parent == GUANGXI}


def city_desk(city: str) -> str:
    """The department code an order forwarded to ``city``'s hotline is counted under (its figures, its
    deadline): ``12345-450200``."""
    return f"12345-{city}"


def forward_refusal(city: str, region: str) -> str | None:
    """Why an order of ``region`` cannot be forwarded to ``city``, or None: the city must be one of the
    province's prefecture-level cities and its subtree must hold the order's region."""
    if city not in CITIES:
        return "not a prefecture-level city of the province"
    if not region_covers(city, region):
        return "the order's region is not in that city"
    return None


# Emergencies by what the operator picked: the line that takes them.
EMERGENCY_LINES: dict[str, EmergencyLine] = {
    "police": EmergencyLine.POLICE,
    "fire": EmergencyLine.FIRE,
    "medical": EmergencyLine.MEDICAL,
    "traffic": EmergencyLine.TRAFFIC,
}


@dataclass(frozen=True)
class Figures:
    """Supervision figures of one department (and region) over a period; each rate is None when its
    denominator is 0. Definitions (also in the API docs):

    - response_rate (响应率) = orders signed for within RESPONSE_DAYS working days of dispatch / orders dispatched
    - on_time_rate (按时办结率) = answers given on or before their due date / answers given (a reopened
      order answered again counts twice)
    - resolution_rate (解决率) = callbacks where the caller says it is solved / callbacks
    - satisfaction_rate (满意率) = callbacks rated 4 or 5 / callbacks
    - reopen_rate (重办率) = orders reopened at least once / orders answered at least once
    - score = 100 × (0.15·response + 0.25·on_time + 0.20·resolution + 0.30·satisfaction + 0.10·(1 − reopen)),
      a missing rate counting as its weight's share of the others (attitude: satisfaction; efficiency:
      response and on-time; process: reopen; result: resolution).
    """

    dispatched: int
    responded_in_time: int
    answered: int
    answered_on_time: int
    answered_orders: int
    callbacks: int
    solved: int
    satisfied: int
    reopened: int

    @staticmethod
    def _rate(num: int, den: int) -> float | None:
        return round(num / den, 4) if den else None

    @property
    def response_rate(self) -> float | None:
        return self._rate(self.responded_in_time, self.dispatched)

    @property
    def on_time_rate(self) -> float | None:
        return self._rate(self.answered_on_time, self.answered)

    @property
    def resolution_rate(self) -> float | None:
        return self._rate(self.solved, self.callbacks)

    @property
    def satisfaction_rate(self) -> float | None:
        return self._rate(self.satisfied, self.callbacks)

    @property
    def reopen_rate(self) -> float | None:
        return self._rate(self.reopened, self.answered_orders)

    @property
    def score(self) -> float | None:
        parts = [
            (0.15, self.response_rate),
            (0.25, self.on_time_rate),
            (0.20, self.resolution_rate),
            (0.30, self.satisfaction_rate),
            (0.10, None if self.reopen_rate is None else 1 - self.reopen_rate),
        ]
        known = [(w, v) for w, v in parts if v is not None]
        weight = sum(w for w, _ in known)
        if not weight:
            return None
        return round(100 * sum(w * v for w, v in known) / weight, 2)
