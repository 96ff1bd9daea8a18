"""Tables of svc-hotline. Only this service reads or writes them. A caller's phone number and name are
sealed (gov_common.crypto) with the order's id as associated data; the phone number is also kept as a
blind index (to find a caller's earlier orders) and masked (what staff see)."""

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


class Category(Base):
    """A category of matters (诉求分类), e.g. water supply or social insurance."""

    __tablename__ = "category"

    code: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    parent: Mapped[str | None] = mapped_column(sa.String(64))


class DispatchRule(Base):
    """Orders of ``category`` in the region subtree of ``region`` go to ``department``; the longest region
    prefix wins, then the highest priority."""

    __tablename__ = "dispatch_rule"
    __table_args__ = (sa.UniqueConstraint("category", "region"),)

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    category: Mapped[str] = mapped_column(sa.String(64), index=True)
    region: Mapped[str] = mapped_column(sa.String(12))  # 450000 (the province), 450100 (Nanning), 450102...
    department: Mapped[str] = mapped_column(sa.String(64))
    department_name: Mapped[str] = mapped_column(sa.String(200))
    department_region: Mapped[str] = mapped_column(sa.String(12))


class WorkOrder(Base):
    """A 12345 work order (工单)."""

    __tablename__ = "work_order"

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    number: Mapped[str] = mapped_column(sa.String(40), unique=True)
    channel: Mapped[str] = mapped_column(sa.String(20))
    kind: Mapped[str] = mapped_column(sa.String(20), index=True)
    category: Mapped[str] = mapped_column(sa.String(64), index=True)
    region: Mapped[str] = mapped_column(sa.String(12), index=True)
    urgency: Mapped[str] = mapped_column(sa.String(20))
    title: Mapped[str] = mapped_column(sa.String(200))
    content: Mapped[str] = mapped_column(sa.Text)
    address: Mapped[str] = mapped_column(sa.String(200), default="")
    # The caller: sealed at rest (aad: work_order.caller_phone:<id>), indexed, masked.
    caller_phone: Mapped[str | None] = mapped_column(sa.Text)
    caller_phone_index: Mapped[str | None] = mapped_column(sa.String(64), index=True)
    caller_phone_masked: Mapped[str] = mapped_column(sa.String(20), default="")
    caller_name: Mapped[str | None] = mapped_column(sa.Text)
    caller_name_masked: Mapped[str] = mapped_column(sa.String(20), default="")
    caller_subject: Mapped[str | None] = mapped_column(sa.String(200), index=True)  # a portal citizen
    recording_ref: Mapped[str | None] = mapped_column(sa.String(200))  # the call recording (录音) reference
    source_system: Mapped[str | None] = mapped_column(sa.String(200))  # the client that pushed it
    external_ref: Mapped[str | None] = mapped_column(sa.String(100))  # its number there
    # The consultation or complaint filed in svc-evaluation this order was made of (小热线融合); its answer goes back.
    consultation_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid, unique=True)
    status: Mapped[str] = mapped_column(sa.String(20), index=True)
    department: Mapped[str | None] = mapped_column(sa.String(64), index=True)
    department_name: Mapped[str | None] = mapped_column(sa.String(200))
    department_region: Mapped[str | None] = mapped_column(sa.String(12))
    due: Mapped[date | None] = mapped_column(sa.Date, index=True)
    extension_request: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    answer: Mapped[str | None] = mapped_column(sa.Text)
    answered_at: Mapped[datetime | None] = mapped_column(_Ts)
    knowledge_entry_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)
    reopen_count: Mapped[int] = mapped_column(sa.Integer, default=0)
    transfer_count: Mapped[int] = mapped_column(sa.Integer, default=0)
    return_count: Mapped[int] = mapped_column(sa.Integer, default=0)
    outcome: Mapped[str | None] = mapped_column(sa.String(30))
    topic_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid, index=True)
    created_by: Mapped[str] = mapped_column(sa.String(200))
    created_at: Mapped[datetime] = mapped_column(_Ts, index=True)
    updated_at: Mapped[datetime] = mapped_column(_Ts)
    closed_at: Mapped[datetime | None] = mapped_column(_Ts)
    history: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)  # who did what, when


class Assignment(Base):
    """One stay of an order with a department (dispatch, transfer, re-dispatch after a return, reopening):
    what the department's figures count."""

    __tablename__ = "assignment"

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    order_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("work_order.id"), index=True)
    department: Mapped[str] = mapped_column(sa.String(64), index=True)
    region: Mapped[str] = mapped_column(sa.String(12), index=True)  # the order's
    reason: Mapped[str] = mapped_column(sa.String(20))  # dispatch | transfer | redispatch | reopen
    assigned_at: Mapped[datetime] = mapped_column(_Ts)
    assigned_on: Mapped[date] = mapped_column(sa.Date, index=True)
    due: Mapped[date] = mapped_column(sa.Date)
    extension_days: Mapped[int] = mapped_column(sa.Integer, default=0)
    signed_at: Mapped[datetime | None] = mapped_column(_Ts)
    responded_in_time: Mapped[bool | None] = mapped_column(sa.Boolean)
    answered_at: Mapped[datetime | None] = mapped_column(_Ts)
    answered_on_time: Mapped[bool | None] = mapped_column(sa.Boolean)
    ended: Mapped[str | None] = mapped_column(sa.String(20))  # answered | transferred | returned
    overdue_reported: Mapped[bool] = mapped_column(sa.Boolean, default=False)


