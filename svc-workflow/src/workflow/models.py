"""Tables of svc-workflow. Only this service reads or writes them."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from gov_common.db import new_metadata
from gov_common.idempotency import IdempotencyRecordMixin


class Base(DeclarativeBase):
    metadata = new_metadata()
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        dict[str, Any]: sa.JSON,
        list[Any]: sa.JSON,
        datetime: sa.DateTime(timezone=True),
    }


metadata = Base.metadata


class ItemVersion(Base):
    """Our copy of a published item version (from ``catalog.item.published``): what a case needs."""

    __tablename__ = "item_version"
    implementation_code: Mapped[str] = mapped_column(sa.String(100), primary_key=True)
    version: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    region: Mapped[str] = mapped_column(sa.String(12))
    department_code: Mapped[str] = mapped_column(sa.String(32))
    department_name: Mapped[str] = mapped_column(sa.String(200))
    promised_days: Mapped[int]
    statutory_days: Mapped[int]
    process: Mapped[dict[str, Any]]
    fees: Mapped[list[Any]]
    materials: Mapped[list[Any]]
    form_schema: Mapped[dict[str, Any]]
    result_license_type: Mapped[str | None] = mapped_column(sa.String(50))
    smart_approval: Mapped[bool] = mapped_column(default=False)
    smart_approval_rule: Mapped[dict[str, Any] | None]  # the item's own rule (catalog's SmartApprovalRule)
    published_at: Mapped[datetime]


class CalendarYear(Base):
    """One year's working-day arrangement: days off and make-up working days (调休)."""

    __tablename__ = "calendar_year"
    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    holidays: Mapped[list[Any]]
    makeup_workdays: Mapped[list[Any]]
    source: Mapped[str] = mapped_column(sa.String(500), default="")
    updated_at: Mapped[datetime]


class Case(Base):
    """A case (办件) opened for one application, following its item version's process template."""

    __tablename__ = "case"
    # The case lists (staff: their department's; applicants: theirs), oldest first, read in index order.
    __table_args__ = (
        sa.Index("ix_case_by_department", "department", "opened_at", "id"),
        sa.Index("ix_case_by_applicant", "applicant_subject", "opened_at", "id"),
        sa.Index("ix_case_by_accepting_department", "accepting_department", "opened_at", "id"),
    )
    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True, default=uuid.uuid4)
    application_id: Mapped[str] = mapped_column(sa.String(64), unique=True)
    tracking_number: Mapped[str] = mapped_column(sa.String(64), index=True)
    item_code: Mapped[str] = mapped_column(sa.String(100), index=True)
    item_version: Mapped[int]
    item_name: Mapped[str] = mapped_column(sa.String(200))
    region: Mapped[str] = mapped_column(sa.String(12), index=True)
    department: Mapped[str] = mapped_column(sa.String(32))
    department_name: Mapped[str] = mapped_column(sa.String(200))
    applicant_subject: Mapped[str] = mapped_column(sa.String(200))
    applicant_kind: Mapped[str] = mapped_column(sa.String(16))
    applicant_enterprise: Mapped[str | None] = mapped_column(sa.String(32))
    applicant_name_masked: Mapped[str] = mapped_column(sa.String(100), default="")
    form: Mapped[dict[str, Any]]
    materials: Mapped[list[Any]]
    process: Mapped[dict[str, Any]]
    fees: Mapped[list[Any]]
    promised_days: Mapped[int]
    result_license_type: Mapped[str | None] = mapped_column(sa.String(50))
    smart_approval: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(sa.String(32), index=True)
    step_index: Mapped[int] = mapped_column(default=0)
    opened_at: Mapped[datetime]
    deadline: Mapped[date]
    paused_since: Mapped[date | None]
    paused_reason: Mapped[str | None] = mapped_column(sa.String(32))
    paused_days: Mapped[int] = mapped_column(default=0)
    sla_level: Mapped[str] = mapped_column(sa.String(8), default="green")
    decision: Mapped[str | None] = mapped_column(sa.String(16))
    decided_by: Mapped[str | None] = mapped_column(sa.String(200))
    fee_order_id: Mapped[str | None] = mapped_column(sa.String(64))
    closed_at: Mapped[datetime | None]
    handling_days: Mapped[int | None]  # working days from opening to closing, clock stops excluded
    on_time: Mapped[bool | None]
    trace_seq: Mapped[int] = mapped_column(default=0)
    trace_head: Mapped[str] = mapped_column(sa.String(64))
    # 异地代收: the window of another region that accepted it for the department (null: not so); its staff
    # follow the case and hand the result over (the deliver step), the department decides.
    accepting_region: Mapped[str | None] = mapped_column(sa.String(12))
    accepting_department: Mapped[str | None] = mapped_column(sa.String(32))
    # The bundle application (一件事) this case's application is one part of: its siblings share it.
    bundle_id: Mapped[str | None] = mapped_column(sa.String(64), index=True)
    updated_at: Mapped[datetime]


