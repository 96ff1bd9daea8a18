"""Reconciliation (对账): import a channel's daily statement, match it against our ledger of that day,
and keep a report of every missing, extra and mismatched entry. Running a day again replaces its report."""

from __future__ import annotations

import uuid
from datetime import date

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from gov_standards.china_time import utcnow
from payment.channels.base import ChannelAdapter, ChannelError
from payment.domain import reconcile, trade_entries
from payment.errors import ChannelUnavailable, ReportNotFound
from payment.models import CombinedPayment, LedgerEntry, PaymentOrder, ReconciliationItem, ReconciliationReport, Refund
from payment.reconciliation.schemas import DepartmentTotal


async def run(session: AsyncSession, *, adapter: ChannelAdapter, day: date, actor: str) -> ReconciliationReport:
    try:
        statement = await adapter.statement(day)
    except ChannelError as exc:
        raise ChannelUnavailable(str(exc)) from exc
    ledger_rows = list(
        await session.scalars(
            sa.select(LedgerEntry).where(LedgerEntry.channel == adapter.name, LedgerEntry.business_date == day)
        )
    )
    matching = reconcile(
        trade_entries((r.kind, r.reference, r.trade_reference, r.amount_fen) for r in ledger_rows), statement
    )

    old = await session.scalar(
        sa.select(ReconciliationReport).where(
            ReconciliationReport.channel == adapter.name, ReconciliationReport.business_date == day
        )
    )
    if old is not None:
        await session.execute(sa.delete(ReconciliationItem).where(ReconciliationItem.report_id == old.id))
        await session.delete(old)
        await session.flush()
    report = ReconciliationReport(
        id=uuid.uuid4(),
        channel=adapter.name,
        business_date=day,
        created_at=utcnow(),
        created_by=actor,
        statement_rows=len(statement),
        ledger_rows=len(ledger_rows),
        matched=matching.matched,
        statement_total_fen=sum(e.amount_fen if e.kind == "pay" else -e.amount_fen for e in statement),
        ledger_total_fen=sum(r.amount_fen if r.kind == "pay" else -r.amount_fen for r in ledger_rows),
    )
    session.add(report)
    for diff in matching.differences:
        order = await _order_of(session, diff.entry_kind, diff.reference)
        session.add(
            ReconciliationItem(
                id=uuid.uuid4(),
                report_id=report.id,
                kind=diff.kind,
                entry_kind=diff.entry_kind,
                reference=diff.reference,
                order_id=order.id if order else None,
                department=order.department if order else None,
                region=order.region if order else None,
                ledger_amount_fen=diff.ledger_amount_fen,
                statement_amount_fen=diff.statement_amount_fen,
            )
        )
    await session.flush()
    return report


async def department_totals(session: AsyncSession, *, channel: str, day: date) -> list[DepartmentTotal]:
    """The day's booked money per department and region (what each collects of a combined payment too)."""
    paid = sa.func.sum(sa.case((LedgerEntry.kind == "pay", LedgerEntry.amount_fen), else_=0))
    refunded = sa.func.sum(sa.case((LedgerEntry.kind == "refund", LedgerEntry.amount_fen), else_=0))
    rows = await session.execute(
        sa.select(LedgerEntry.department, LedgerEntry.region, paid, refunded, sa.func.count())
        .where(LedgerEntry.channel == channel, LedgerEntry.business_date == day)
        .group_by(LedgerEntry.department, LedgerEntry.region)
        .order_by(LedgerEntry.department, LedgerEntry.region)
    )
    return [
        DepartmentTotal(department=d, region=r, paid_fen=int(p or 0), refunded_fen=int(f or 0), entries=int(n))
        for d, r, p, f, n in rows.all()
    ]


async def _order_of(session: AsyncSession, kind: str, reference: str) -> PaymentOrder | None:
    """The order a statement reference points at (its out_trade_no, or a refund's id), if it is ours."""
    try:
        ref = uuid.UUID(hex=reference)
    except ValueError:
        return None
    if kind == "refund":
        refund = await session.get(Refund, ref)
        if refund is None:
            return None
        ref = refund.order_id
    if await session.get(CombinedPayment, ref) is not None:
        # A combined trade: the difference is the payer's, of several departments; shown with its first order.
        return await session.scalar(
            sa.select(PaymentOrder).where(PaymentOrder.combined_payment_id == ref).order_by(PaymentOrder.id).limit(1)
        )
    return await session.get(PaymentOrder, ref)


async def get_report(
    session: AsyncSession, *, channel: str, day: date
) -> tuple[ReconciliationReport, list[ReconciliationItem]]:
    report = await session.scalar(
        sa.select(ReconciliationReport).where(
            ReconciliationReport.channel == channel, ReconciliationReport.business_date == day
        )
    )
    if report is None:
        raise ReportNotFound()
    items = list(
        await session.scalars(
            sa.select(ReconciliationItem)
            .where(ReconciliationItem.report_id == report.id)
            .order_by(ReconciliationItem.kind, ReconciliationItem.reference)
        )
    )
    return report, items
