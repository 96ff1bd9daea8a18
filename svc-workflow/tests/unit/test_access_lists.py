"""Lists and the inbox filter with the access policy's own values (gov_common.policy.visible_records,
staff_records): for every kind of caller and record, a row passes the list's filter exactly when the
predicates let that caller see it (or act on it)."""

from __future__ import annotations

import itertools
import uuid

import pytest

from gov_common.auth import Principal
from gov_common.policy import staff_records, visible_records
from workflow import access
from workflow.models import Case, Task

NN, LZ = "11450100MBQH0Y21QM", "11450200MBR4H32Y66"
E1, E2 = "91450100MA5K000001", "91450100MA5K000002"
READ = frozenset({access.CASES_READ})


def staff(*roles: str, region: str | None = "450100", department: str | None = NN) -> Principal:
    return Principal(subject="s", kind="staff", roles=frozenset(roles), region=region, department=department)


CALLERS = {
    "citizen": Principal(subject="c1", kind="citizen", scopes=READ),
    "citizen without scope": Principal(subject="c1", kind="citizen"),
    "other citizen": Principal(subject="c2", kind="citizen", scopes=READ),
    "agent of E1": Principal(subject="a1", kind="enterprise", enterprise=E1, scopes=READ),
    "agent of E1 without scope": Principal(subject="a1", kind="enterprise", enterprise=E1),
    "agent of E2": Principal(subject="a1", kind="enterprise", enterprise=E2, scopes=READ),
    "acceptor of Nanning": staff("acceptor"),
    "acceptor of the province": staff("acceptor", region="450000"),
    "acceptor of a county": staff("acceptor", region="450103"),
    "acceptor of Liuzhou's department": staff("acceptor", region="450200", department=LZ),
    "staff without a case role": staff("platform_admin"),
    "staff without a region": staff("acceptor", region=None),
    "staff without a department": staff("acceptor", department=None),
    "supervisor of Nanning": staff("supervisor", department=None),
    "supervisor and approver of Liuzhou": staff("supervisor", "approver", region="450200", department=LZ),
    "system": Principal(subject="sys", kind="system", scopes=READ, region="450100"),
}


def case(kind: str, subject: str, enterprise: str | None, region: str, department: str) -> Case:
    return Case(
        id=uuid.uuid4(),
        applicant_kind=kind,
        applicant_subject=subject,
        applicant_enterprise=enterprise,
        region=region,
        department=department,
    )


CASES = [
    case(kind, subject, enterprise, region, department)
    for (kind, subject, enterprise), region, department in itertools.product(
        [("citizen", "c1", None), ("citizen", "c2", None), ("enterprise", "a1", E1)],
        ["450100", "450103", "450200", "450000"],
        [NN, LZ],
    )
]


@pytest.mark.parametrize("caller", CALLERS)
def test_the_case_list_shows_exactly_the_cases_the_predicates_let_the_caller_see(caller: str) -> None:
    principal = CALLERS[caller]
    found = visible_records(principal, scope=access.CASES_READ)
    listed = [
        c
        for c in CASES
        if found is not None
        and found.admits(applicant=access.applicant_of(c), department=c.department, region=c.region)
    ]
    assert listed == [c for c in CASES if access.may_see(principal, c)]
    assert (access.visible_cases(principal) is None) == (found is None)


def test_the_grid_covers_both_answers() -> None:
    seen = {access.may_see(p, c) for p in CALLERS.values() for c in CASES}
    assert seen == {True, False}


@pytest.mark.parametrize("caller", CALLERS)
def test_the_inbox_shows_exactly_the_tasks_the_caller_may_act_on(caller: str) -> None:
    principal = CALLERS[caller]
    tasks = [
        Task(id=uuid.uuid4(), role=role, region=region, department=department)
        for role, region, department in itertools.product(
            ["acceptor", "approver", "会签人员"], ["450100", "450103", "450200"], [NN, LZ]
        )
    ]
    found = staff_records(principal, roles=principal.roles)
    # the inbox adds the task's own role to the policy's values (a column only tasks have)
    inbox = [
        t
        for t in tasks
        if found is not None and t.role in principal.roles and found.admits(department=t.department, region=t.region)
    ]
    assert inbox == [t for t in tasks if access.may_act_on(principal, t)]
    assert (access.actionable_tasks(principal) is None) == (found is None)
