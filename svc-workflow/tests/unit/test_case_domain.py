"""The case model without a database: every (status, action) pair of the transition table, allowed or
refused, and what each transition returns (state, trace, task changes, events)."""

from __future__ import annotations

import dataclasses
import uuid
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

import pytest

from gov_contracts import workflow as events
from gov_standards.calendar import WorkingCalendar, bundled_years
from workflow.cases import domain
from workflow.cases.domain import CaseAction, CaseStatus, StepKind
from workflow.errors import ActionNotAllowed, TransitionRefused

CAL = WorkingCalendar(bundled_years())
NOW = datetime(2026, 2, 10, 1, tzinfo=UTC)  # Tue 10 Feb 2026, 09:00 in China
STAFF = domain.Actor(subject="staff-1", kind="staff", role="acceptor", department="D1")
APPLICANT = domain.Actor(subject="citizen-1", kind="citizen")
STEPS = (
    domain.Step(StepKind.ACCEPT, "受理", 20),
    domain.Step(StepKind.REVIEW, "审查", 30),
    domain.Step(StepKind.COUNTERSIGN, "会签", 0),
    domain.Step(StepKind.DECIDE, "决定", 30),
    domain.Step(StepKind.DELIVER, "办结", 20),
)
FACTS = domain.CaseFacts(
    id=uuid.UUID(int=1),
    application_id="a1",
    tracking_number="GX1",
    item_code="000112004000-450100",
    item_name="食品经营许可",
    region="450100",
    department="D1",
    applicant=domain.Applicant(subject="citizen-1", kind="citizen", name_masked="张*"),
    steps=STEPS,
    countersign_departments=("D1", "D2"),
    promised_days=5,
    fees=(),
    result_license_type="食品经营许可证",
    opened_at=NOW,
)
STEP_OF = {
    CaseStatus.OPENED: 0,
    CaseStatus.ACCEPTING: 0,
    CaseStatus.SUPPLEMENTING: 0,
    CaseStatus.REVIEWING: 1,
    CaseStatus.COUNTERSIGNING: 2,
    CaseStatus.DECIDING: 3,
    CaseStatus.PAYING: 3,
    CaseStatus.DELIVERING: 4,
    CaseStatus.REFUSED: 0,
    CaseStatus.COMPLETED: 4,
    CaseStatus.WITHDRAWN: 1,
}
COMMANDS: dict[CaseAction, domain.Command] = {
    CaseAction.OPEN: domain.Open(APPLICANT),
    CaseAction.ACCEPT: domain.Accept(STAFF, "予以受理"),
    CaseAction.REFUSE: domain.Refuse(STAFF, "不予受理", "不属于受理范围"),
    CaseAction.REQUEST_SUPPLEMENT: domain.RequestSupplement(
        STAFF, "请补正", ({"material": "营业执照", "reason": "未上传"},)
    ),
    CaseAction.COMPLETE_STEP: domain.CompleteStep(STAFF, "同意"),
    CaseAction.APPROVE: domain.Approve(STAFF, "准予许可"),
    CaseAction.REJECT: domain.Reject(STAFF, "不予许可", "场所不符", "第十二条"),
    CaseAction.DELIVER: domain.Deliver(STAFF, "已送达"),
    CaseAction.SUPPLEMENTED: domain.Supplemented(APPLICANT),
    CaseAction.PAID: domain.Paid(domain.PAYMENT, order_id="o1", amount_fen=5000),
    CaseAction.WITHDRAW: domain.Withdraw(APPLICANT, "不再需要"),
    CaseAction.TAKE_BACK: domain.TakeBack(STAFF),
}
# Where each allowed transition takes a case of the five-step template above (no fees, no smart approval).
EXPECTED: dict[tuple[CaseStatus, CaseAction], CaseStatus] = {
    (CaseStatus.OPENED, CaseAction.OPEN): CaseStatus.ACCEPTING,
    (CaseStatus.ACCEPTING, CaseAction.ACCEPT): CaseStatus.REVIEWING,
    (CaseStatus.ACCEPTING, CaseAction.REFUSE): CaseStatus.REFUSED,
    (CaseStatus.ACCEPTING, CaseAction.REQUEST_SUPPLEMENT): CaseStatus.SUPPLEMENTING,
    (CaseStatus.SUPPLEMENTING, CaseAction.SUPPLEMENTED): CaseStatus.ACCEPTING,
    (CaseStatus.REVIEWING, CaseAction.COMPLETE_STEP): CaseStatus.COUNTERSIGNING,
    (CaseStatus.COUNTERSIGNING, CaseAction.COMPLETE_STEP): CaseStatus.DECIDING,
    (CaseStatus.DECIDING, CaseAction.APPROVE): CaseStatus.DELIVERING,
    (CaseStatus.DECIDING, CaseAction.REJECT): CaseStatus.COMPLETED,
    (CaseStatus.PAYING, CaseAction.PAID): CaseStatus.DELIVERING,
    (CaseStatus.DELIVERING, CaseAction.DELIVER): CaseStatus.COMPLETED,
    **{(s, CaseAction.WITHDRAW): CaseStatus.WITHDRAWN for s in domain.OPEN},
    **{(s, CaseAction.TAKE_BACK): s for s in domain.OPEN},
}


