"""Response shapes of cases and their trace."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from pydantic import BaseModel, Field

from gov_common.http import AwareDateTime
from workflow.models import Case


class CaseRead(BaseModel):
    id: uuid.UUID
    application_id: str
    tracking_number: str
    item_code: str
    item_version: int
    item_name: str
    region: str
    department: str
    department_name: str
    status: str
    step: str | None
    opened_at: AwareDateTime
    deadline: date
    clock_stopped: bool
    clock_stopped_working_days: int
    sla_level: str
    decision: str | None
    closed_at: AwareDateTime | None
    accepted_for: dict[str, str] | None = Field(
        default=None,
        description="异地代收: the region and department whose window accepted it for this case's department",
    )
    bundle_id: str | None = Field(
        default=None,
        description="the bundle application (一件事) it is one part of: GET /v1/cases/{id}/siblings lists the others",
    )
    applicant: dict[str, Any] | None = Field(default=None, description="staff only")


class CasePage(BaseModel):
    items: list[CaseRead]
    next_cursor: str | None


class TraceEntryRead(BaseModel):
    seq: int
    at: AwareDateTime
    action: str
    role: str | None
    department: str | None
    opinion: str | None
    state_before: str | None
    state_after: str
    details: dict[str, Any]
    actor: str | None = Field(description="who acted; hidden from applicants when a staff member acted")
    actor_kind: str
    hash: str | None = Field(description="staff only")
    prev_hash: str | None = Field(description="staff only")


class TraceRead(BaseModel):
    case_id: uuid.UUID
    entries: list[TraceEntryRead]


class VerificationRead(BaseModel):
    case_id: uuid.UUID
    valid: bool
    entries: int
    first_bad_seq: int | None
    problem: str | None
    head_hash: str


def case_read(case: Case, *, staff: bool) -> CaseRead:
    """A case as its reader may see it: the applicant's data for staff (of the case, or supervisors) only."""
    steps = case.process.get("steps", [])
    return CaseRead(
        id=case.id,
        application_id=case.application_id,
        tracking_number=case.tracking_number,
        item_code=case.item_code,
        item_version=case.item_version,
        item_name=case.item_name,
        region=case.region,
        department=case.department,
        department_name=case.department_name,
        status=case.status,
        step=steps[case.step_index]["name"] if case.step_index < len(steps) else None,
        opened_at=case.opened_at,
        deadline=case.deadline,
        clock_stopped=case.paused_since is not None,
        clock_stopped_working_days=case.paused_days,
        sla_level=case.sla_level,
        decision=case.decision,
        closed_at=case.closed_at,
        bundle_id=case.bundle_id,
        accepted_for={"region": case.accepting_region, "department": case.accepting_department}
        if case.accepting_region and case.accepting_department
        else None,
        applicant={
            "subject": case.applicant_subject,
            "kind": case.applicant_kind,
            "enterprise": case.applicant_enterprise,
            "name_masked": case.applicant_name_masked,
            "form": case.form,
            "materials": case.materials,
        }
        if staff
        else None,
    )
