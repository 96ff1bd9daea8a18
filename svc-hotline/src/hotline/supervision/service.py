"""Supervision figures per department (domain.Figures has the formulas): assignments made in the period
and the callbacks given in it, inside a region subtree."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from hotline.domain import SATISFIED_LEVELS, Figures, Status
from hotline.models import Assignment, Callback, DispatchRule, WorkOrder


async def department_figures(
    session: AsyncSession, *, region_prefix: str, date_from: date, date_to: date, today: date
) -> list[tuple[str, str | None, Figures, int]]:
    """(department, its name, figures, orders now overdue with it) for every department with anything."""
    in_region = Assignment.region.like(region_prefix + "%")
    in_period = sa.and_(Assignment.assigned_on >= date_from, Assignment.assigned_on <= date_to)
    assigned = (
        (
            await session.execute(
                sa.select(
                    Assignment.department,
                    sa.func.count(),
                    sa.func.count().filter(Assignment.responded_in_time.is_(True)),
                    sa.func.count().filter(Assignment.answered_at.is_not(None)),
                    sa.func.count().filter(Assignment.answered_on_time.is_(True)),
                )
                .where(in_region, in_period)
                .group_by(Assignment.department)
            )
        )
        .tuples()
        .all()
    )
    answered_orders: dict[str, int] = dict(
        (
            await session.execute(
                sa.select(Assignment.department, sa.func.count(sa.distinct(Assignment.order_id)))
                .where(in_region, in_period, Assignment.answered_at.is_not(None))
                .group_by(Assignment.department)
            )
        )
        .tuples()
        .all()
    )
    reopened: dict[str, int] = dict(
        (
            await session.execute(
                sa.select(Assignment.department, sa.func.count(sa.distinct(Assignment.order_id)))
                .where(in_region, in_period, Assignment.reason == "reopen")
                .group_by(Assignment.department)
            )
        )
        .tuples()
        .all()
    )
    callbacks = {
        row[0]: row[1:]
        for row in (
            await session.execute(
                sa.select(
                    Callback.department,
                    sa.func.count(),
                    sa.func.count().filter(Callback.solved.is_(True)),
                    sa.func.count().filter(Callback.level.in_(sorted(SATISFIED_LEVELS))),
                )
                .where(Callback.region.like(region_prefix + "%"), Callback.on >= date_from, Callback.on <= date_to)
                .group_by(Callback.department)
            )
        )
        .tuples()
        .all()
    }
    overdue: dict[str | None, int] = dict(
        (
            await session.execute(
                sa.select(WorkOrder.department, sa.func.count())
                .where(
                    WorkOrder.region.like(region_prefix + "%"),
                    WorkOrder.status.in_((Status.DISPATCHED, Status.SIGNED)),
                    WorkOrder.due < today,
                )
                .group_by(WorkOrder.department)
            )
        )
        .tuples()
        .all()
    )
    names: dict[str, str] = dict(
        (await session.execute(sa.select(DispatchRule.department, DispatchRule.department_name).distinct()))
        .tuples()
        .all()
    )
    by_department = {row[0]: row[1:] for row in assigned}
    out = []
    for department in sorted(set(by_department) | set(callbacks)):
        dispatched, responded, answered, on_time = by_department.get(department, (0, 0, 0, 0))
        calls, solved, satisfied = callbacks.get(department, (0, 0, 0))
        figures = Figures(
            dispatched=dispatched,
            responded_in_time=responded,
            answered=answered,
            answered_on_time=on_time,
            answered_orders=int(answered_orders.get(department, 0)),
            callbacks=calls,
            solved=solved,
            satisfied=satisfied,
            reopened=reopened.get(department, 0),
        )
        out.append((department, names.get(department), figures, int(overdue.get(department, 0))))
    return out
