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
from workflow.models import Case, ExternalCase, Task
from workflow.supervision import external, orders
from workflow.supervision.domain import LEVELS, sla_level


def level_of(case: Case, calendar: WorkingCalendar, today: date, warn_share: float) -> str:
    """green, yellow (``warn_share`` of the time limit used) or red (past the deadline); a stopped clock
    counts up to the day it stopped."""
    return sla_level(
        started=china_date(case.opened_at),
        deadline=case.deadline,
        promised_days=case.promised_days,
        paused_since=case.paused_since,
        paused_days=case.paused_days,
        today=today,
        calendar=calendar,
        warn_share=warn_share,
    )


@dataclass(frozen=True)
class Sweep:
    checked: int
    warned: int
    overdue: int
    external_warned: int = 0
    external_overdue: int = 0
    escalated: int = 0


async def evaluate(
    session: AsyncSession,
    *,
    calendar: WorkingCalendar,
    now: datetime,
    warn_share: float,
    region: str | None = None,
    batch: int = 1000,
) -> Sweep:
    """Raise the warning level of open cases (ours, announced once per level, and those city platforms
    pushed) whose time is running out, and escalate the supervision orders unanswered past their deadline."""
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
    ext_checked, ext_warned, ext_overdue = await external.evaluate(
        session, calendar=calendar, now=now, warn_share=warn_share, region=region, batch=batch
    )
    escalated = await orders.escalate_overdue(session, calendar=calendar, now=now, region=region, batch=batch)
    return Sweep(
        checked=checked + ext_checked,
        warned=warned,
        overdue=overdue,
        external_warned=ext_warned,
        external_overdue=ext_overdue,
        escalated=escalated,
    )


def scope_filter(region: str, department: str | None, item_code: str | None) -> list[Any]:
    conditions: list[Any] = [Case.region.startswith(region_prefix(region))]
    if department:
        conditions.append(Case.department == department)
    if item_code:
        conditions.append(Case.item_code == item_code)
    return conditions


def accepting_filter(region: str, department: str | None, item_code: str | None) -> list[Any]:
    """Cases windows of ``region``'s subtree (of ``department``) accepted for other regions (异地代收)."""
    conditions: list[Any] = [
        Case.accepting_department.is_not(None),
        Case.accepting_region.startswith(region_prefix(region)),
    ]
    if department:
        conditions.append(Case.accepting_department == department)
    if item_code:
        conditions.append(Case.item_code == item_code)
    return conditions


async def cross_region(
    session: AsyncSession, *, conditions: Sequence[Any], accepting_conditions: Sequence[Any]
) -> dict[str, list[dict[str, Any]]]:
    """异地代收 both ways: per accepting department, the cases its windows accepted for others; per deciding
    department (of ``conditions``), the cases other regions' windows accepted for it."""

    async def rows(department: Any, region: Any, where: Sequence[Any]) -> list[dict[str, Any]]:
        done = sa.func.sum(sa.case((Case.closed_at.is_not(None), 1), else_=0))
        found = await session.execute(
            sa.select(department, region, sa.func.count(), done)
            .where(*where)
            .group_by(department, region)
            .order_by(department, region)
        )
        return [
            {"department": str(d), "region": str(r), "cases": int(n), "closed": int(c or 0)}
            for d, r, n, c in found.all()
        ]

    return {
        "accepted_for_others": await rows(Case.accepting_department, Case.accepting_region, accepting_conditions),
        "handled_for_others": await rows(
            Case.department, Case.region, [*conditions, Case.accepting_department.is_not(None)]
        ),
    }


