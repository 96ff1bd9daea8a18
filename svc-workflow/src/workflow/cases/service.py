"""Case handling: opening cases from applications, routing tasks along the item's process template,
the decisions of each step, clock stops, and the events other services act on.

Every transition locks the case row, changes state, appends a trace entry and stages its event in the
caller's transaction. Keyword-only functions taking the session; they flush, never commit.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from gov_common.auth import Principal
from gov_common.bus import NotYetKnown
from gov_common.outbox import add_event
from gov_common.workdays import WorkingCalendar, china_date
from workflow import access, events, rules
from workflow.errors import (
    ActionNotAllowed,
    CaseClosed,
    OutOfScope,
    TaskAlreadyClaimed,
    TaskNotClaimable,
    TaskNotFound,
    TaskNotYours,
)
from workflow.models import Case, ItemVersion, Task
from workflow.trace import Actor, append

STEP_STATUS = {
    "accept": "accepting",
    "review": "reviewing",
    "countersign": "countersigning",
    "decide": "deciding",
    "deliver": "delivering",
}
PAUSED = ("supplementing", "paying")
CLOSED = ("refused", "completed", "withdrawn")
STEP_ACTIONS = {
    "accept": ("accept", "refuse", "request_supplement"),
    "review": ("complete",),
    "countersign": ("complete",),
    "decide": ("approve", "reject"),
    "deliver": ("complete",),
}
# The platform roles (token ``roles``) that act on each kind of step; the template's own ``role`` is a
# free-text post name (e.g. 窗口受理人员), kept in the trace but not used for authorisation.
STEP_ROLE = {
    "accept": "acceptor",
    "review": "reviewer",
    "countersign": "reviewer",
    "decide": "approver",
    "deliver": "acceptor",
}
SYSTEM = Actor(subject="svc-workflow", kind="system")


@dataclass(frozen=True)
class Completion:
    """What a staff member sends when completing a task."""

    action: str
    opinion: str
    reason: str | None = None
    legal_basis: str | None = None
    missing: list[dict[str, str]] | None = None


# --- read model of the catalog ------------------------------------------------------------------


async def keep_item(session: AsyncSession, data: dict[str, Any]) -> None:
    """Keep what cases need of a published item version (a redelivery changes nothing)."""
    definition = data["definition"]
    key = (data["implementation_code"], int(data["version"]))
    if await session.get(ItemVersion, key) is not None:
        return
    session.add(
        ItemVersion(
            implementation_code=key[0],
            version=key[1],
            name=definition["name"],
            region=definition["region"],
            department_code=definition["department"]["code"],
            department_name=definition["department"]["name"],
            promised_days=int(definition["time_limit"]["promised_days"]),
            statutory_days=int(definition["time_limit"]["statutory_days"]),
            process=definition["process"],
            fees=definition.get("fees", []),
            materials=definition.get("materials", []),
            form_schema=definition.get("form_schema", {}),
            result_license_type=definition.get("result_license_type"),
            smart_approval=bool(definition.get("smart_approval", False)),
            published_at=datetime.fromisoformat(str(data["published_at"])),
        )
    )


async def find_item(session: AsyncSession, code: str, version: int) -> ItemVersion | None:
    """The exact version the application names (its fees, process and time limit are what the citizen
    saw when applying; another version's would be wrong)."""
    return await session.get(ItemVersion, (code, version))


# --- events ---------------------------------------------------------------------------------------


def _common(case: Case, now: datetime) -> dict[str, Any]:
    return {
        "case_id": str(case.id),
        "application_id": case.application_id,
        "tracking_number": case.tracking_number,
        "item_code": case.item_code,
        "item_name": case.item_name,
        "region": case.region,
        "department": case.department,
        "applicant": {
            "subject": case.applicant_subject,
            "kind": case.applicant_kind,
            "enterprise": case.applicant_enterprise,
        },
        "occurred_at": now,
    }


async def _emit(session: AsyncSession, event_type: str, case: Case, data: dict[str, Any]) -> None:
    await add_event(
        session,
        topic=events.TOPIC,
        type=event_type,
        source=events.SOURCE,
        subject=str(case.id),
        data=events.payload(event_type, **data),
    )


async def _emit_case(session: AsyncSession, event_type: str, case: Case, now: datetime, **extra: Any) -> None:
    await _emit(session, event_type, case, {**_common(case, now), **extra})


# --- steps and tasks -----------------------------------------------------------------------------


def _steps(case: Case) -> list[dict[str, Any]]:
    return list(case.process.get("steps", []))


def step_due(calendar: WorkingCalendar, case: Case, step: dict[str, Any], today: date) -> date:
    """A step's deadline: its share of the promised time limit from today, never after the case's."""
    days = math.ceil(case.promised_days * int(step.get("share_percent", 0)) / 100)
    return min(calendar.add_working_days(today, days), case.deadline)


async def _open_step(session: AsyncSession, case: Case, calendar: WorkingCalendar, now: datetime) -> list[Task]:
    """Open the tasks of the case's current step: one, or one per countersigning department."""
    step = _steps(case)[case.step_index]
    case.status = STEP_STATUS[step["kind"]]
    due = step_due(calendar, case, step, china_date(now))
    if step["kind"] == "countersign" and case.process.get("countersign_departments"):
        departments = [d["code"] for d in case.process["countersign_departments"]]
    else:
        departments = [case.department]
    tasks = [
        Task(
            id=uuid.uuid4(),
            case_id=case.id,
            step_index=case.step_index,
            kind=step["kind"],
            name=step["name"],
            role=STEP_ROLE[step["kind"]],
            department=department,
            region=case.region,
            status="open",
            due=due,
            created_at=now,
        )
        for department in departments
    ]
    session.add_all(tasks)
    return tasks


async def _open_tasks(session: AsyncSession, case: Case) -> list[Task]:
    rows = await session.scalars(
        sa.select(Task).where(Task.case_id == case.id, Task.status.in_(("open", "claimed"))).with_for_update()
    )
    return list(rows)


async def _cancel_open_tasks(session: AsyncSession, case: Case, now: datetime) -> None:
    for task in await _open_tasks(session, case):
        task.status = "cancelled"
        task.completed_at = now


async def lock_case(session: AsyncSession, case_id: uuid.UUID) -> Case | None:
    """The case row, locked for this transaction (PostgreSQL; SQLite serialises writers anyway)."""
    result: Case | None = await session.scalar(
        sa.select(Case).where(Case.id == case_id).with_for_update().execution_options(populate_existing=True)
    )
    return result


async def _advance(session: AsyncSession, case: Case, calendar: WorkingCalendar, now: datetime, *, before: str) -> None:
    """Move to the next step of the template (the decide step may be taken by smart approval)."""
    case.step_index += 1
    steps = _steps(case)
    if case.step_index >= len(steps):
        await _close(session, case, calendar, now, result="approved", before=before, actor=SYSTEM)
        return
    await _open_step(session, case, calendar, now)
    await append(
        session,
        case,
        at=now,
        actor=SYSTEM,
        action="step_opened",
        before=before,
        details={"step": steps[case.step_index]["name"]},
    )
    if steps[case.step_index]["kind"] == "decide" and case.smart_approval:
        await _try_smart_approval(session, case, calendar, now)


async def _try_smart_approval(session: AsyncSession, case: Case, calendar: WorkingCalendar, now: datetime) -> None:
    item = await session.get(ItemVersion, (case.item_code, case.item_version))
    definition = {"materials": item.materials if item else [], "form_schema": item.form_schema if item else {}}
    results = rules.evaluate(definition, {"materials": case.materials, "form": case.form})
    fired = [{"rule": r.rule, "passed": r.passed, "detail": r.detail} for r in results]
    rule_actor = Actor(subject=f"smart-approval rule {rules.RULE_SET_ID}", kind="rule")
    if not all(r.passed for r in results):
        await append(
            session,
            case,
            at=now,
            actor=rule_actor,
            action="smart_approval_declined",
            before=case.status,
            details={"rules": fired},
        )
        return
    await _cancel_open_tasks(session, case, now)
    await _approve(
        session,
        case,
        calendar,
        now,
        actor=rule_actor,
        opinion="decided by smart approval: every rule passed",
        details={"rules": fired},
    )


async def _approve(
    session: AsyncSession,
    case: Case,
    calendar: WorkingCalendar,
    now: datetime,
    *,
    actor: Actor,
    opinion: str,
    details: dict[str, Any] | None = None,
) -> None:
    before = case.status
    case.decision = "approved"
    case.decided_by = actor.subject
    lines = fee_lines(case.fees)
    if lines and case.fee_order_id is None and case.applicant_subject.startswith(HALL_APPLICANT):
        # No account to pay online with: the fees are taken at the hall window with the result.
        details = {**(details or {}), "fees_collected_at": "hall window"}
    elif lines and case.fee_order_id is None:
        case.status = "paying"
        case.paused_since = china_date(now)
        case.paused_reason = "payment"
        await append(
            session,
            case,
            at=now,
            actor=actor,
            action="approve",
            before=before,
            opinion=opinion,
            details={**(details or {}), "fees_fen": sum(line["amount_fen"] for line in lines)},
        )
        await _emit(
            session,
            events.FEE_REQUESTED,
            case,
            {
                "case_id": str(case.id),
                "application_id": case.application_id,
                "tracking_number": case.tracking_number,
                "item_code": case.item_code,
                "applicant": {
                    "subject": case.applicant_subject,
                    "kind": case.applicant_kind,
                    "enterprise": case.applicant_enterprise,
                },
                "department": case.department,
                "region": case.region,
                "lines": lines,
            },
        )
        return
    await append(
        session, case, at=now, actor=actor, action="approve", before=before, opinion=opinion, details=details or {}
    )
    await _announce_approval(session, case, calendar, now, opinion=opinion)


async def _announce_approval(
    session: AsyncSession, case: Case, calendar: WorkingCalendar, now: datetime, *, opinion: str
) -> None:
    await _emit_case(
        session,
        events.APPROVED,
        case,
        now,
        decided_by=case.decided_by or SYSTEM.subject,
        opinion=opinion,
        decided_at=now,
        result_license_type=case.result_license_type,
        license_fields={"item_name": case.item_name, "tracking_number": case.tracking_number, **_license_form(case)},
        holder={
            "id_type": "credit_code" if case.applicant_kind == "enterprise" else "citizen_id",
            "id_hash": None,
            "name": case.applicant_name_masked,
        },
    )
    before = case.status
    # The decide step is done; the next one (delivery, 办结) goes to staff.
    while case.step_index < len(_steps(case)) and _steps(case)[case.step_index]["kind"] in (
        "decide",
        "countersign",
        "review",
    ):
        case.step_index += 1
    if case.step_index >= len(_steps(case)):
        await _close(session, case, calendar, now, result="approved", before=before, actor=SYSTEM)
        return
    await _open_step(session, case, calendar, now)
    await append(
        session,
        case,
        at=now,
        actor=SYSTEM,
        action="step_opened",
        before=before,
        details={"step": _steps(case)[case.step_index]["name"]},
    )


def _license_form(case: Case) -> dict[str, Any]:
    """Form fields worth putting on a license: plain scalars only (no nested or personal documents)."""
    return {k: v for k, v in case.form.items() if isinstance(v, str | int | float | bool) and "id_number" not in k}


# A hall case of a person without an account has no subject; the case names the applicant by its
# application, so every event still carries one, and online steps (paying, rating) are skipped for it.
HALL_APPLICANT = "hall:"


def applicant_subject(submitted: events.ApplicationSubmitted) -> str:
    return submitted.applicant.subject or f"{HALL_APPLICANT}{submitted.application_id}"


def fee_lines(fees: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Fee lines for payment: fixed amounts above zero (a formula fee needs a person to compute it)."""
    return [
        {
            "code": f"fee-{i + 1}",
            "name": f["name"],
            "amount_fen": int(f["amount_fen"]),
            "legal_basis": f.get("legal_basis", ""),
        }
        for i, f in enumerate(fees)
        if f.get("amount_fen")
    ]


async def _close(
    session: AsyncSession,
    case: Case,
    calendar: WorkingCalendar,
    now: datetime,
    *,
    result: str,
    before: str,
    actor: Actor,
) -> None:
    case.status = "completed"
    case.closed_at = now
    today = china_date(now)
    case.handling_days = max(0, calendar.working_days_between(china_date(case.opened_at), today) - case.paused_days)
    case.on_time = today <= case.deadline
    handled_by = sorted(set(await _handlers(session, case)))
    await append(session, case, at=now, actor=actor, action="completed", before=before, details={"result": result})
    await _emit_case(session, events.COMPLETED, case, now, completed_at=now, result=result, handled_by=handled_by)


async def _handlers(session: AsyncSession, case: Case) -> list[str]:
    rows = await session.scalars(
        sa.select(Task.assignee).where(Task.case_id == case.id, Task.status == "completed", Task.assignee.is_not(None))
    )
    return [r for r in rows if r]


def _pause(case: Case, now: datetime, reason: str, status: str) -> None:
    case.status = status
    case.paused_since = china_date(now)
    case.paused_reason = reason


def _resume(case: Case, calendar: WorkingCalendar, now: datetime) -> int:
    """End a clock stop: the deadline moves by the working days the case waited; returns them."""
    if case.paused_since is None:
        return 0
    waited = calendar.working_days_between(case.paused_since, china_date(now))
    case.deadline = calendar.add_working_days(case.deadline, waited)
    case.paused_days += waited
    case.paused_since = None
    case.paused_reason = None
    return waited


# --- opening a case --------------------------------------------------------------------------------


async def open_case(
    session: AsyncSession, *, submitted: events.ApplicationSubmitted, calendar: WorkingCalendar, now: datetime
) -> Case | None:
    """Open the case of an application (once: a second event for the same application opens nothing)."""
    existing = await session.scalar(sa.select(Case.id).where(Case.application_id == submitted.application_id))
    if existing is not None:
        return None
    item = await find_item(session, submitted.item.implementation_code, submitted.item.version)
    if item is None:
        raise UnknownItem(f"{submitted.item.implementation_code} version {submitted.item.version}")
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
        applicant_subject=applicant_subject(submitted),
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
        status="opened",
        step_index=0,
        opened_at=now,
        deadline=calendar.add_working_days(china_date(now), item.promised_days),
        paused_days=0,
        sla_level="green",
        trace_seq=0,
        trace_head="0" * 64,
        updated_at=now,
    )
    session.add(case)
    await session.flush()
    await append(
        session,
        case,
        at=now,
        actor=Actor(subject=applicant_subject(submitted), kind=submitted.applicant.kind),
        action="submitted",
        before=None,
        details={"channel": submitted.channel},
    )
    await _open_step(session, case, calendar, now)
    await append(
        session,
        case,
        at=now,
        actor=SYSTEM,
        action="step_opened",
        before="opened",
        details={"step": _steps(case)[0]["name"], "department": case.department},
    )
    return case


class UnknownItem(NotYetKnown):
    """The application names an item version whose catalog.item.published has not reached us yet: the
    event is retried until it has."""


# --- staff tasks ------------------------------------------------------------------------------------


async def get_task(session: AsyncSession, task_id: uuid.UUID, principal: Principal, *, lock: bool = False) -> Task:
    stmt = sa.select(Task).where(Task.id == task_id)
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    task = await session.scalar(stmt)
    if task is None or not access.may_see_task(principal, task):
        raise TaskNotFound()
    return task


def _actor(principal: Principal, task: Task) -> Actor:
    return Actor(subject=principal.subject, kind="staff", role=task.role, department=principal.department)


async def claim(session: AsyncSession, *, task_id: uuid.UUID, principal: Principal, now: datetime) -> Task:
    """Claim an open task; of concurrent claims exactly one wins (a conditional update)."""
    task = await get_task(session, task_id, principal)
    if not access.may_act_on(principal, task):
        raise OutOfScope("your role does not act on this step", required_role=task.role)
    result = await session.execute(
        sa.update(Task)
        .where(Task.id == task_id, Task.status == "open", Task.assignee.is_(None))
        .values(status="claimed", assignee=principal.subject, claimed_at=now)
        .execution_options(synchronize_session=False)
    )
    if getattr(result, "rowcount", 0) != 1:
        await session.refresh(task)
        if task.status == "claimed" and task.assignee == principal.subject:
            return task
        if task.status == "claimed":
            raise TaskAlreadyClaimed()
        raise TaskNotClaimable(current_status=task.status)
    await session.refresh(task)
    return task


async def release(session: AsyncSession, *, task_id: uuid.UUID, principal: Principal) -> Task:
    task = await get_task(session, task_id, principal, lock=True)
    if task.status != "claimed" or task.assignee != principal.subject:
        raise TaskNotYours()
    task.status, task.assignee, task.claimed_at = "open", None, None
    return task


async def complete(
    session: AsyncSession,
    *,
    task_id: uuid.UUID,
    principal: Principal,
    done: Completion,
    calendar: WorkingCalendar,
    now: datetime,
) -> Case:
    """Complete a claimed task with an action that fits its step; the case moves on."""
    task = await get_task(session, task_id, principal)
    case = await lock_case(session, task.case_id)
    assert case is not None
    await session.refresh(task, with_for_update=True)
    if case.status in CLOSED:
        raise CaseClosed(current_status=case.status)
    if task.status != "claimed" or task.assignee != principal.subject:
        raise TaskNotYours()
    if done.action not in STEP_ACTIONS[task.kind]:
        raise ActionNotAllowed(
            f"a {task.kind} task takes {', '.join(STEP_ACTIONS[task.kind])}", allowed=list(STEP_ACTIONS[task.kind])
        )
    _check_fields(done)
    task.status, task.completed_at, task.action, task.opinion = "completed", now, done.action, done.opinion
    actor = _actor(principal, task)
    before = case.status
    case.updated_at = now
    if task.kind == "accept":
        await _on_acceptance(session, case, calendar, now, actor=actor, done=done, before=before)
    elif task.kind == "decide":
        if done.action == "approve":
            await _approve(session, case, calendar, now, actor=actor, opinion=done.opinion)
        else:
            case.decision, case.decided_by = "rejected", principal.subject
            await _cancel_open_tasks(session, case, now)
            await append(
                session,
                case,
                at=now,
                actor=actor,
                action="reject",
                before=before,
                opinion=done.opinion,
                details={"reason": done.reason, "legal_basis": done.legal_basis},
            )
            await _emit_case(
                session,
                events.REJECTED,
                case,
                now,
                reason=done.reason,
                legal_basis=done.legal_basis,
                decided_by=principal.subject,
            )
            await _close(session, case, calendar, now, result="rejected", before=case.status, actor=SYSTEM)
    elif task.kind == "deliver":
        await append(session, case, at=now, actor=actor, action="delivered", before=before, opinion=done.opinion)
        await _close(session, case, calendar, now, result=case.decision or "approved", before=case.status, actor=SYSTEM)
    else:  # review, countersign: the step is done when every parallel task of it is
        await append(
            session, case, at=now, actor=actor, action=f"{task.kind}_completed", before=before, opinion=done.opinion
        )
        remaining = [t for t in await _open_tasks(session, case) if t.step_index == case.step_index]
        if not remaining:
            await _advance(session, case, calendar, now, before=case.status)
    return case


def _check_fields(done: Completion) -> None:
    if done.action in ("refuse", "reject") and not done.reason:
        raise ActionNotAllowed("a refusal or rejection needs a reason", field="reason")
    if done.action == "reject" and not done.legal_basis:
        raise ActionNotAllowed("a rejection needs its legal basis", field="legal_basis")
    if done.action == "request_supplement" and not done.missing:
        raise ActionNotAllowed("list the missing materials", field="missing")


async def _on_acceptance(
    session: AsyncSession,
    case: Case,
    calendar: WorkingCalendar,
    now: datetime,
    *,
    actor: Actor,
    done: Completion,
    before: str,
) -> None:
    if done.action == "accept":
        await append(session, case, at=now, actor=actor, action="accept", before=before, opinion=done.opinion)
        await _emit_case(session, events.ACCEPTED, case, now, accepted_by=actor.subject, deadline=case.deadline)
        await _advance(session, case, calendar, now, before=case.status)
    elif done.action == "refuse":
        case.status, case.closed_at = "refused", now
        await append(
            session,
            case,
            at=now,
            actor=actor,
            action="refuse",
            before=before,
            opinion=done.opinion,
            details={"reason": done.reason},
        )
        await _emit_case(session, events.REFUSED, case, now, reason=done.reason)
    else:
        _pause(case, now, "supplement", "supplementing")
        await append(
            session,
            case,
            at=now,
            actor=actor,
            action="request_supplement",
            before=before,
            opinion=done.opinion,
            details={"missing": done.missing},
        )
        await _emit_case(session, events.SUPPLEMENT_REQUESTED, case, now, missing=done.missing, note=done.opinion)


# --- what other services tell us -------------------------------------------------------------------


async def on_supplemented(
    session: AsyncSession, *, supplemented: events.ApplicationSupplemented, calendar: WorkingCalendar, now: datetime
) -> Case | None:
    case = await _case_of(session, supplemented.application_id)
    if case is None or case.status != "supplementing":
        return None
    before = case.status
    waited = _resume(case, calendar, now)
    if supplemented.materials:
        by_name = {m["name"]: m for m in case.materials}
        by_name.update({m.name: m.model_dump(mode="json") for m in supplemented.materials})
        case.materials = list(by_name.values())
    if supplemented.form is not None:
        case.form = supplemented.form
    case.updated_at = now
    await _open_step(session, case, calendar, now)
    await append(
        session,
        case,
        at=now,
        actor=Actor(subject=case.applicant_subject, kind=case.applicant_kind),
        action="supplemented",
        before=before,
        details={"clock_stopped_working_days": waited},
    )
    return case


async def on_paid(
    session: AsyncSession, *, paid: events.OrderPaid, calendar: WorkingCalendar, now: datetime
) -> Case | None:
    try:
        case_id = uuid.UUID(paid.case_id)
    except ValueError:
        return None
    case = await lock_case(session, case_id)
    if case is None or case.status != "paying":
        return None
    before = case.status
    waited = _resume(case, calendar, now)
    case.fee_order_id = paid.order_id
    case.updated_at = now
    await append(
        session,
        case,
        at=now,
        actor=Actor(subject="svc-payment", kind="system"),
        action="paid",
        before=before,
        details={"order_id": paid.order_id, "amount_fen": paid.amount_fen, "clock_stopped_working_days": waited},
    )
    await _announce_approval(session, case, calendar, now, opinion="fees paid")
    return case


async def on_withdrawn(
    session: AsyncSession, *, withdrawn: events.ApplicationWithdrawn, calendar: WorkingCalendar, now: datetime
) -> Case | None:
    case = await _case_of(session, withdrawn.application_id)
    if case is None or case.status in CLOSED:
        return None
    before = case.status
    _resume(case, calendar, now)
    await _cancel_open_tasks(session, case, now)
    case.status, case.closed_at, case.updated_at = "withdrawn", now, now
    await append(
        session,
        case,
        at=now,
        actor=Actor(subject=case.applicant_subject, kind=case.applicant_kind),
        action="withdrawn",
        before=before,
        opinion=withdrawn.reason or None,
    )
    await _emit_case(session, events.WITHDRAWN, case, now, reason=withdrawn.reason or "withdrawn by the applicant")
    return case


async def _case_of(session: AsyncSession, application_id: str) -> Case | None:
    case_id = await session.scalar(sa.select(Case.id).where(Case.application_id == application_id))
    return None if case_id is None else await lock_case(session, case_id)


async def take_back(session: AsyncSession, *, case: Case, principal: Principal, now: datetime) -> Case:
    """A person takes a smart-approval case back: rules no longer decide it."""
    if case.status in CLOSED:
        raise CaseClosed(current_status=case.status)
    before = case.status
    case.smart_approval = False
    case.updated_at = now
    await append(
        session,
        case,
        at=now,
        actor=Actor(subject=principal.subject, kind="staff", role="approver", department=principal.department),
        action="taken_back_from_smart_approval",
        before=before,
    )
    return case
