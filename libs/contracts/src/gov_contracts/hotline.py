"""Events svc-hotline publishes on ``gov.hotline.orders`` (subject = work order id). They carry what a
receiving department or a supervisor needs to act on an order (its number, kind, category, region and
department), never the caller: no name, no phone number, no free text. The department reads the order's
content through the hotline's API, where its access is checked and audited. ``due`` is a China date."""

from __future__ import annotations

from datetime import date
from typing import ClassVar, Literal

from pydantic import AwareDatetime, Field

from gov_contracts.base import Event
from gov_standards.regions import REGION_CODE_PATTERN

Kind = Literal["consultation", "request", "complaint", "suggestion", "report", "praise"]
Urgency = Literal["normal", "urgent", "emergency"]


class _OrderEvent(Event):
    topic: ClassVar[str] = "gov.hotline.orders"
    publisher: ClassVar[str] = "/svc-hotline"
    subject_field: ClassVar[str] = "order_id"

    order_id: str
    number: str = Field(description="the order's public number, e.g. GX12345-20261207-0001")
    kind: Kind
    category: str
    region: str = Field(pattern=REGION_CODE_PATTERN)
    occurred_at: AwareDatetime


class OrderCreated(_OrderEvent):
    """``hotline.order.created``: an order was recorded (by an operator, a citizen's message or another
    hotline through exchange)."""

    type: ClassVar[str] = "hotline.order.created"

    channel: Literal["phone", "web", "wechat", "mini_program", "exchange"]
    urgency: Urgency


class OrderDispatched(_OrderEvent):
    """``hotline.order.dispatched``: the order went to ``department`` (first dispatch, re-dispatch after a
    return, a transfer or a reopening), to be answered by ``due``."""

    type: ClassVar[str] = "hotline.order.dispatched"

    department: str
    due: date
    reason: Literal["dispatch", "transfer", "redispatch", "reopen"]


class OrderAnswered(_OrderEvent):
    """``hotline.order.answered``: the department answered; ``on_time`` against the due date then."""

    type: ClassVar[str] = "hotline.order.answered"

    department: str
    due: date | None
    on_time: bool


class OrderRated(_OrderEvent):
    """``hotline.order.rated`` (subject = order id): the caller rated the answer at the callback (回访).
    Levels as 好差评: 5 非常满意 ... 1 非常不满意; svc-evaluation records it on its hotline channel.
    ``rater_subject`` is the platform account of a caller who wrote through the portal (None for a phone
    caller): a real-name bad rating is followed up there like any other."""

    type: ClassVar[str] = "hotline.order.rated"

    callback_id: str
    department: str
    level: int = Field(ge=1, le=5)
    solved: bool
    rater_subject: str | None = None


class OrderReopened(_OrderEvent):
    """``hotline.order.reopened``: a bad rating sent the order back to its department."""

    type: ClassVar[str] = "hotline.order.reopened"

    department: str
    reopen_count: int = Field(ge=1)


class OrderClosed(_OrderEvent):
    """``hotline.order.closed``: nothing more will happen (answered on the spot, rated well, or handed to an
    emergency line)."""

    type: ClassVar[str] = "hotline.order.closed"

    outcome: Literal["answered_on_the_spot", "rated", "handed_over", "no_callback", "closed_by_city"]


class OrderForwarded(_OrderEvent):
    """``hotline.order.forwarded``: an operator forwarded the order to the 12345 hotline of ``city`` (a
    prefecture-level city whose subtree holds the order's ``region``), to be answered there by ``due``.
    svc-exchange delivers it to that city's platform (a signed webhook, retried) and brings its answer or
    closure back (``exchange.hotline.reply_received``). Unlike the other order events it carries the matter
    itself (title, content, address), which the city needs to handle it; never the caller's name or number
    (the province calls the caller back)."""

    type: ClassVar[str] = "hotline.order.forwarded"

    city: str = Field(pattern=r"^\d{4}00$", description="the city's region code, e.g. 450200 (柳州市)")
    urgency: Urgency
    title: str = Field(min_length=1, max_length=200)
    content: str = Field(min_length=1, max_length=4000)
    address: str = Field(default="", max_length=200)
    due: date


class OrderOverdue(_OrderEvent):
    """``hotline.order.overdue``: the department has not answered by ``due`` (escalated to supervisors)."""

    type: ClassVar[str] = "hotline.order.overdue"

    department: str
    due: date


class OrderHandedOver(_OrderEvent):
    """``hotline.order.handed_over``: an emergency went to 110, 119, 120 or 122."""

    type: ClassVar[str] = "hotline.order.handed_over"

    line: Literal["110", "119", "120", "122"]
    reference: str


class ConsultationAnswered(_OrderEvent):
    """``hotline.consultation.answered``: the department answered an order that came from a consultation or
    complaint filed in svc-evaluation (``evaluation.consultation.submitted``), so the asker reads the answer
    where they asked. Unlike the other events it carries the answer's text, which is for the asker; never
    the caller's name or number. A reopened order answered again sends it again (the latest answer wins)."""

    type: ClassVar[str] = "hotline.consultation.answered"

    consultation_id: str
    department: str
    answer: str = Field(min_length=1, max_length=4000)
    answered_at: AwareDatetime