async def summary(
    session: AsyncSession,
    *,
    conditions: Sequence[Any],
    accepting_conditions: Sequence[Any],
    external_conditions: list[Any],
    order_conditions: list[Any],
    today: date,
) -> dict[str, Any]:
    """Counts by status and warning level, steps past their own deadline; average handling time and
    on-time rate of decided cases, ours and those city platforms pushed together (each also on its own);
    supervision orders by state."""
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
                sa.func.sum(Case.handling_days),
                sa.func.sum(sa.case((Case.on_time.is_(True), 1), else_=0)),
            ).where(*conditions, Case.handling_days.is_not(None))
        )
    ).one()
    count, days, on_time = int(finished[0] or 0), int(finished[1] or 0), int(finished[2] or 0)
    pushed = await external.summary(session, conditions=external_conditions)
    completed = count + pushed["completed"]
    judged = count + pushed["with_deadline"]
    handling = days + pushed["handling_days_sum"]
    own_total = sum(by_status.values())
    return {
        "total": own_total + pushed["total"],
        "by_origin": {"province": own_total, "city_platform": pushed["total"]},
        "by_status": {k: int(v) for k, v in by_status.items()},
        "open_by_level": {lvl: int(by_level.get(lvl, 0)) + pushed["open_by_level"][lvl] for lvl in LEVELS},
        "overdue_steps": int(late_steps or 0),
        "completed": completed,
        "average_handling_working_days": round(handling / completed, 2) if completed else None,
        "on_time_rate": round((on_time + pushed["on_time"]) / judged, 4) if judged else None,
        "city_platform": {
            "total": pushed["total"],
            "by_status": pushed["by_status"],
            "open_by_level": pushed["open_by_level"],
            "completed": pushed["completed"],
            "on_time_rate": round(pushed["on_time"] / pushed["with_deadline"], 4) if pushed["with_deadline"] else None,
        },
        "orders": await orders.counts(session, conditions=order_conditions, today=today),
        "cross_region": await cross_region(session, conditions=conditions, accepting_conditions=accepting_conditions),
    }


def _open(closed: Any, level: Any, wanted: str) -> Any:
    return sa.func.sum(sa.case((sa.and_(sa.not_(closed), level == wanted), 1), else_=0))


async def breakdown(
    session: AsyncSession, *, by: str, conditions: Sequence[Any], external_conditions: list[Any], limit: int = 100
) -> list[dict[str, Any]]:
    """Per department or item (``by``), ours and those city platforms pushed together: cases, open ones by
    warning level, decided ones, average handling time (working days, clock stops excluded) and on-time
    rate; the ``limit`` groups with the most cases, most first."""
    key = Case.department if by == "department" else Case.item_code
    name = Case.department_name if by == "department" else Case.item_name
    ours = await session.execute(
        sa.select(
            key,
            sa.func.max(name),
            sa.func.count(),
            _open(Case.status.in_(sorted(CLOSED)), Case.sla_level, "yellow"),
            _open(Case.status.in_(sorted(CLOSED)), Case.sla_level, "red"),
            sa.func.count(Case.handling_days),
            sa.func.sum(Case.handling_days),
            sa.func.sum(sa.case((sa.and_(Case.handling_days.is_not(None), Case.on_time.is_(True)), 1), else_=0)),
            sa.func.count(Case.handling_days),  # every case of ours has a deadline
        )
        .where(*conditions)
        .group_by(key)
    )
    ext_key = ExternalCase.department if by == "department" else ExternalCase.item_code
    ext_name = sa.literal(None) if by == "department" else ExternalCase.item_name
    decided = ExternalCase.handling_days.is_not(None)
    pushed = await session.execute(
        sa.select(
            ext_key,
            sa.func.max(ext_name),
            sa.func.count(),
            _open(ExternalCase.closed_at.is_not(None), ExternalCase.sla_level, "yellow"),
            _open(ExternalCase.closed_at.is_not(None), ExternalCase.sla_level, "red"),
            sa.func.count(ExternalCase.handling_days),
            sa.func.sum(ExternalCase.handling_days),
            sa.func.sum(sa.case((sa.and_(decided, ExternalCase.on_time.is_(True)), 1), else_=0)),
            sa.func.sum(sa.case((sa.and_(decided, ExternalCase.on_time.is_not(None)), 1), else_=0)),
        )
        .where(*external_conditions, ext_key.is_not(None))
        .group_by(ext_key)
    )
    groups: dict[str, dict[str, Any]] = {}
    for row in [*ours.all(), *pushed.all()]:
        group = groups.setdefault(
            str(row[0]), {"key": str(row[0]), "name": None, "total": 0, "yellow": 0, "red": 0, "completed": 0,
                          "days": 0, "on_time": 0, "judged": 0},
        )  # fmt: skip
        group["name"] = group["name"] or (str(row[1]) if row[1] else None)
        for field, value in zip(
            ("total", "yellow", "red", "completed", "days", "on_time", "judged"), row[2:], strict=True
        ):
            group[field] += int(value or 0)
    rows = sorted(groups.values(), key=lambda g: (-g["total"], g["key"]))[:limit]
    return [
        {
            "key": g["key"],
            "name": g["name"],
            "total": g["total"],
            "open_yellow": g["yellow"],
            "open_red": g["red"],
            "completed": g["completed"],
            "average_handling_working_days": round(g["days"] / g["completed"], 2) if g["completed"] else None,
            "on_time_rate": round(g["on_time"] / g["judged"], 4) if g["judged"] else None,
        }
        for g in rows
    ]