def state(status: CaseStatus, **over: Any) -> domain.CaseState:
    paused = date(2026, 2, 10) if status in domain.PAUSED else None
    values: dict[str, Any] = {
        "status": status,
        "step_index": STEP_OF[status],
        "deadline": date(2026, 2, 24),
        "paused_since": paused,
        "decision": "approved" if status in (CaseStatus.PAYING, CaseStatus.DELIVERING) else None,
        **over,
    }
    return domain.CaseState(**values)


def ctx(**over: Any) -> domain.Context:
    return domain.Context(**{"calendar": CAL, "now": NOW, **over})


def decide(status: CaseStatus, command: domain.Command, facts: domain.CaseFacts = FACTS, **over: Any) -> domain.Outcome:
    context = over.pop("context", ctx())
    return domain.decide(facts, state(status, **over), command, context)


def test_the_table_and_this_test_name_the_same_transitions() -> None:
    assert set(EXPECTED) == set(domain.TRANSITIONS)


@pytest.mark.parametrize("status", list(CaseStatus))
@pytest.mark.parametrize("action", list(CaseAction))
def test_every_transition_allowed_or_refused(status: CaseStatus, action: CaseAction) -> None:
    command = COMMANDS[action]
    if (status, action) not in EXPECTED:
        assert not domain.allows(status, action)
        with pytest.raises(TransitionRefused) as refused:
            decide(status, command)
        assert refused.value.extensions["current_status"] == status.value
        return
    outcome = decide(status, command)
    assert outcome.state.status is EXPECTED[(status, action)]
    first = outcome.trace[0]
    assert first.before is (None if action is CaseAction.OPEN else status)
    assert outcome.trace[-1].after is outcome.state.status  # the trace ends where the case is


def test_open_writes_submitted_and_opens_acceptance() -> None:
    out = decide(CaseStatus.OPENED, domain.Open(APPLICANT, channel="hall"))
    assert [(n.action, n.before, n.after) for n in out.trace] == [
        ("submitted", None, CaseStatus.OPENED),
        ("step_opened", CaseStatus.OPENED, CaseStatus.ACCEPTING),
    ]
    assert out.trace[0].details == {"channel": "hall"} and out.trace[1].details["department"] == "D1"
    (opened,) = out.tasks
    assert isinstance(opened, domain.OpenStep)
    assert (opened.kind, opened.role, opened.departments) == (StepKind.ACCEPT, "acceptor", ("D1",))
    assert opened.due == date(2026, 2, 11)  # 20% of 5 working days: one
    assert out.events == ()


def test_accept_announces_the_deadline_and_opens_review() -> None:
    out = decide(CaseStatus.ACCEPTING, COMMANDS[CaseAction.ACCEPT])
    (accepted,) = out.events
    assert isinstance(accepted, events.CaseAccepted)
    assert (accepted.accepted_by, accepted.deadline, accepted.case_id) == ("staff-1", date(2026, 2, 24), str(FACTS.id))
    assert [n.action for n in out.trace] == ["accept", "step_opened"]
    assert out.state.step_index == 1 and isinstance(out.tasks[0], domain.OpenStep)


def test_countersigning_opens_one_task_per_department_and_waits_for_all() -> None:
    opened = decide(CaseStatus.REVIEWING, COMMANDS[CaseAction.COMPLETE_STEP]).tasks[0]
    assert isinstance(opened, domain.OpenStep) and opened.departments == ("D1", "D2")
    waiting = decide(CaseStatus.COUNTERSIGNING, domain.CompleteStep(STAFF, "同意", others_open=1))
    assert waiting.state.status is CaseStatus.COUNTERSIGNING and waiting.tasks == ()
    assert [n.action for n in waiting.trace] == ["countersign_completed"]