# The statuses of a task still to be done; the predicate of the inbox's partial index.
OPEN_TASKS = "status IN ('open', 'claimed')"


class Task(Base):
    """A staff task of one step; countersigning opens one per department in parallel."""

    __tablename__ = "task"
    __table_args__ = (
        # The inbox (open and claimed tasks of a department, oldest first): only the open tasks, in order.
        sa.Index(
            "ix_task_open",
            "department",
            "created_at",
            "id",
            postgresql_where=sa.text(OPEN_TASKS),
            sqlite_where=sa.text(OPEN_TASKS),
        ),
        sa.Index("ix_task_by_status", "department", "status", "created_at", "id"),
    )
    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True, default=uuid.uuid4)
    case_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("case.id"), index=True)
    step_index: Mapped[int]
    kind: Mapped[str] = mapped_column(sa.String(16))
    name: Mapped[str] = mapped_column(sa.String(100))
    role: Mapped[str] = mapped_column(sa.String(50))
    department: Mapped[str] = mapped_column(sa.String(32))
    region: Mapped[str] = mapped_column(sa.String(12))
    status: Mapped[str] = mapped_column(sa.String(16))  # open, claimed, completed, cancelled
    assignee: Mapped[str | None] = mapped_column(sa.String(200))
    due: Mapped[date]
    created_at: Mapped[datetime]
    claimed_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    action: Mapped[str | None] = mapped_column(sa.String(32))
    opinion: Mapped[str | None] = mapped_column(sa.Text)


class TraceEntry(Base):
    """One transition of a case; append-only and hash-chained per case (see :mod:`workflow.chain`)."""

    __tablename__ = "trace_entry"
    case_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    seq: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(sa.String(200))
    actor_kind: Mapped[str] = mapped_column(sa.String(16))
    role: Mapped[str | None] = mapped_column(sa.String(50))
    department: Mapped[str | None] = mapped_column(sa.String(32))
    action: Mapped[str] = mapped_column(sa.String(50))
    opinion: Mapped[str | None] = mapped_column(sa.Text)
    state_before: Mapped[str | None] = mapped_column(sa.String(32))
    state_after: Mapped[str] = mapped_column(sa.String(32))
    details: Mapped[dict[str, Any]]
    prev_hash: Mapped[str] = mapped_column(sa.String(64))
    hash: Mapped[str] = mapped_column(sa.String(64))


class CaseNote(Base):
    """A note on a case (知识共享、互动交流) by a staff member who handles it, for the others who do: never
    shown to the applicant, and not part of the trace (a note records no transition)."""

    __tablename__ = "case_note"
    __table_args__ = (sa.Index("ix_case_note_by_case", "case_id", "created_at", "id"),)
    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True, default=uuid.uuid4)
    case_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("case.id"))
    author: Mapped[str] = mapped_column(sa.String(200))
    department: Mapped[str | None] = mapped_column(sa.String(32))  # the author's, when written
    region: Mapped[str | None] = mapped_column(sa.String(12))
    body: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime]


class CountersignRequest(Base):
    """A case's handlers ask another department for its opinion (会签); that department answers once. The
    case's tracking number and item are copied so the asked department reads them without the case."""

    __tablename__ = "countersign_request"
    __table_args__ = (
        sa.Index("ix_countersign_request_by_case", "case_id", "requested_at", "id"),
        sa.Index("ix_countersign_request_by_department", "department", "status", "requested_at", "id"),
    )
    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True, default=uuid.uuid4)
    case_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("case.id"))
    tracking_number: Mapped[str] = mapped_column(sa.String(64))
    item_name: Mapped[str] = mapped_column(sa.String(200))
    department: Mapped[str] = mapped_column(sa.String(32))  # the asked one
    region: Mapped[str] = mapped_column(sa.String(12))  # where it was asked (the case's or above)
    question: Mapped[str] = mapped_column(sa.Text)
    requested_by: Mapped[str] = mapped_column(sa.String(200))
    requested_department: Mapped[str | None] = mapped_column(sa.String(32))
    requested_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(sa.String(16))  # open | answered
    agree: Mapped[bool | None]
    opinion: Mapped[str | None] = mapped_column(sa.Text)
    answered_by: Mapped[str | None] = mapped_column(sa.String(200))
    answered_at: Mapped[datetime | None]


