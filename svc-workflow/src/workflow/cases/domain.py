"""The case model (办件): its statuses, the transition table, and pure functions that take a case's facts and
state with a command and return the new state, the trace entries to append, the task changes and the events
to publish. No I/O: :mod:`workflow.cases.service` loads the case, calls :func:`decide` and writes the outcome.

A transition's target is either a fixed status or a route through the item's process template: the status
of the template's next step (``NEXT_STEP``; ``completed`` after the last), of the current step again
(``CURRENT_STEP``), of the step after the decision (``AFTER_DECISION``: review, countersign and decide
steps are skipped) or unchanged (``UNCHANGED``). Approval with fees to pay online stops at ``paying``;
review and countersigning stay until every parallel task of the step is done.
"""

from __future__ import annotations

import dataclasses
import math
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any, ClassVar

from gov_contracts import Event
from gov_contracts import workflow as events
from gov_standards.calendar import WorkingCalendar
from gov_standards.china_time import china_date
from workflow.cases import smart_approval
from workflow.errors import ActionNotAllowed, TransitionRefused


class CaseStatus(StrEnum):
    OPENED = "opened"
    ACCEPTING = "accepting"
    REVIEWING = "reviewing"
    COUNTERSIGNING = "countersigning"
    DECIDING = "deciding"
    DELIVERING = "delivering"
    SUPPLEMENTING = "supplementing"
    PAYING = "paying"
    REFUSED = "refused"
    COMPLETED = "completed"
    WITHDRAWN = "withdrawn"


class StepKind(StrEnum):
    ACCEPT = "accept"
    REVIEW = "review"
    COUNTERSIGN = "countersign"
    DECIDE = "decide"
    DELIVER = "deliver"


class CaseAction(StrEnum):
    OPEN = "open"
    ACCEPT = "accept"
    REFUSE = "refuse"
    REQUEST_SUPPLEMENT = "request_supplement"
    COMPLETE_STEP = "complete_step"
    APPROVE = "approve"
    REJECT = "reject"
    DELIVER = "deliver"
    SUPPLEMENTED = "supplemented"
    PAID = "paid"
    WITHDRAW = "withdraw"
    TAKE_BACK = "take_back"


class Route(StrEnum):
    NEXT_STEP = "next step"
    CURRENT_STEP = "current step"
    AFTER_DECISION = "step after the decision"
    UNCHANGED = "unchanged"


Target = CaseStatus | Route

STEP_STATUS: Mapping[StepKind, CaseStatus] = {
    StepKind.ACCEPT: CaseStatus.ACCEPTING,
    StepKind.REVIEW: CaseStatus.REVIEWING,
    StepKind.COUNTERSIGN: CaseStatus.COUNTERSIGNING,
    StepKind.DECIDE: CaseStatus.DECIDING,
    StepKind.DELIVER: CaseStatus.DELIVERING,
}
# The platform roles (token ``roles``) that act on each kind of step; the template's own ``role`` is a
# free-text post name (e.g. 窗口受理人员), kept in the trace but not used for authorisation.
STEP_ROLE: Mapping[StepKind, str] = {
    StepKind.ACCEPT: "acceptor",
    StepKind.REVIEW: "reviewer",
    StepKind.COUNTERSIGN: "reviewer",
    StepKind.DECIDE: "approver",
    StepKind.DELIVER: "acceptor",
}
# What staff may send when completing a task of each kind of step, and the case action it is.
STEP_ACTIONS: Mapping[StepKind, Mapping[str, CaseAction]] = {
    StepKind.ACCEPT: {
        "accept": CaseAction.ACCEPT,
        "refuse": CaseAction.REFUSE,
        "request_supplement": CaseAction.REQUEST_SUPPLEMENT,
    },
    StepKind.REVIEW: {"complete": CaseAction.COMPLETE_STEP},
    StepKind.COUNTERSIGN: {"complete": CaseAction.COMPLETE_STEP},
    StepKind.DECIDE: {"approve": CaseAction.APPROVE, "reject": CaseAction.REJECT},
    StepKind.DELIVER: {"complete": CaseAction.DELIVER},
}
PAUSED = frozenset({CaseStatus.SUPPLEMENTING, CaseStatus.PAYING})
CLOSED = frozenset({CaseStatus.REFUSED, CaseStatus.COMPLETED, CaseStatus.WITHDRAWN})
OPEN = frozenset(CaseStatus) - CLOSED - {CaseStatus.OPENED}
# Steps the decision makes moot: after approval the case goes on to delivery (办结) or completes.
DECIDED_STEPS = frozenset({StepKind.REVIEW, StepKind.COUNTERSIGN, StepKind.DECIDE})