def test_approval_with_fees_stops_the_clock_for_payment() -> None:
    fee = {"name": "工本费", "amount_fen": 5000, "legal_basis": "桂价费"}
    facts = replace(FACTS, fees=(fee, {"name": "按面积", "formula": "x"}))
    out = decide(CaseStatus.DECIDING, COMMANDS[CaseAction.APPROVE], facts)
    assert (out.state.status, out.state.paused_since, out.state.paused_reason) == (
        CaseStatus.PAYING,
        date(2026, 2, 10),
        "payment",
    )
    (requested,) = out.events
    assert isinstance(requested, events.FeeRequested)
    assert [(line.code, line.amount_fen) for line in requested.lines] == [("fee-1", 5000)]
    assert out.trace[0].details == {"fees_fen": 5000} and out.state.decision == "approved"


def test_a_hall_applicant_pays_at_the_window() -> None:
    facts = replace(
        FACTS, fees=({"name": "工本费", "amount_fen": 5000},), applicant=domain.Applicant("hall:a1", "citizen")
    )
    out = decide(CaseStatus.DECIDING, COMMANDS[CaseAction.APPROVE], facts)
    assert out.state.status is CaseStatus.DELIVERING
    assert out.trace[0].details == {"fees_collected_at": "hall window"}
    assert [type(e) for e in out.events] == [events.CaseApproved]


def test_payment_restarts_the_clock_and_announces_the_approval() -> None:
    later = datetime(2026, 2, 12, 2, tzinfo=UTC)  # Thu 12 Feb: Wed 11 and Thu 12 spent paying
    out = decide(CaseStatus.PAYING, COMMANDS[CaseAction.PAID], context=ctx(now=later), decided_by="approver-1")
    assert (out.state.paused_since, out.state.paused_days, out.state.fee_order_id) == (None, 2, "o1")
    assert out.state.deadline == CAL.add_working_days(date(2026, 2, 24), 2)
    (approved,) = out.events
    assert isinstance(approved, events.CaseApproved) and approved.decided_by == "approver-1"
    assert approved.opinion == "fees paid" and approved.license_fields["tracking_number"] == "GX1"
    assert [(n.action, n.details.get("clock_stopped_working_days")) for n in out.trace] == [
        ("paid", 2),
        ("step_opened", None),
    ]


def test_rejection_cancels_tasks_and_completes_with_the_handlers() -> None:
    done = ctx(now=datetime(2026, 2, 13, 2, tzinfo=UTC), handled_by=("b", "a", "b"))
    out = decide(CaseStatus.DECIDING, COMMANDS[CaseAction.REJECT], context=done)
    assert out.tasks == (domain.CancelOpenTasks(),)
    rejected, completed = out.events
    assert isinstance(rejected, events.CaseRejected) and rejected.legal_basis == "第十二条"
    assert isinstance(completed, events.CaseCompleted)
    assert (completed.result, completed.handled_by) == ("rejected", ("a", "b"))
    assert (out.state.decision, out.state.handling_days, out.state.on_time) == ("rejected", 3, True)
    assert [(n.action, n.after) for n in out.trace] == [
        ("reject", CaseStatus.DECIDING),
        ("completed", CaseStatus.COMPLETED),
    ]


def test_a_template_without_delivery_completes_on_approval() -> None:
    facts = replace(FACTS, steps=STEPS[:1])
    out = decide(CaseStatus.ACCEPTING, COMMANDS[CaseAction.ACCEPT], facts)
    assert out.state.status is CaseStatus.COMPLETED and out.state.closed_at == NOW
    assert [type(e) for e in out.events] == [events.CaseAccepted, events.CaseCompleted]


SMART_TERMS = {"materials": [{"name": "营业执照", "required": True}], "form_schema": {"type": "object"}}
SMART_FACTS = replace(FACTS, steps=(STEPS[0], STEPS[3], STEPS[4]))


def test_smart_approval_decides_when_every_rule_passes() -> None:
    verified = ({"name": "营业执照", "source": "license", "verified": True},)
    out = decide(
        CaseStatus.ACCEPTING,
        COMMANDS[CaseAction.ACCEPT],
        SMART_FACTS,
        smart_approval=True,
        materials=verified,
        context=ctx(item_rules=SMART_TERMS),
    )
    assert out.state.status is CaseStatus.DELIVERING
    assert out.state.decided_by == "smart-approval rule smart-approval-v1"
    assert [type(t).__name__ for t in out.tasks] == ["OpenStep", "CancelOpenTasks", "OpenStep"]
    assert [n.action for n in out.trace] == ["accept", "step_opened", "approve", "step_opened"]