class Callback(Base):
    """The callback (回访) of an answered order: the caller's rating of the department's answer."""

    __tablename__ = "callback"

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    order_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("work_order.id"), index=True)
    assignment_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("assignment.id"))
    department: Mapped[str] = mapped_column(sa.String(64), index=True)
    region: Mapped[str] = mapped_column(sa.String(12), index=True)
    level: Mapped[int] = mapped_column(sa.SmallInteger)
    solved: Mapped[bool] = mapped_column(sa.Boolean)
    comment: Mapped[str] = mapped_column(sa.Text, default="")
    by: Mapped[str] = mapped_column(sa.String(200))
    at: Mapped[datetime] = mapped_column(_Ts)
    on: Mapped[date] = mapped_column(sa.Date, index=True)


class HandOver(Base):
    """An emergency handed to 110, 119, 120 or 122 (紧急类热线联动), with the line's reference."""

    __tablename__ = "hand_over"

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    order_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("work_order.id"), index=True)
    line: Mapped[str] = mapped_column(sa.String(3))
    reference: Mapped[str] = mapped_column(sa.String(100))
    by: Mapped[str] = mapped_column(sa.String(200))
    at: Mapped[datetime] = mapped_column(_Ts)


class KnowledgeEntry(Base):
    """An entry of the knowledge base (知识库): a question and its authoritative answer, owned by a
    department, valid for a period, published after review."""

    __tablename__ = "knowledge_entry"

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(200), unique=True)
    body: Mapped[str] = mapped_column(sa.Text)
    category: Mapped[str | None] = mapped_column(sa.String(64), index=True)
    keywords: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    tokens: Mapped[str] = mapped_column(sa.Text)  # title, keywords and body segmented, space-separated
    region: Mapped[str] = mapped_column(sa.String(12))  # applies in this region subtree
    owner_department: Mapped[str] = mapped_column(sa.String(64), index=True)
    status: Mapped[str] = mapped_column(sa.String(20), index=True)  # draft | published | retired
    valid_from: Mapped[date] = mapped_column(sa.Date)
    valid_until: Mapped[date | None] = mapped_column(sa.Date)
    reviewed_by: Mapped[str | None] = mapped_column(sa.String(200))
    reviewed_at: Mapped[datetime | None] = mapped_column(_Ts)
    usage_count: Mapped[int] = mapped_column(sa.Integer, default=0)
    version: Mapped[int] = mapped_column(sa.Integer, default=1, server_default="1")  # +1 per applied revision
    created_by: Mapped[str] = mapped_column(sa.String(200))
    created_at: Mapped[datetime] = mapped_column(_Ts)
    updated_at: Mapped[datetime] = mapped_column(_Ts)


class KnowledgeRevision(Base):
    """A proposed new version of a published entry (修订): the entry keeps answering with its current
    content until someone other than the proposer reviews the revision; then the revision's content
    replaces it and ``replaced`` keeps what was replaced (with its version and reviewer), so the applied
    revisions of an entry are its history."""

    __tablename__ = "knowledge_revision"

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    entry_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("knowledge_entry.id"), index=True)
    base_version: Mapped[int] = mapped_column(sa.Integer)  # the entry's version it was written against
    version: Mapped[int | None] = mapped_column(sa.Integer)  # the version it became, once applied
    status: Mapped[str] = mapped_column(sa.String(20), index=True)  # pending | returned | applied
    reason: Mapped[str] = mapped_column(sa.String(500))
    title: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text)
    category: Mapped[str | None] = mapped_column(sa.String(64))
    keywords: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    owner_department: Mapped[str] = mapped_column(sa.String(64))
    valid_from: Mapped[date] = mapped_column(sa.Date)
    valid_until: Mapped[date | None] = mapped_column(sa.Date)
    replaced: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    created_by: Mapped[str] = mapped_column(sa.String(200))
    created_at: Mapped[datetime] = mapped_column(_Ts)
    reviewed_by: Mapped[str | None] = mapped_column(sa.String(200))
    reviewed_at: Mapped[datetime | None] = mapped_column(_Ts)
    review_note: Mapped[str | None] = mapped_column(sa.String(500))


class TopicModel(Base):
    """One computation of the topic pool: the vocabulary and weights new orders are placed with until the
    next one. The latest is current."""

    __tablename__ = "topic_model"

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    computed_at: Mapped[datetime] = mapped_column(_Ts, index=True)
    orders: Mapped[int] = mapped_column(sa.Integer)
    params: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    idf: Mapped[dict[str, float]] = mapped_column(sa.JSON)  # term -> inverse document frequency


class Topic(Base):
    """A topic of the pool (主题): orders that say the same thing."""

    __tablename__ = "topic"

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    model_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("topic_model.id"), index=True)
    label: Mapped[str] = mapped_column(sa.String(200))
    keywords: Mapped[list[str]] = mapped_column(sa.JSON)
    centroid: Mapped[dict[str, float]] = mapped_column(sa.JSON)  # term -> weight (the strongest terms)
    size: Mapped[int] = mapped_column(sa.Integer)
    representatives: Mapped[list[str]] = mapped_column(sa.JSON)  # order ids nearest the centroid


class IdempotencyRecord(IdempotencyRecordMixin, Base):
    """The first answer of each create sent with an ``Idempotency-Key`` (gov_common.idempotency)."""