TRANSITIONS: Mapping[tuple[CaseStatus, CaseAction], Target] = {
    (CaseStatus.OPENED, CaseAction.OPEN): Route.CURRENT_STEP,
    (CaseStatus.ACCEPTING, CaseAction.ACCEPT): Route.NEXT_STEP,
    (CaseStatus.ACCEPTING, CaseAction.REFUSE): CaseStatus.REFUSED,
    (CaseStatus.ACCEPTING, CaseAction.REQUEST_SUPPLEMENT): CaseStatus.SUPPLEMENTING,
    (CaseStatus.SUPPLEMENTING, CaseAction.SUPPLEMENTED): Route.CURRENT_STEP,
    (CaseStatus.REVIEWING, CaseAction.COMPLETE_STEP): Route.NEXT_STEP,
    (CaseStatus.COUNTERSIGNING, CaseAction.COMPLETE_STEP): Route.NEXT_STEP,
    (CaseStatus.DECIDING, CaseAction.APPROVE): Route.AFTER_DECISION,
    (CaseStatus.DECIDING, CaseAction.REJECT): CaseStatus.COMPLETED,
    (CaseStatus.PAYING, CaseAction.PAID): Route.AFTER_DECISION,
    (CaseStatus.DELIVERING, CaseAction.DELIVER): CaseStatus.COMPLETED,
    **{(status, CaseAction.WITHDRAW): CaseStatus.WITHDRAWN for status in OPEN},
    **{(status, CaseAction.TAKE_BACK): Route.UNCHANGED for status in OPEN},
}


def target_of(status: CaseStatus, action: CaseAction) -> Target:
    """Where ``action`` takes a case in ``status``; :class:`TransitionRefused` when the table has no entry."""
    try:
        return TRANSITIONS[(status, action)]
    except KeyError:
        raise TransitionRefused(
            f"a case {status.value} takes no {action.value}", current_status=status.value, action=action.value
        ) from None


def allows(status: CaseStatus, action: CaseAction) -> bool:
    return (status, action) in TRANSITIONS


# --- what a transition reads and returns --------------------------------------------------------------


@dataclass(frozen=True)
class Actor:
    """Who made a transition: a staff member, the applicant, a system or a smart-approval rule."""

    subject: str
    kind: str  # staff | citizen | enterprise | system | rule
    role: str | None = None
    department: str | None = None


SYSTEM = Actor(subject="svc-workflow", kind="system")
PAYMENT = Actor(subject="svc-payment", kind="system")
# A hall case of a person without an account has no subject; the case names the applicant by its
# application, so every event still carries one, and online steps (paying, rating) are skipped for it.
HALL_APPLICANT = "hall:"


@dataclass(frozen=True)
class Step:
    kind: StepKind
    name: str
    share_percent: int = 0


@dataclass(frozen=True)
class Applicant:
    subject: str
    kind: str
    enterprise: str | None = None
    name_masked: str = ""


@dataclass(frozen=True)
class CaseFacts:
    """What is fixed when the case opens: the application's identity and the item version's terms."""

    id: uuid.UUID
    application_id: str
    tracking_number: str
    item_code: str
    item_name: str
    region: str
    department: str
    applicant: Applicant
    steps: tuple[Step, ...]
    countersign_departments: tuple[str, ...]
    promised_days: int
    fees: tuple[Mapping[str, Any], ...]
    result_license_type: str | None
    opened_at: datetime
    # 异地代收: the window of another region that accepted the case for the department; it delivers the result.
    accepting_region: str | None = None
    accepting_department: str | None = None


@dataclass(frozen=True)
class CaseState:
    """What transitions change."""

    status: CaseStatus
    step_index: int
    deadline: date
    paused_since: date | None = None
    paused_reason: str | None = None
    paused_days: int = 0
    decision: str | None = None
    decided_by: str | None = None
    smart_approval: bool = False
    fee_order_id: str | None = None
    form: Mapping[str, Any] = field(default_factory=dict)
    materials: tuple[Mapping[str, Any], ...] = ()
    closed_at: datetime | None = None
    handling_days: int | None = None
    on_time: bool | None = None


