"""Case handlers over the domain (:mod:`workflow.cases.domain`): load and lock the case, ask the domain what a
command does, and write its outcome (state, tasks, trace, events) in the caller's transaction. Opening cases
from applications and the reactions to other services' events live here; staff tasks in
:mod:`workflow.tasks.service`. Keyword-only functions taking the session; they flush, never commit.
"""

from __future__ import annotations

import dataclasses
import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from gov_common.auth import Principal
from gov_common.bus import NotYetKnown
from gov_contracts import publish
from gov_contracts.application import ApplicationSubmitted, ApplicationSupplemented, ApplicationWithdrawn
from gov_contracts.payment import OrderPaid
from gov_standards.calendar import WorkingCalendar
from workflow import access, trace
from workflow.cases import domain
from workflow.cases.domain import Actor, CaseStatus
from workflow.errors import CaseClosed
from workflow.items.service import find_item, smart_approval_terms
from workflow.models import Case, Task

OPEN_TASK = ("open", "claimed")


class UnknownItem(NotYetKnown):
    """The application names an item version whose catalog.item.published has not reached us yet: the
    event is retried until it has."""


# --- between the row and the domain -------------------------------------------------------------------


def facts_of(case: Case) -> domain.CaseFacts:
    return domain.CaseFacts(
        id=case.id,
        application_id=case.application_id,
        tracking_number=case.tracking_number,
        item_code=case.item_code,
        item_name=case.item_name,
        region=case.region,
        department=case.department,
        applicant=domain.Applicant(
            subject=case.applicant_subject,
            kind=case.applicant_kind,
            enterprise=case.applicant_enterprise,
            name_masked=case.applicant_name_masked,
        ),
        steps=tuple(
            domain.Step(domain.StepKind(s["kind"]), s["name"], int(s.get("share_percent", 0)))
            for s in case.process.get("steps", [])
        ),
        countersign_departments=tuple(d["code"] for d in case.process.get("countersign_departments") or []),
        promised_days=case.promised_days,
        fees=tuple(case.fees),
        result_license_type=case.result_license_type,
        opened_at=trace.utc(case.opened_at),  # SQLite hands back naive UTC
        accepting_region=case.accepting_region,
        accepting_department=case.accepting_department,
    )


STATE_FIELDS = tuple(f.name for f in dataclasses.fields(domain.CaseState))


def state_of(case: Case) -> domain.CaseState:
    values = {name: getattr(case, name) for name in STATE_FIELDS}
    return domain.CaseState(
        **{**values, "status": CaseStatus(case.status), "materials": tuple(case.materials), "form": case.form}
    )


async def _handled_by(session: AsyncSession, case: Case) -> list[str]:
    rows = await session.scalars(
        sa.select(Task.assignee).where(Task.case_id == case.id, Task.status == "completed", Task.assignee.is_not(None))
    )
    return [r for r in rows if r]


async def context(session: AsyncSession, case: Case, calendar: WorkingCalendar, now: datetime) -> domain.Context:
    """What the domain reads besides the case (who handled it; the item's terms when rules may decide)."""
    rules = await smart_approval_terms(session, case.item_code, case.item_version) if case.smart_approval else None
    return domain.Context(calendar=calendar, now=now, handled_by=await _handled_by(session, case), item_rules=rules)


async def _cancel_open_tasks(session: AsyncSession, case: Case, now: datetime) -> None:
    rows = await session.scalars(
        sa.select(Task).where(Task.case_id == case.id, Task.status.in_(OPEN_TASK)).with_for_update()
    )
    for task in rows:
        task.status = "cancelled"
        task.completed_at = now


async def write(session: AsyncSession, case: Case, outcome: domain.Outcome, now: datetime) -> Case:
    """Write a transition's outcome onto the (locked) case: its state, task changes in order, the trace
    entries and the events."""
    state = outcome.state
    for name in STATE_FIELDS:
        setattr(case, name, getattr(state, name))
    case.status = state.status.value
    case.materials = [dict(m) for m in state.materials]
    case.form = dict(state.form)
    case.updated_at = now
    for change in outcome.tasks:
        if isinstance(change, domain.CancelOpenTasks):
            await _cancel_open_tasks(session, case, now)
            continue
        session.add_all(
            Task(
                id=uuid.uuid4(),
                case_id=case.id,
                step_index=change.step_index,
                kind=change.kind.value,
                name=change.name,
                role=change.role,
                department=department,
                region=change.region or case.region,
                status="open",
                due=change.due,
                created_at=now,
            )
            for department in change.departments
        )
    for note in outcome.trace:
        await trace.append(
            session,
            case,
            at=now,
            actor=note.actor,
            action=note.action,
            before=note.before,
            after=note.after,
            opinion=note.opinion,
            details=note.details,
        )
    for event in outcome.events:
        await publish(session, event)
    return case


async def run(
    session: AsyncSession, case: Case, command: domain.Command, *, calendar: WorkingCalendar, now: datetime
) -> Case:
    """Apply ``command`` to the locked ``case`` and write the outcome."""
    outcome = domain.decide(facts_of(case), state_of(case), command, await context(session, case, calendar, now))
    return await write(session, case, outcome, now)


async def lock_case(session: AsyncSession, case_id: uuid.UUID) -> Case | None:
    """The case row, locked for this transaction (PostgreSQL; SQLite serialises writers anyway)."""
    result: Case | None = await session.scalar(
        sa.select(Case).where(Case.id == case_id).with_for_update().execution_options(populate_existing=True)
    )
    return result


