"""Cases city platforms (and department systems) handle and push through svc-exchange
(``exchange.case.synced``), kept so that supervision warns about them and counts them like ours: their
deadline, clock stops and warning level, and whether each was decided on time. Legacy imports are history,
not supervised."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from gov_contracts.exchange import CaseSynced
from gov_standards.calendar import WorkingCalendar
from gov_standards.china_time import china_date
from gov_standards.regions import normalise_region, region_prefix
from workflow.models import ExternalCase
from workflow.supervision import domain
from workflow.trace import utc

SUPERVISED_ORIGINS = frozenset({"city_platform", "department"})


def _history(rows: list[Any]) -> list[tuple[str, datetime]]:
    return [(str(r["status"]), utc(datetime.fromisoformat(r["at"]))) for r in rows]


async def keep(
    session: AsyncSession, *, synced: CaseSynced, calendar: WorkingCalendar, now: datetime
) -> ExternalCase | None:
    """Record or advance the pushed case; a repeated or older report changes nothing but the history."""
    if synced.origin not in SUPERVISED_ORIGINS:
        return None
    record_id = uuid.UUID(synced.record_id)
    case = await session.get(ExternalCase, record_id, with_for_update=True)
    if case is None:
        case = ExternalCase(
            id=record_id, origin=synced.origin, source=synced.source, external_id=synced.external_id, history=[],
            paused_days=0, sla_level="green",
        )  # fmt: skip
        session.add(case)
    reported = [(c.status, utc(c.at)) for c in synced.changes] + [(synced.status, utc(synced.status_at))]
    history = domain.merge_history(_history(case.history), reported)
    case.tracking_number = synced.tracking_number
    case.item_code, case.item_name = synced.item_code, synced.item_name
    case.region, case.department = normalise_region(synced.region), synced.department
    case.received_at = utc(synced.received_at)
    if synced.accepted_at is not None:
        case.accepted_at = utc(synced.accepted_at)
    if synced.deadline is not None:
        case.deadline = synced.deadline
    clock = domain.external_clock(history, started=_started(case), deadline=case.deadline, calendar=calendar)
    case.status, case.status_at = clock.status, clock.status_at
    case.paused_since, case.paused_days = clock.paused_since, clock.paused_days
    case.closed_at, case.handling_days, case.on_time = clock.closed_at, clock.handling_days, clock.on_time
    case.history = [{"status": s, "at": at.isoformat()} for s, at in history]
    case.updated_at = now
    await session.flush()
    return case


def _started(case: ExternalCase) -> date:
    return china_date(case.accepted_at or case.received_at)


def level_of(case: ExternalCase, calendar: WorkingCalendar, today: date, warn_share: float) -> str:
    if case.deadline is None:
        return "green"  # nothing promised, nothing to warn about
    started = _started(case)
    return domain.sla_level(
        started=started,
        deadline=case.deadline,
        promised_days=calendar.working_days_between(started, case.deadline),
        paused_since=case.paused_since,
        paused_days=case.paused_days,
        today=today,
        calendar=calendar,
        warn_share=warn_share,
    )


async def evaluate(
    session: AsyncSession,
    *,
    calendar: WorkingCalendar,
    now: datetime,
    warn_share: float,
    region: str | None,
    batch: int = 1000,
) -> tuple[int, int, int]:
    """Raise the warning level of open pushed cases with a deadline; returns (checked, yellow, red)."""
    today = china_date(now)
    rows = await session.scalars(
        sa.select(ExternalCase)
        .where(
            ExternalCase.closed_at.is_(None),
            ExternalCase.deadline.is_not(None),
            ExternalCase.paused_since.is_(None),
            ExternalCase.sla_level != "red",
        )
        .where(ExternalCase.region.startswith(region_prefix(region)) if region else sa.true())
        .order_by(ExternalCase.deadline)
        .limit(batch)
        .with_for_update(skip_locked=True)
    )
    checked = warned = overdue = 0
    for case in rows:
        checked += 1
        level = level_of(case, calendar, today, warn_share)
        if domain.LEVELS[level] <= domain.LEVELS[case.sla_level]:
            continue
        case.sla_level = level
        if level == "red":
            overdue += 1
        else:
            warned += 1
    return checked, warned, overdue


def scope_filter(region: str, department: str | None, item_code: str | None) -> list[Any]:
    conditions: list[Any] = [ExternalCase.region.startswith(region_prefix(region))]
    if department:
        conditions.append(ExternalCase.department == department)
    if item_code:
        conditions.append(ExternalCase.item_code == item_code)
    return conditions


async def summary(session: AsyncSession, *, conditions: list[Any]) -> dict[str, Any]:
    """Pushed cases by status and by warning level (open ones), and the decided ones: how many, their
    handling time (sum, for a joint average) and how many met their deadline."""
    by_status = {
        str(s): int(n)
        for s, n in (
            await session.execute(
                sa.select(ExternalCase.status, sa.func.count()).where(*conditions).group_by(ExternalCase.status)
            )
        ).all()
    }
    by_level = {
        str(s): int(n)
        for s, n in (
            await session.execute(
                sa.select(ExternalCase.sla_level, sa.func.count())
                .where(*conditions, ExternalCase.closed_at.is_(None))
                .group_by(ExternalCase.sla_level)
            )
        ).all()
    }
    decided = (
        await session.execute(
            sa.select(
                sa.func.count(),
                sa.func.sum(ExternalCase.handling_days),
                sa.func.sum(sa.case((ExternalCase.on_time.is_(True), 1), else_=0)),
                sa.func.sum(sa.case((ExternalCase.on_time.is_not(None), 1), else_=0)),
            ).where(*conditions, ExternalCase.handling_days.is_not(None))
        )
    ).one()
    return {
        "total": sum(by_status.values()),
        "by_status": by_status,
        "open_by_level": {lvl: by_level.get(lvl, 0) for lvl in domain.LEVELS},
        "completed": int(decided[0] or 0),
        "handling_days_sum": int(decided[1] or 0),
        "on_time": int(decided[2] or 0),
        "with_deadline": int(decided[3] or 0),
    }