class SupervisionOrder(Base):
    """A supervision order (督办): a supervisor orders a department to act on a case (ours or a city
    platform's) or on its work in general, and to reply within ``working_days``; unanswered past its
    deadline it goes one level up the region tree (``holder_region``). ``history`` lists what happened to it."""

    __tablename__ = "supervision_order"
    __table_args__ = (
        sa.Index("ix_supervision_order_by_region", "region", "issued_at", "id"),
        sa.Index("ix_supervision_order_by_department", "department", "issued_at", "id"),
        sa.Index("ix_supervision_order_due", "status", "deadline"),
    )
    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True, default=uuid.uuid4)
    target: Mapped[str] = mapped_column(sa.String(16))  # case | external_case | department
    case_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("case.id"), index=True)
    external_case_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("external_case.id"), index=True)
    department: Mapped[str] = mapped_column(sa.String(32))
    region: Mapped[str] = mapped_column(sa.String(12))  # the ordered department's (or the case's) region
    reason: Mapped[str] = mapped_column(sa.Text)
    working_days: Mapped[int]
    issued_by: Mapped[str] = mapped_column(sa.String(200))
    issuer_region: Mapped[str] = mapped_column(sa.String(12))
    issued_at: Mapped[datetime]
    first_deadline: Mapped[date]
    deadline: Mapped[date]  # the current one (an escalation sets a new one)
    holder_region: Mapped[str] = mapped_column(sa.String(12))  # whose supervisors hold it now
    escalations: Mapped[int] = mapped_column(default=0)
    status: Mapped[str] = mapped_column(sa.String(16))  # open | replied
    reply: Mapped[str | None] = mapped_column(sa.Text)
    replied_by: Mapped[str | None] = mapped_column(sa.String(200))
    replied_at: Mapped[datetime | None]
    late: Mapped[bool | None]
    history: Mapped[list[Any]]


class ExternalCase(Base):
    """A case a city platform or department system handles and pushed through svc-exchange
    (``exchange.case.synced``; the id is exchange's record id), supervised like ours: its deadline, its
    clock stops (补正) from its state changes, its warning level and whether it was decided on time."""

    __tablename__ = "external_case"
    __table_args__ = (sa.Index("ix_external_case_by_region", "region", "received_at", "id"),)
    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    origin: Mapped[str] = mapped_column(sa.String(16))  # city_platform | department
    source: Mapped[str] = mapped_column(sa.String(200))
    external_id: Mapped[str] = mapped_column(sa.String(100))
    tracking_number: Mapped[str | None] = mapped_column(sa.String(100))
    item_code: Mapped[str] = mapped_column(sa.String(200), index=True)
    item_name: Mapped[str | None] = mapped_column(sa.String(300))
    region: Mapped[str] = mapped_column(sa.String(12))
    department: Mapped[str | None] = mapped_column(sa.String(32), index=True)
    status: Mapped[str] = mapped_column(sa.String(32))
    status_at: Mapped[datetime]
    received_at: Mapped[datetime]
    accepted_at: Mapped[datetime | None]
    deadline: Mapped[date | None]
    paused_since: Mapped[date | None]
    paused_days: Mapped[int] = mapped_column(default=0)
    sla_level: Mapped[str] = mapped_column(sa.String(8), default="green")
    closed_at: Mapped[datetime | None]
    handling_days: Mapped[int | None]
    on_time: Mapped[bool | None]
    history: Mapped[list[Any]]  # [{status, at}], oldest first
    updated_at: Mapped[datetime]


class IdempotencyRecord(IdempotencyRecordMixin, Base):
    """First answers of creates that carried an ``Idempotency-Key`` (gov_common.idempotency)."""