async def _case_of(session: AsyncSession, application_id: str) -> Case | None:
    case_id = await session.scalar(sa.select(Case.id).where(Case.application_id == application_id))
    return None if case_id is None else await lock_case(session, case_id)


def _applicant_actor(case: Case) -> Actor:
    return Actor(subject=case.applicant_subject, kind=case.applicant_kind)


# --- opening a case ------------------------------------------------------------------------------------


async def open_case(
    session: AsyncSession, *, submitted: ApplicationSubmitted, calendar: WorkingCalendar, now: datetime
) -> Case | None:
    """Open the case of an application (once: a second event for the same application opens nothing)."""
    existing = await session.scalar(sa.select(Case.id).where(Case.application_id == submitted.application_id))
    if existing is not None:
        return None
    item = await find_item(session, submitted.item.implementation_code, submitted.item.version)
    if item is None:
        raise UnknownItem(f"{submitted.item.implementation_code} version {submitted.item.version}")
    subject = domain.applicant_subject(submitted.applicant.subject, submitted.application_id)
    case = Case(
        id=uuid.uuid4(),
        application_id=submitted.application_id,
        tracking_number=submitted.tracking_number,
        item_code=item.implementation_code,
        item_version=item.version,
        item_name=item.name,
        region=item.region,
        department=item.department_code,
        department_name=item.department_name,
        applicant_subject=subject,
        applicant_kind=submitted.applicant.kind,
        applicant_enterprise=submitted.applicant.enterprise,
        applicant_name_masked=submitted.applicant.name_masked,
        form=submitted.form,
        materials=[m.model_dump(mode="json") for m in submitted.materials],
        process=item.process,
        fees=item.fees,
        promised_days=item.promised_days,
        result_license_type=item.result_license_type,
        smart_approval=item.smart_approval,
        status=CaseStatus.OPENED.value,
        step_index=0,
        opened_at=now,
        deadline=domain.opening_deadline(calendar, item.promised_days, now),
        paused_days=0,
        sla_level="green",
        trace_seq=0,
        trace_head="0" * 64,
        bundle_id=submitted.bundle_id,
        updated_at=now,
    )
    accepted_for = submitted.accepted_for
    if accepted_for is not None:
        case.accepting_region, case.accepting_department = accepted_for.region, accepted_for.department
    session.add(case)
    await session.flush()
    command = domain.Open(
        Actor(subject=subject, kind=submitted.applicant.kind),
        channel=submitted.channel,
        accepted_for=None if accepted_for is None else accepted_for.model_dump(mode="json"),
    )
    outcome = domain.decide(facts_of(case), state_of(case), command, domain.Context(calendar=calendar, now=now))
    return await write(session, case, outcome, now)


# --- what other services tell us -----------------------------------------------------------------------


async def on_supplemented(
    session: AsyncSession, *, supplemented: ApplicationSupplemented, calendar: WorkingCalendar, now: datetime
) -> Case | None:
    case = await _case_of(session, supplemented.application_id)
    if case is None or not domain.allows(CaseStatus(case.status), domain.CaseAction.SUPPLEMENTED):
        return None  # a redelivery, or a supplement the case no longer waits for
    command = domain.Supplemented(
        _applicant_actor(case),
        materials=tuple(m.model_dump(mode="json") for m in supplemented.materials),
        form=supplemented.form,
    )
    return await run(session, case, command, calendar=calendar, now=now)


async def on_paid(session: AsyncSession, *, paid: OrderPaid, calendar: WorkingCalendar, now: datetime) -> Case | None:
    try:
        case_id = uuid.UUID(paid.case_id)
    except ValueError:
        return None
    case = await lock_case(session, case_id)
    if case is None or not domain.allows(CaseStatus(case.status), domain.CaseAction.PAID):
        return None
    command = domain.Paid(domain.PAYMENT, order_id=paid.order_id, amount_fen=paid.amount_fen)
    return await run(session, case, command, calendar=calendar, now=now)


async def on_withdrawn(
    session: AsyncSession, *, withdrawn: ApplicationWithdrawn, calendar: WorkingCalendar, now: datetime
) -> Case | None:
    case = await _case_of(session, withdrawn.application_id)
    if case is None or not domain.allows(CaseStatus(case.status), domain.CaseAction.WITHDRAW):
        return None
    command = domain.Withdraw(_applicant_actor(case), reason=withdrawn.reason)
    return await run(session, case, command, calendar=calendar, now=now)


async def may_see_case(session: AsyncSession, principal: Principal, case: Case) -> bool:
    """:func:`access.may_see`, the accepting window's department (异地代收), or staff of a department that has
    (or had) a task on the case."""
    if access.may_see(principal, case) or access.is_accepting_side(principal, case):
        return True
    if not access.may_see_through_a_task(principal, case):
        return False
    task_id = await session.scalar(
        sa.select(Task.id).where(Task.case_id == case.id, Task.department == principal.department).limit(1)
    )
    return task_id is not None


async def take_back(
    session: AsyncSession, *, case: Case, principal: Principal, calendar: WorkingCalendar, now: datetime
) -> Case:
    """A person takes a smart-approval case back: rules no longer decide it."""
    if CaseStatus(case.status) in domain.CLOSED:
        raise CaseClosed(current_status=case.status)
    actor = Actor(subject=principal.subject, kind="staff", role="approver", department=principal.department)
    return await run(session, case, domain.TakeBack(actor), calendar=calendar, now=now)
