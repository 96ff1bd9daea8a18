"""The plans of the lists that grow with history (issue 17; scripts/bench/scale.py measures the inbox at 10
million applications): on PostgreSQL the staff inbox reads the partial index of open tasks in order, even
in a cached generic plan; a single-status list and the staff's case list read their indexes in order; none
sorts."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from gov_common.auth import Principal
from gov_common.db import Database
from gov_common.migrations import upgrade
from gov_common.testing import recorded_statements
from workflow.cases.router import list_cases
from workflow.clock import Clock
from workflow.tasks.router import inbox

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"
DEPT = "dept-1"
ACCEPTOR = Principal(
    subject="staff-1",
    kind="staff",
    roles=frozenset({"acceptor"}),
    scopes=frozenset({"workflow.cases.read"}),
    region="450100",
    department=DEPT,
)

# 3,000 cases of three departments over a year, one task each: 10 % still open or claimed.
SEED = [
    """INSERT INTO "case" (id, application_id, tracking_number, item_code, item_version, item_name, region,
         department, department_name, applicant_subject, applicant_kind, applicant_name_masked, form, materials,
         process, fees, promised_days, smart_approval, status, step_index, opened_at, deadline, paused_days,
         sla_level, trace_seq, trace_head, updated_at)
       SELECT md5(i::text)::uuid, i::text, 'T' || i, 'item', 1, '事项', '450100', 'dept-' || i % 3, '部门',
         'citizen-' || i % 30, 'citizen', '张*', '{}'::json, '[]'::json, '{}'::json, '[]'::json, 10, false,
         CASE WHEN i % 10 = 0 THEN 'accepting' ELSE 'completed' END, 0,
         timestamptz '2026-01-01' + i * interval '3 hours', date '2026-12-31', 0, 'green', 1, '0',
         timestamptz '2026-01-01' + i * interval '3 hours'
       FROM generate_series(1, 3000) AS i""",
    """INSERT INTO task (id, case_id, step_index, kind, name, role, department, region, status, due, created_at)
       SELECT gen_random_uuid(), id, 0, 'accept', '受理', CASE WHEN random() < 0.5 THEN 'acceptor' ELSE 'reviewer' END,
         department, region, CASE status WHEN 'accepting' THEN 'open' ELSE 'completed' END, deadline, opened_at
       FROM "case\"""",
    'ANALYZE "case"',
    "ANALYZE task",
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


def literal(value: Any) -> str:
    if isinstance(value, int):
        return str(value)
    if isinstance(value, datetime | date):
        value = value.isoformat()
    return "'" + str(value).replace("'", "''") + "'"


async def plan_of(session: AsyncSession, seen: list[tuple[str, tuple[Any, ...]]], table: str, *, generic: bool) -> str:
    """The plan of the statement on ``table`` that was sent, as PostgreSQL plans it once it may not read the
    whole (small) table; ``generic``: the plan a cached prepared statement gets, made without the values."""
    (statement, parameters), *_ = [s for s in seen if f"FROM {table}" in s[0]]
    connection = await session.connection()
    await connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
    await connection.exec_driver_sql("SET LOCAL enable_bitmapscan = off")
    await connection.exec_driver_sql(f"SET LOCAL plan_cache_mode = {'force_generic_plan' if generic else 'auto'}")
    await connection.exec_driver_sql(f"PREPARE listed AS {statement}")
    arguments = ", ".join(literal(p) for p in parameters)
    result = await connection.exec_driver_sql(f"EXPLAIN EXECUTE listed{f'({arguments})' if arguments else ''}")
    await connection.exec_driver_sql("DEALLOCATE listed")
    return "\n".join(row[0] for row in result)


@pytest.mark.parametrize("generic", [False, True], ids=["custom plan", "generic plan"])
async def test_the_inbox_reads_the_open_tasks_index_in_order(db: Database, generic: bool) -> None:
    async with db.transaction() as session:
        with recorded_statements() as seen:
            page = await inbox(session, ACCEPTOR, Clock(), status=None, mine=False, limit=20, cursor=None)
        plan = await plan_of(session, seen, "task", generic=generic)
    assert page.items and all(t.status == "open" and t.role == "acceptor" for t in page.items)
    assert [t.created_at for t in page.items] == sorted(t.created_at for t in page.items)
    assert "ix_task_open" in plan and "Sort" not in plan, plan


async def test_a_single_status_list_reads_its_index_in_order(db: Database) -> None:
    async with db.transaction() as session:
        with recorded_statements() as seen:
            page = await inbox(session, ACCEPTOR, Clock(), status="completed", mine=False, limit=20, cursor=None)
        plan = await plan_of(session, seen, "task", generic=False)
    assert len(page.items) == 20 and all(t.status == "completed" for t in page.items)
    assert "ix_task_by_status" in plan and "Sort" not in plan, plan


async def test_the_staff_case_list_reads_its_index_in_order(db: Database) -> None:
    async with db.transaction() as session:
        with recorded_statements() as seen:
            page = await list_cases(session, ACCEPTOR, status=None, limit=20, cursor=None)
        plan = await plan_of(session, seen, '"case"', generic=False)
    assert len(page.items) == 20 and page.next_cursor is not None
    assert "ix_case_by_department" in plan and "Sort" not in plan, plan