def test_smart_approval_declines_and_leaves_the_decision_to_staff() -> None:
    uploaded = ({"name": "营业执照", "source": "upload"},)
    out = decide(
        CaseStatus.ACCEPTING,
        COMMANDS[CaseAction.ACCEPT],
        SMART_FACTS,
        smart_approval=True,
        materials=uploaded,
        context=ctx(item_rules=SMART_TERMS),
    )
    assert out.state.status is CaseStatus.DECIDING and out.state.decision is None
    assert out.trace[-1].action == "smart_approval_declined" and out.trace[-1].actor.kind == "rule"


def test_taking_back_ends_smart_approval() -> None:
    out = decide(CaseStatus.DECIDING, COMMANDS[CaseAction.TAKE_BACK], smart_approval=True)
    assert out.state.smart_approval is False and out.trace[0].action == "taken_back_from_smart_approval"


def test_supplement_merges_materials_and_moves_the_deadline() -> None:
    later = datetime(2026, 2, 26, 2, tzinfo=UTC)
    command = domain.Supplemented(APPLICANT, materials=({"name": "营业执照", "source": "license"},), form={"a": 1})
    out = decide(
        CaseStatus.SUPPLEMENTING,
        command,
        materials=({"name": "申请书", "source": "upload"}, {"name": "营业执照", "source": "upload"}),
        paused_since=date(2026, 2, 11),  # waited Thu 12 to Sat 14 (make-up) and Tue 24 to Thu 26
        context=ctx(now=later),
    )
    assert [m["source"] for m in out.state.materials] == ["upload", "license"] and out.state.form == {"a": 1}
    assert out.state.paused_days == 6 and out.state.deadline == CAL.add_working_days(date(2026, 2, 24), 6)
    assert out.trace[0].details == {"clock_stopped_working_days": 6}


def test_withdrawal_while_paying_ends_the_clock_stop() -> None:
    out = decide(CaseStatus.PAYING, COMMANDS[CaseAction.WITHDRAW], context=ctx(now=datetime(2026, 2, 12, tzinfo=UTC)))
    assert out.tasks == (domain.CancelOpenTasks(),) and out.state.paused_since is None
    (withdrawn,) = out.events
    assert isinstance(withdrawn, events.CaseWithdrawn) and withdrawn.reason == "不再需要"


@pytest.mark.parametrize(
    ("kind", "body", "field"),
    [
        (StepKind.DECIDE, {"action": "accept"}, None),
        (StepKind.ACCEPT, {"action": "refuse"}, "reason"),
        (StepKind.DECIDE, {"action": "reject", "reason": "r"}, "legal_basis"),
        (StepKind.ACCEPT, {"action": "request_supplement"}, "missing"),
    ],
)
def test_staff_input_that_does_not_fit_the_step_is_refused(
    kind: StepKind, body: dict[str, Any], field: str | None
) -> None:
    with pytest.raises(ActionNotAllowed) as refused:
        domain.staff_command(kind, STAFF, opinion="x", **body)
    if field is None:
        assert refused.value.extensions["allowed"] == ["approve", "reject"]
    else:
        assert refused.value.extensions["field"] == field


def test_completing_a_delivery_task_delivers() -> None:
    command = domain.staff_command(StepKind.DELIVER, STAFF, action="complete", opinion="已送达")
    assert isinstance(command, domain.Deliver) and command.action is CaseAction.DELIVER
    review = domain.staff_command(StepKind.REVIEW, STAFF, action="complete", opinion="ok", others_open=2)
    assert isinstance(review, domain.CompleteStep) and review.others_open == 2


def test_a_case_accepted_for_another_region_is_decided_here_and_delivered_there() -> None:
    """异地代收: the trace names the accepting window and whom it acted for; the decision's tasks stay with the
    department, the deliver step's task goes to the accepting department in its region."""
    facts = dataclasses.replace(FACTS, accepting_region="450200", accepting_department="LZ")
    window = {"region": "450200", "department": "LZ", "acceptor": "lz-window-1", "hall_id": None}
    out = decide(CaseStatus.OPENED, domain.Open(APPLICANT, channel="hall", accepted_for=window), facts)
    assert out.trace[0].details == {
        "channel": "hall",
        "accepted_for": window,
        "on_behalf_of": {"department": "D1", "region": "450100"},
    }
    (accept,) = out.tasks
    assert isinstance(accept, domain.OpenStep) and (accept.departments, accept.region) == (("D1",), None)
    approved = decide(CaseStatus.DECIDING, COMMANDS[CaseAction.APPROVE], facts)
    (deliver,) = [t for t in approved.tasks if isinstance(t, domain.OpenStep)]
    assert (deliver.kind, deliver.role, deliver.departments, deliver.region) == (
        StepKind.DELIVER,
        "acceptor",
        ("LZ",),
        "450200",
    )
