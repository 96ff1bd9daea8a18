"""Electronic supervision (电子监察): yellow and red warnings as events, and the supervision view."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from gov_contracts import publish
from gov_contracts.workflow import SlaOverdue, SlaWarning
from gov_standards.calendar import WorkingCalendar
from gov_standards.china_time import china_date
from gov_standards.regions import region_prefix
from workflow.cases.domain import CLOSED, PAUSED
from workflow.models import Case, Task

LEVELS = {"green": 0, "yellow": 1, "red": 2}


def level_of(case: Case, calendar: WorkingCalendar, today: date, warn_share: float) -> str:
    """green, yellow (``warn_share`` of the time limit used) or red (past the deadline); a stopped clock
    counts up to the day it stopped."""
    as_of = case.paused_since or today
    if as_of > case.deadline:
        return "red"
    if case.promised_days == 0:
        return "green"
    used = calendar.working_days_between(china_date(case.opened_at), as_of) - case.paused_days
    return "yellow" if used >= warn_share * case.promised_days else "green"


@dataclass(frozen=True)
class Sweep:
    checked: int
    warned: int
    overdue: int


async def evaluate(
    session: AsyncSession,
    *,
    calendar: WorkingCalendar,
    now: datetime,
    warn_share: float,
    region: str | None = None,
    batch: int = 1000,
) -> Sweep:
    """Raise the warning level of open cases whose time is running out; each level is announced once."""
    today = china_date(now)
    rows = await session.scalars(
        sa.select(Case)
        .where(Case.status.not_in(sorted(CLOSED)), Case.status.not_in(sorted(PAUSED)), Case.sla_level != "red")
        .where(Case.region.startswith(region_prefix(region)) if region else sa.true())
        .order_by(Case.deadline)
        .limit(batch)
        .with_for_update(skip_locked=True)
    )
    warned = overdue = checked = 0
    for case in rows:
        checked += 1
        level = level_of(case, calendar, today, warn_share)
        if LEVELS[level] <= LEVELS[case.sla_level]:
            continue
        model = SlaOverdue if level == "red" else SlaWarning
        warning = model(
            case_id=str(case.id),
            tracking_number=case.tracking_number,
            department=case.department,
            region=case.region,
            deadline=case.deadline,
            stage=case.status,
        )
        await publish(session, warning)
        case.sla_level = level
        if level == "red":
            overdue += 1
        else:
            warned += 1
    return Sweep(checked=checked, warned=warned, overdue=overdue)


def scope_filter(region: str, department: str | None, item_code: str | None) -> list[Any]:
    conditions: list[Any] = [Case.region.startswith(region_prefix(region))]
    if department:
        conditions.append(Case.department == department)
    if item_code:
        conditions.append(Case.item_code == item_code)
    return conditions


async def summary(session: AsyncSession, *, conditions: Sequence[Any], today: date) -> dict[str, Any]:
    """Counts by status and warning level, steps past their own deadline; average handling time and
    on-time rate of closed cases."""
    status_rows = await session.execute(
        sa.select(Case.status, sa.func.count()).where(*conditions).group_by(Case.status)
    )
    by_status = {str(s): int(n) for s, n in status_rows.all()}
    level_rows = await session.execute(
        sa.select(Case.sla_level, sa.func.count())
        .where(*conditions, Case.status.not_in(sorted(CLOSED)))
        .group_by(Case.sla_level)
    )
    by_level = {str(s): int(n) for s, n in level_rows.all()}
    late_steps = await session.scalar(
        sa.select(sa.func.count())
        .select_from(Task)
        .join(Case, Case.id == Task.case_id)
        .where(*conditions, Task.status.in_(("open", "claimed")), Task.due < today, Case.status.not_in(sorted(PAUSED)))
    )
    finished = (
        await session.execute(
            sa.select(
                sa.func.count(),
                sa.func.avg(Case.handling_days),
                sa.func.sum(sa.case((Case.on_time.is_(True), 1), else_=0)),
            ).where(*conditions, Case.handling_days.is_not(None))
        )
    ).one()
    count, avg_days, on_time = int(finished[0] or 0), finished[1], int(finished[2] or 0)
    return {
        "total": sum(by_status.values()),
        "by_status": {k: int(v) for k, v in by_status.items()},
        "open_by_level": {lvl: int(by_level.get(lvl, 0)) for lvl in LEVELS},
        "overdue_steps": int(late_steps or 0),
        "completed": count,
        "average_handling_working_days": round(float(avg_days), 2) if avg_days is not None else None,
        "on_time_rate": round(on_time / count, 4) if count else None,
    }
