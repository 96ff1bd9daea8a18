"""Reconciliation for ``finance`` staff. Anyone in finance may run a day (it only reads the channel);
a reader sees the differences of their department and region, and the differences that match no order of
ours only when their region is a whole province (they belong to nobody's department yet)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request, Response

from gov_common.auth import Principal, scoped
from gov_common.deps import SessionDep
from gov_common.errors import Forbidden
from gov_common.http import created
from gov_common.pagination import IsoDate
from payment import access
from payment.deps import ContextDep
from payment.models import ReconciliationItem, ReconciliationReport
from payment.reconciliation import service
from payment.reconciliation.schemas import DepartmentTotal, ItemRead, ReconciliationRun, ReportRead

router = APIRouter(prefix="/v1", tags=["reconciliation"])
FinanceDep = Annotated[Principal, scoped(access.SCOPE_FINANCE)]


def _ensure_finance(principal: Principal) -> None:
    if not (principal.kind == "staff" and access.FINANCE & principal.roles):
        raise Forbidden("finance staff only")


def _visible(principal: Principal, item: ReconciliationItem) -> bool:
    if item.department is None:
        return bool(principal.region) and str(principal.region)[2:6] == "0000"
    return access.is_finance_for(principal, department=item.department, region=item.region)


def _read(
    principal: Principal,
    report: ReconciliationReport,
    items: list[ReconciliationItem],
    totals: list[DepartmentTotal],
) -> ReportRead:
    return ReportRead(
        id=report.id,
        channel=report.channel,
        business_date=report.business_date,
        created_at=report.created_at,
        created_by=report.created_by,
        statement_rows=report.statement_rows,
        ledger_rows=report.ledger_rows,
        matched=report.matched,
        statement_total_fen=report.statement_total_fen,
        ledger_total_fen=report.ledger_total_fen,
        differences=len(items),
        visible_differences=[ItemRead.model_validate(i, from_attributes=True) for i in items if _visible(principal, i)],
        by_department=[t for t in totals if access.is_finance_for(principal, department=t.department, region=t.region)],
    )


@router.post(
    "/reconciliations", status_code=201, response_model=ReportRead, summary="Import a day's statement and match it"
)
async def run_reconciliation(
    run_in: ReconciliationRun,
    request: Request,
    response: Response,
    session: SessionDep,
    context: ContextDep,
    principal: FinanceDep,
) -> ReportRead:
    _ensure_finance(principal)
    report = await service.run(
        session, adapter=context.channel(run_in.channel), day=run_in.business_date, actor=principal.subject
    )
    _, items = await service.get_report(session, channel=report.channel, day=report.business_date)
    totals = await service.department_totals(session, channel=report.channel, day=report.business_date)
    created(request, response, f"/v1/reconciliations/{report.channel}/{report.business_date.isoformat()}")
    return _read(principal, report, items, totals)


@router.get("/reconciliations/{channel}/{business_date}", response_model=ReportRead, summary="A day's report")
async def get_reconciliation(
    channel: str, business_date: IsoDate, session: SessionDep, principal: FinanceDep
) -> ReportRead:
    _ensure_finance(principal)
    report, items = await service.get_report(session, channel=channel, day=business_date)
    totals = await service.department_totals(session, channel=channel, day=business_date)
    return _read(principal, report, items, totals)
