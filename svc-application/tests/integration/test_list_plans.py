"""The plans of the reads that grow with history (issue 17; scripts/bench/scale.py measures them at 10 million):
on PostgreSQL, a citizen's list reads its index in order, with the cursor as the start of the index scan, and
the public status query reads an application's history in order; neither sorts."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from application import access
from application.applications import service
from application.models import Application
from gov_common.auth import Principal
from gov_common.db import Database
from gov_common.migrations import upgrade
from gov_common.testing import recorded_statements

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"
CITIZEN = Principal(subject="citizen-7", kind="citizen")

# 3,000 applications of 30 citizens and 10 enterprises over a year, two status changes each.
SEED = [
    """INSERT INTO application (id, tracking_number, status, channel, item_code, item_version, item_name, region,
         department_code, department_name, applicant_subject, applicant_kind, enterprise, applicant_name_masked,
         id_tail, query_code, created_by, form, created_at, updated_at, submitted_at)
       SELECT md5(i::text)::uuid, '450100' || to_char(date '2026-01-01' + i / 10, 'YYYYMMDD') || lpad(i::text, 6, '0'),
         'submitted', 'online', 'item', 1, '事项', '450100', 'dept', '部门', 'citizen-' || i % 30,
         CASE WHEN i % 4 = 0 THEN 'enterprise' ELSE 'citizen' END,
         CASE WHEN i % 4 = 0 THEN '91450100' || lpad((i % 10)::text, 10, '0') END, '张*', '1234', 'ABCDEFGH',
         'citizen-' || i % 30, '{}'::json, timestamptz '2026-01-01' + i * interval '3 hours',
         timestamptz '2026-01-01' + i * interval '3 hours', timestamptz '2026-01-01' + i * interval '3 hours'
       FROM generate_series(1, 3000) AS i""",
    """INSERT INTO status_change (id, application_id, from_status, to_status, cause, actor, at, detail)
       SELECT gen_random_uuid(), id, s.f, s.t, 'test', 'citizen', created_at + s.k * interval '1 minute', '{}'::json
       FROM application CROSS JOIN (VALUES (1, NULL, 'draft'), (2, 'draft', 'submitted')) AS s(k, f, t)""",
    "ANALYZE application",
    "ANALYZE status_change",
]


@pytest.fixture
async def db(pg_url: str) -> AsyncIterator[Database]:
    database = Database(pg_url)
    await upgrade(database, MIGRATIONS)
    async with database.transaction() as session:
        for statement in SEED:
            await session.execute(sa.text(statement))
    yield database
    await database.dispose()


async def explain(session: AsyncSession, statement: str, parameters: tuple[object, ...]) -> str:
    """The plan PostgreSQL chooses for ``statement`` when it may not read the whole table (a small table would
    otherwise be scanned: cheaper at this size, not at ten million rows)."""
    await session.execute(sa.text("SET LOCAL enable_seqscan = off"))
    await session.execute(sa.text("SET LOCAL enable_bitmapscan = off"))
    result = await (await session.connection()).exec_driver_sql(f"EXPLAIN {statement}", parameters)
    return "\n".join(row[0] for row in result)


async def list_page(session: AsyncSession, after: tuple[datetime, uuid.UUID] | None) -> tuple[str, list[str]]:
    where = access.visible_applications(CITIZEN)
    assert where is not None
    with recorded_statements() as seen:
        rows = await service.list_applications(session, where=where, limit=21, after=after)
    (statement, parameters), *_ = [s for s in seen if "FROM application" in s[0]]
    return await explain(session, statement, parameters), [str(r.id) for r in rows]


async def test_a_citizens_list_reads_its_index_newest_first_without_sorting(db: Database) -> None:
    async with db.transaction() as session:
        plan, ids = await list_page(session, None)
    assert len(ids) == 21
    assert "ix_application_by_applicant" in plan, plan
    assert "Sort" not in plan, plan


async def test_the_next_page_starts_the_index_scan_at_the_cursor(db: Database) -> None:
    async with db.transaction() as session:
        _, first = await list_page(session, None)
        last = await session.get_one(Application, uuid.UUID(first[19]))
        plan, rest = await list_page(session, (last.created_at, last.id))
        expected = await session.scalars(
            sa.select(Application.id)
            .where(Application.applicant_subject == "citizen-7", Application.applicant_kind == "citizen")
            .order_by(Application.created_at.desc())
            .offset(20)
            .limit(21)
        )
    assert rest == [str(i) for i in expected]
    index_cond = next(line for line in plan.splitlines() if "Index Cond" in line)
    assert "created_at" in index_cond and "Filter" not in plan, plan  # a bound of the scan, not a filter
    assert "Sort" not in plan, plan


async def test_the_status_history_reads_its_index_in_order(db: Database) -> None:
    async with db.transaction() as session:
        app_id = await session.scalar(sa.select(Application.id).limit(1))
        assert app_id is not None
        with recorded_statements() as seen:
            history = await service.history_of(session, app_id)
        (statement, parameters), *_ = [s for s in seen if "FROM status_change" in s[0]]
        plan = await explain(session, statement, parameters)
    assert [h.to_status for h in history] == ["draft", "submitted"]
    assert "ix_status_change_history" in plan and "Sort" not in plan, plan