@dataclass(frozen=True)
class Context:
    """What a transition reads besides the case: the calendar, the time, who handled its tasks so far (for
    ``completed``) and, for a smart-approval case, the item's materials and form schema."""

    calendar: WorkingCalendar
    now: datetime
    handled_by: Sequence[str] = ()
    item_rules: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class TraceNote:
    """One trace entry to append, in order."""

    action: str
    actor: Actor
    before: CaseStatus | None
    after: CaseStatus
    opinion: str | None = None
    details: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class OpenStep:
    """Open the tasks of a step: one, or one per countersigning department."""

    step_index: int
    kind: StepKind
    name: str
    role: str
    departments: tuple[str, ...]
    due: date
    region: str | None = None  # the tasks' region when not the case's (the accepting window's deliver step)


@dataclass(frozen=True)
class CancelOpenTasks:
    """Cancel every open or claimed task of the case (at this point of the outcome)."""


TaskChange = OpenStep | CancelOpenTasks


@dataclass(frozen=True)
class Outcome:
    state: CaseState
    trace: tuple[TraceNote, ...] = ()
    tasks: tuple[TaskChange, ...] = ()
    events: tuple[Event, ...] = ()


# --- commands ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Command:
    action: ClassVar[CaseAction]
    actor: Actor


@dataclass(frozen=True)
class Open(Command):
    action = CaseAction.OPEN
    channel: str = "online"
    accepted_for: Mapping[str, Any] | None = None  # 异地代收: the accepting window (region, department, acceptor)


@dataclass(frozen=True)
class Accept(Command):
    action = CaseAction.ACCEPT
    opinion: str = ""


@dataclass(frozen=True)
class Refuse(Command):
    action = CaseAction.REFUSE
    opinion: str = ""
    reason: str = ""


@dataclass(frozen=True)
class RequestSupplement(Command):
    action = CaseAction.REQUEST_SUPPLEMENT
    opinion: str = ""
    missing: tuple[Mapping[str, str], ...] = ()


@dataclass(frozen=True)
class CompleteStep(Command):
    """A review or countersigning task is done; ``others_open`` tasks of the same step are not yet."""

    action = CaseAction.COMPLETE_STEP
    opinion: str = ""
    others_open: int = 0


@dataclass(frozen=True)
class Approve(Command):
    action = CaseAction.APPROVE
    opinion: str = ""


@dataclass(frozen=True)
class Reject(Command):
    action = CaseAction.REJECT
    opinion: str = ""
    reason: str = ""
    legal_basis: str = ""


@dataclass(frozen=True)
class Deliver(Command):
    action = CaseAction.DELIVER
    opinion: str = ""


@dataclass(frozen=True)
class Supplemented(Command):
    action = CaseAction.SUPPLEMENTED
    materials: tuple[Mapping[str, Any], ...] = ()
    form: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class Paid(Command):
    action = CaseAction.PAID
    order_id: str = ""
    amount_fen: int = 0


@dataclass(frozen=True)
class Withdraw(Command):
    action = CaseAction.WITHDRAW
    reason: str = ""


@dataclass(frozen=True)
class TakeBack(Command):
    """A person takes a smart-approval case back: rules no longer decide it."""

    action = CaseAction.TAKE_BACK


def staff_command(
    kind: StepKind,
    actor: Actor,
    *,
    action: str,
    opinion: str,
    reason: str | None = None,
    legal_basis: str | None = None,
    missing: Sequence[Mapping[str, str]] | None = None,
    others_open: int = 0,
) -> Command:
    """The command a staff member's completion of a task of ``kind`` means (422 when it does not fit)."""
    allowed = STEP_ACTIONS[kind]
    if action not in allowed:
        raise ActionNotAllowed(f"a {kind.value} task takes {', '.join(allowed)}", allowed=list(allowed))
    if action in ("refuse", "reject") and not reason:
        raise ActionNotAllowed("a refusal or rejection needs a reason", field="reason")
    if action == "reject" and not legal_basis:
        raise ActionNotAllowed("a rejection needs its legal basis", field="legal_basis")
    if action == "request_supplement" and not missing:
        raise ActionNotAllowed("list the missing materials", field="missing")
    match allowed[action]:
        case CaseAction.ACCEPT:
            return Accept(actor, opinion)
        case CaseAction.REFUSE:
            return Refuse(actor, opinion, reason or "")
        case CaseAction.REQUEST_SUPPLEMENT:
            return RequestSupplement(actor, opinion, tuple(missing or ()))
        case CaseAction.APPROVE:
            return Approve(actor, opinion)
        case CaseAction.REJECT:
            return Reject(actor, opinion, reason or "", legal_basis or "")
        case CaseAction.DELIVER:
            return Deliver(actor, opinion)
        case _:
            return CompleteStep(actor, opinion, others_open)


