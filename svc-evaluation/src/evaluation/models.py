"""Tables of svc-evaluation. Only this service reads or writes them."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from gov_common.db import UtcDateTime, new_metadata
from gov_common.idempotency import IdempotencyRecordMixin

_Ts = UtcDateTime()


class Base(DeclarativeBase):
    metadata = new_metadata()


metadata = Base.metadata


class EvaluatedCase(Base):
    """Our copy of a completed case (from ``workflow.case.completed``): who may rate it and whom it rates."""

    __tablename__ = "evaluated_case"

    case_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    application_id: Mapped[str] = mapped_column(sa.String(64))
    tracking_number: Mapped[str] = mapped_column(sa.String(64))
    item_code: Mapped[str] = mapped_column(sa.String(64), index=True)
    item_name: Mapped[str] = mapped_column(sa.String(200))
    region: Mapped[str] = mapped_column(sa.String(12))
    department: Mapped[str] = mapped_column(sa.String(64))
    applicant_subject: Mapped[str] = mapped_column(sa.String(200), index=True)
    applicant_kind: Mapped[str] = mapped_column(sa.String(20))
    applicant_enterprise: Mapped[str | None] = mapped_column(sa.String(64))
    handled_by: Mapped[list[str]] = mapped_column(sa.JSON)
    result: Mapped[str] = mapped_column(sa.String(20))
    completed_at: Mapped[datetime] = mapped_column(_Ts)
    received_at: Mapped[datetime] = mapped_column(_Ts)


class ServiceItem(Base):
    """Our copy of a published catalog item (from ``catalog.item.published``): who implements it where."""

    __tablename__ = "service_item"
    __table_args__ = (sa.Index("ix_service_item_basic_region", "basic_code", "region"),)

    implementation_code: Mapped[str] = mapped_column(sa.String(128), primary_key=True)
    basic_code: Mapped[str] = mapped_column(sa.String(64))
    name: Mapped[str] = mapped_column(sa.String(200))
    region: Mapped[str] = mapped_column(sa.String(12))
    department: Mapped[str] = mapped_column(sa.String(64))
    department_name: Mapped[str] = mapped_column(sa.String(200))
    version: Mapped[int] = mapped_column(sa.Integer)
    withdrawn: Mapped[bool] = mapped_column(sa.Boolean, default=False)


class Rating(Base):
    """One rating (好差评): of a case (one per case) or of on-site service at a hall window."""

    __tablename__ = "rating"
    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    case_id: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    rater_subject: Mapped[str | None] = mapped_column(sa.String(200), index=True)  # None: anonymous on-site
    rater_kind: Mapped[str | None] = mapped_column(sa.String(20))
    rater_enterprise: Mapped[str | None] = mapped_column(sa.String(64), index=True)  # for an enterprise's case
    submitted_by: Mapped[str] = mapped_column(sa.String(200))  # the rater, or the relaying system
    level: Mapped[int] = mapped_column(sa.SmallInteger)
    reasons: Mapped[list[str]] = mapped_column(sa.JSON)
    comment: Mapped[str] = mapped_column(sa.Text, default="")
    channel: Mapped[str] = mapped_column(sa.String(20))
    department: Mapped[str] = mapped_column(sa.String(64), index=True)
    region: Mapped[str] = mapped_column(sa.String(12), index=True)
    item_code: Mapped[str | None] = mapped_column(sa.String(64))
    window: Mapped[str | None] = mapped_column(sa.String(64))
    rated_at: Mapped[datetime] = mapped_column(_Ts)
    rated_on: Mapped[date] = mapped_column(sa.Date, index=True)  # China day, for periods
    rated_month: Mapped[str] = mapped_column(sa.String(7))  # YYYY-MM in China
    excluded: Mapped[bool] = mapped_column(sa.Boolean, default=False)  # a malicious rating (appeal upheld)


class Rectification(Base):
    """The follow-up of a real-name bad rating (差评整改) by the handling department."""

    __tablename__ = "rectification"

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    rating_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("rating.id"), unique=True)
    department: Mapped[str] = mapped_column(sa.String(64), index=True)
    region: Mapped[str] = mapped_column(sa.String(12))
    rater_subject: Mapped[str] = mapped_column(sa.String(200), index=True)
    rater_kind: Mapped[str] = mapped_column(sa.String(20))  # the rating's, so its agents see it
    rater_enterprise: Mapped[str | None] = mapped_column(sa.String(64), index=True)
    status: Mapped[str] = mapped_column(sa.String(20), index=True)
    due: Mapped[date] = mapped_column(sa.Date, index=True)
    opened_at: Mapped[datetime] = mapped_column(_Ts)
    updated_at: Mapped[datetime] = mapped_column(_Ts)
    verification: Mapped[str] = mapped_column(sa.Text, default="")  # what the department found (核实情况)
    measures: Mapped[str] = mapped_column(sa.Text, default="")  # what it changed (整改措施)
    reply: Mapped[str] = mapped_column(sa.Text, default="")  # what it tells the rater
    replied_by: Mapped[str | None] = mapped_column(sa.String(200))
    first_replied_at: Mapped[datetime | None] = mapped_column(_Ts)  # timeliness counts the first reply
    replied_on_time: Mapped[bool | None] = mapped_column(sa.Boolean)  # first reply on or before ``due``
    replied_at: Mapped[datetime | None] = mapped_column(_Ts)
    rejections: Mapped[int] = mapped_column(sa.Integer, default=0)
    rater_feedback: Mapped[str] = mapped_column(sa.Text, default="")
    confirmed_at: Mapped[datetime | None] = mapped_column(_Ts)
    appeal_reason: Mapped[str] = mapped_column(sa.Text, default="")
    appealed_by: Mapped[str | None] = mapped_column(sa.String(200))
    appealed_at: Mapped[datetime | None] = mapped_column(_Ts)
    appeal_decision: Mapped[str | None] = mapped_column(sa.String(20))  # upheld | dismissed
    decision_note: Mapped[str] = mapped_column(sa.Text, default="")
    decided_by: Mapped[str | None] = mapped_column(sa.String(200))
    decided_at: Mapped[datetime | None] = mapped_column(_Ts)
    overdue_notified_at: Mapped[datetime | None] = mapped_column(_Ts)
    history: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)  # who did what, when


class Consultation(Base):
    """A consultation or complaint (咨询投诉) about an item or a department, answered by that department."""

    __tablename__ = "consultation"
    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(20))  # consultation | complaint
    asker_subject: Mapped[str] = mapped_column(sa.String(200), index=True)
    asker_kind: Mapped[str] = mapped_column(sa.String(20))
    asker_enterprise: Mapped[str | None] = mapped_column(sa.String(64), index=True)  # an agent asks for it
    item_code: Mapped[str | None] = mapped_column(sa.String(64))
    department: Mapped[str] = mapped_column(sa.String(64), index=True)
    region: Mapped[str] = mapped_column(sa.String(12), index=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    question: Mapped[str] = mapped_column(sa.Text)
    asked_at: Mapped[datetime] = mapped_column(_Ts)
    asked_on: Mapped[date] = mapped_column(sa.Date, index=True)
    asked_month: Mapped[str] = mapped_column(sa.String(7))
    due: Mapped[date] = mapped_column(sa.Date)
    answer: Mapped[str | None] = mapped_column(sa.Text)
    answered_by: Mapped[str | None] = mapped_column(sa.String(200))
    answered_at: Mapped[datetime | None] = mapped_column(_Ts)
    answered_on_time: Mapped[bool | None] = mapped_column(sa.Boolean)
    satisfaction: Mapped[int | None] = mapped_column(sa.SmallInteger)  # 1..5 like ratings, after the answer
    # Handled as a 12345 work order (小热线融合): the department answers there, the answer comes back here.
    # False for consultations asked before the merge, still answered here.
    forwarded: Mapped[bool] = mapped_column(sa.Boolean, default=False, server_default=sa.false())
    hotline_order_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)
    hotline_number: Mapped[str | None] = mapped_column(sa.String(40))


class IdempotencyRecord(IdempotencyRecordMixin, Base):
    """The first answer of each create sent with an ``Idempotency-Key`` (gov_common.idempotency)."""