# --- pure rules ----------------------------------------------------------------------------------------


def step_due(calendar: WorkingCalendar, facts: CaseFacts, state: CaseState, step: Step, today: date) -> date:
    """A step's deadline: its share of the promised time limit from today, never after the case's."""
    days = math.ceil(facts.promised_days * step.share_percent / 100)
    return min(calendar.add_working_days(today, days), state.deadline)


def fee_lines(fees: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
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


def applicant_subject(subject: str | None, application_id: str) -> str:
    """The applicant's account, or for a hall applicant without one a name derived from the application."""
    return subject or f"{HALL_APPLICANT}{application_id}"


def license_form(form: Mapping[str, Any]) -> dict[str, Any]:
    """Form fields worth putting on a license: plain scalars only (no nested or personal documents)."""
    return {k: v for k, v in form.items() if isinstance(v, str | int | float | bool) and "id_number" not in k}


def opening_deadline(calendar: WorkingCalendar, promised_days: int, now: datetime) -> date:
    return calendar.add_working_days(china_date(now), promised_days)


# --- transitions ---------------------------------------------------------------------------------------


class _Run:
    """Accumulates one transition's outcome; the functions below are its steps."""

    def __init__(self, facts: CaseFacts, state: CaseState, ctx: Context) -> None:
        self.facts, self.state, self.ctx = facts, state, ctx
        self.today = china_date(ctx.now)
        self.trace: list[TraceNote] = []
        self.tasks: list[TaskChange] = []
        self.events: list[Event] = []

    def set(self, **changes: Any) -> None:
        self.state = dataclasses.replace(self.state, **changes)

    def note(self, action: str, actor: Actor, before: CaseStatus | None, **extra: Any) -> None:
        self.trace.append(TraceNote(action=action, actor=actor, before=before, after=self.state.status, **extra))

    def outcome(self) -> Outcome:
        return Outcome(self.state, tuple(self.trace), tuple(self.tasks), tuple(self.events))

    # -- events
    def case_event(self, model: type[events.CaseEvent], **extra: Any) -> None:
        facts = self.facts
        self.events.append(
            model(
                case_id=str(facts.id),
                application_id=facts.application_id,
                tracking_number=facts.tracking_number,
                item_code=facts.item_code,
                item_name=facts.item_name,
                region=facts.region,
                department=facts.department,
                applicant=self._applicant(),
                occurred_at=self.ctx.now,
                **extra,
            )
        )

    def _applicant(self) -> dict[str, Any]:
        a = self.facts.applicant
        return {"subject": a.subject, "kind": a.kind, "enterprise": a.enterprise}

    # -- steps and the clock
    def open_step(self) -> Step:
        """Open the tasks of the case's current step and take its status."""
        step = self.facts.steps[self.state.step_index]
        self.set(status=STEP_STATUS[step.kind])
        facts = self.facts
        countersigners = facts.countersign_departments
        departments = countersigners if step.kind is StepKind.COUNTERSIGN and countersigners else (facts.department,)
        region = None
        if step.kind is StepKind.DELIVER and facts.accepting_department and facts.accepting_region:
            # 异地代收: the result goes back to the window that accepted the case, which hands it over.
            departments, region = (facts.accepting_department,), facts.accepting_region
        self.tasks.append(
            OpenStep(
                step_index=self.state.step_index,
                kind=step.kind,
                name=step.name,
                role=STEP_ROLE[step.kind],
                departments=departments,
                due=step_due(self.ctx.calendar, facts, self.state, step, self.today),
                region=region,
            )
        )
        return step

    def step_opened(self, before: CaseStatus) -> Step:
        step = self.open_step()
        self.note("step_opened", SYSTEM, before, details={"step": step.name})
        return step

    def pause(self, status: CaseStatus, reason: str) -> None:
        self.set(status=status, paused_since=self.today, paused_reason=reason)

    def resume(self) -> int:
        """End a clock stop: the deadline moves by the working days the case waited; returns them."""
        if self.state.paused_since is None:
            return 0
        calendar = self.ctx.calendar
        waited = calendar.working_days_between(self.state.paused_since, self.today)
        self.set(
            deadline=calendar.add_working_days(self.state.deadline, waited),
            paused_days=self.state.paused_days + waited,
            paused_since=None,
            paused_reason=None,
        )
        return waited

    def close(self, *, result: str, before: CaseStatus) -> None:
        opened = china_date(self.facts.opened_at)
        worked = self.ctx.calendar.working_days_between(opened, self.today) - self.state.paused_days
        self.set(
            status=CaseStatus.COMPLETED,
            closed_at=self.ctx.now,
            handling_days=max(0, worked),
            on_time=self.today <= self.state.deadline,
        )
        self.note("completed", SYSTEM, before, details={"result": result})
        self.case_event(
            events.CaseCompleted,
            completed_at=self.ctx.now,
            result=result,
            handled_by=sorted(set(self.ctx.handled_by)),
        )

    # -- routes through the template
    def advance(self, before: CaseStatus) -> None:
        """Move to the next step of the template (the decide step may be taken by smart approval)."""
        self.set(step_index=self.state.step_index + 1)
        if self.state.step_index >= len(self.facts.steps):
            self.close(result="approved", before=before)
            return
        step = self.step_opened(before)
        if step.kind is StepKind.DECIDE and self.state.smart_approval:
            self.try_smart_approval()

    def try_smart_approval(self) -> None:
        rules = self.ctx.item_rules or {}
        definition = {
            "materials": rules.get("materials", []),
            "form_schema": rules.get("form_schema", {}),
            "rule": rules.get("rule"),
        }
        application = {"materials": list(self.state.materials), "form": dict(self.state.form)}
        results = smart_approval.evaluate(definition, application)
        fired = [{"rule": r.rule, "passed": r.passed, "detail": r.detail} for r in results]
        rule_set = smart_approval.rule_set_id(definition["rule"])
        rule_actor = Actor(subject=f"smart-approval rule {rule_set}", kind="rule")
        details = {"rule_set": rule_set, "rules": fired}
        if not all(r.passed for r in results):
            self.note("smart_approval_declined", rule_actor, self.state.status, details=details)
            return
        self.tasks.append(CancelOpenTasks())
        self.approve(rule_actor, "decided by smart approval: every rule passed", details)

    def approve(self, actor: Actor, opinion: str, details: Mapping[str, Any] | None = None) -> None:
        before = self.state.status
        self.set(decision="approved", decided_by=actor.subject)
        lines = fee_lines(self.facts.fees)
        details = dict(details or {})
        if lines and self.state.fee_order_id is None and self.facts.applicant.subject.startswith(HALL_APPLICANT):
            # No account to pay online with: the fees are taken at the hall window with the result.
            details["fees_collected_at"] = "hall window"
        elif lines and self.state.fee_order_id is None:
            self.pause(CaseStatus.PAYING, "payment")
            details["fees_fen"] = sum(line["amount_fen"] for line in lines)
            self.note("approve", actor, before, opinion=opinion, details=details)
            facts = self.facts
            self.events.append(
                events.FeeRequested(
                    case_id=str(facts.id),
                    application_id=facts.application_id,
                    tracking_number=facts.tracking_number,
                    item_code=facts.item_code,
                    applicant=self._applicant(),
                    department=facts.department,
                    region=facts.region,
                    lines=lines,
                )
            )
            return
        self.note("approve", actor, before, opinion=opinion, details=details)
        self.announce_approval(opinion)

    def announce_approval(self, opinion: str) -> None:
        facts, state = self.facts, self.state
        self.case_event(
            events.CaseApproved,
            decided_by=state.decided_by or SYSTEM.subject,
            opinion=opinion,
            decided_at=self.ctx.now,
            result_license_type=facts.result_license_type,
            license_fields={
                "item_name": facts.item_name,
                "tracking_number": facts.tracking_number,
                **license_form(state.form),
            },
            holder={
                "id_type": "credit_code" if facts.applicant.kind == "enterprise" else "citizen_id",
                "id_hash": None,
                "name": facts.applicant.name_masked,
            },
        )
        before = state.status
        index = state.step_index
        while index < len(facts.steps) and facts.steps[index].kind in DECIDED_STEPS:
            index += 1
        self.set(step_index=index)
        if index >= len(facts.steps):
            self.close(result="approved", before=before)
            return
        self.step_opened(before)


def decide(facts: CaseFacts, state: CaseState, command: Command, ctx: Context) -> Outcome:
    """Apply ``command`` to a case: the new state, the trace entries, task changes and events, in order.
    Raises :class:`TransitionRefused` when the transition table has no entry for the case's status."""
    target_of(state.status, command.action)
    run = _Run(facts, state, ctx)
    before = state.status
    actor = command.actor
    match command:
        case Open(channel=channel, accepted_for=accepted_for):
            details: dict[str, Any] = {"channel": channel}
            if accepted_for:  # 异地代收: accepted by that window on behalf of the deciding department
                details["accepted_for"] = dict(accepted_for)
                details["on_behalf_of"] = {"department": facts.department, "region": facts.region}
            run.note("submitted", actor, None, details=details)
            step = run.open_step()
            run.note("step_opened", SYSTEM, before, details={"step": step.name, "department": facts.department})
        case Accept(opinion=opinion):
            run.note("accept", actor, before, opinion=opinion)
            run.case_event(events.CaseAccepted, accepted_by=actor.subject, deadline=state.deadline)
            run.advance(before)
        case Refuse(opinion=opinion, reason=reason):
            run.set(status=CaseStatus.REFUSED, closed_at=ctx.now)
            run.note("refuse", actor, before, opinion=opinion, details={"reason": reason})
            run.case_event(events.CaseRefused, reason=reason)
        case RequestSupplement(opinion=opinion, missing=missing):
            run.pause(CaseStatus.SUPPLEMENTING, "supplement")
            run.note("request_supplement", actor, before, opinion=opinion, details={"missing": list(missing)})
            run.case_event(events.SupplementRequested, missing=list(missing), note=opinion)
        case CompleteStep(opinion=opinion, others_open=others_open):
            kind = facts.steps[state.step_index].kind
            run.note(f"{kind.value}_completed", actor, before, opinion=opinion)
            if others_open == 0:  # the step is done when every parallel task of it is
                run.advance(before)
        case Approve(opinion=opinion):
            run.approve(actor, opinion)
        case Reject(opinion=opinion, reason=reason, legal_basis=legal_basis):
            run.set(decision="rejected", decided_by=actor.subject)
            run.tasks.append(CancelOpenTasks())
            run.note("reject", actor, before, opinion=opinion, details={"reason": reason, "legal_basis": legal_basis})
            run.case_event(events.CaseRejected, reason=reason, legal_basis=legal_basis, decided_by=actor.subject)
            run.close(result="rejected", before=before)
        case Deliver(opinion=opinion):
            run.note("delivered", actor, before, opinion=opinion)
            run.close(result=state.decision or "approved", before=before)
        case Supplemented(materials=materials, form=form):
            waited = run.resume()
            if materials:
                by_name = {m["name"]: m for m in state.materials}
                by_name.update({m["name"]: m for m in materials})
                run.set(materials=tuple(by_name.values()))
            if form is not None:
                run.set(form=form)
            run.open_step()
            run.note("supplemented", actor, before, details={"clock_stopped_working_days": waited})
        case Paid(order_id=order_id, amount_fen=amount_fen):
            waited = run.resume()
            run.set(fee_order_id=order_id)
            details = {"order_id": order_id, "amount_fen": amount_fen, "clock_stopped_working_days": waited}
            run.note("paid", actor, before, details=details)
            run.announce_approval("fees paid")
        case Withdraw(reason=reason):
            run.resume()
            run.tasks.append(CancelOpenTasks())
            run.set(status=CaseStatus.WITHDRAWN, closed_at=ctx.now)
            run.note("withdrawn", actor, before, opinion=reason or None)
            run.case_event(events.CaseWithdrawn, reason=reason or "withdrawn by the applicant")
        case TakeBack():
            run.set(smart_approval=False)
            run.note("taken_back_from_smart_approval", actor, before)
        case _:  # pragma: no cover - every command class is matched above
            raise TypeError(f"unknown command {command!r}")
    return run.outcome()
