"""One calendar for the platform: a year an admin changes through workflow's ``PUT /v1/calendar/{year}``
reaches application (hall opening days) and evaluation (rectification and reply deadlines) as
``workflow.calendar_year.changed``, on PostgreSQL + Kafka and on the embedded default (SQLite files and the
embedded event log). Each run publishes under its own topic prefix, so no earlier run's year is read."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI

import application.main
import application.settings
import evaluation.main
import evaluation.settings
import workflow.main
import workflow.settings
from gov_common.calendars import load_calendar, received_calendar_year
from gov_common.testing import TestIssuer, eventually, fresh_pg_database, serve_lifespan
from gov_standards.calendar import WorkingCalendar, default_calendar

FRIDAY = date(2026, 11, 27)  # an ordinary working Friday in the bundled 2026 arrangement
CALENDAR_WRITE = "workflow.calendar.write"


def changed_2026() -> dict[str, Any]:
    """The bundled 2026 arrangement with one more day off (as a corrected notice would bring)."""
    holidays, makeup = default_calendar().years[2026].as_lists()
    return {
        "holidays": [*holidays, FRIDAY.isoformat()],
        "makeup_workdays": makeup,
        "source": "国务院办公厅通知（更正）",
    }


async def calendar_of(app: FastAPI) -> WorkingCalendar:
    async with app.state.runtime.db.transaction() as session:
        return await load_calendar(session)


async def received_years(app: FastAPI) -> set[int]:
    async with app.state.runtime.db.transaction() as session:
        return set((await session.scalars(sa.select(received_calendar_year.c.year))).all())


@asynccontextmanager
async def platform(
    common: dict[str, Any], databases: dict[str, str], tmp_path: Path
) -> AsyncIterator[tuple[dict[str, FastAPI], httpx.AsyncClient, TestIssuer]]:
    """workflow, application and evaluation running together; the client talks to workflow."""
    issuer = TestIssuer()
    apps: dict[str, FastAPI] = {
        "workflow": workflow.main.create_app(
            workflow.settings.Settings(
                data_dir=tmp_path / "workflow", database_url=databases["workflow"], sla_sweep_enabled=False, **common
            )
        ),
        "application": application.main.create_app(
            application.settings.Settings(
                data_dir=tmp_path / "application", database_url=databases["application"], **common
            )
        ),
        "evaluation": evaluation.main.create_app(
            evaluation.settings.Settings(
                data_dir=tmp_path / "evaluation", database_url=databases["evaluation"], worker_enabled=False, **common
            )
        ),
    }
    async with AsyncExitStack() as stack:
        clients = {}
        for name, app in apps.items():
            issuer.install(app)
            clients[name] = await stack.enter_async_context(serve_lifespan(app))
        yield apps, clients["workflow"], issuer


async def change_a_year_and_see_it_everywhere(
    apps: dict[str, FastAPI], workflow_client: httpx.AsyncClient, issuer: TestIssuer
) -> None:
    for name in ("application", "evaluation"):
        before = await calendar_of(apps[name])
        assert before.is_working_day(FRIDAY), f"{name} counts with the bundled calendar before any change"
        assert await received_years(apps[name]) == set()

    admin = issuer.headers("admin", kind="staff", roles=["platform_admin"], region="450000", scopes=[CALENDAR_WRITE])
    changed = await workflow_client.put("/v1/calendar/2026", json=changed_2026(), headers=admin)
    assert changed.status_code == 200, changed.text
    added = await workflow_client.put(
        "/v1/calendar/2027",
        json={"holidays": ["2027-01-01"], "makeup_workdays": [], "source": "国务院办公厅通知（2027）"},
        headers=admin,
    )
    assert added.status_code == 201, added.text

    for name in ("application", "evaluation"):
        app = apps[name]

        async def arrived(app: FastAPI = app) -> bool:
            return await received_years(app) == {2026, 2027}

        await eventually(arrived, f"both years at {name}", timeout=90)
        calendar = await calendar_of(app)
        assert not calendar.is_working_day(FRIDAY), f"{name} sees the corrected 2026"
        assert not calendar.is_working_day(date(2027, 1, 1)), f"{name} sees the added 2027"
        assert calendar.add_working_days(date(2026, 11, 26), 1) == date(2026, 11, 30)
        assert calendar.is_working_day(date(2026, 10, 10)), "the rest of the bundled year is kept (a make-up Saturday)"
        assert calendar.known_years() == [2025, 2026, 2027]

    # A bad year is refused by workflow and published nowhere.
    bad = await workflow_client.put(
        "/v1/calendar/2028",
        json={"holidays": [], "makeup_workdays": ["2028-01-05"], "source": "不是周末的调休"},
        headers=admin,
    )
    assert bad.status_code == 422, bad.text
    assert 2028 not in (await calendar_of(apps["application"])).years


@pytest.mark.postgres
@pytest.mark.kafka
async def test_a_changed_year_reaches_application_and_evaluation_on_postgres_and_kafka(
    pg_admin_dsn: str, kafka_bootstrap: str, tmp_path: Path
) -> None:
    common: dict[str, Any] = {
        "environment": "test",
        "event_bus": "kafka",
        "kafka_bootstrap_servers": kafka_bootstrap,
        "topic_prefix": f"t{uuid.uuid4().hex[:10]}.",
        "outbox_poll_seconds": 0.1,
        "consumer_retry_backoff_seconds": 0.1,
        "log_json": False,
    }
    async with AsyncExitStack() as stack:
        databases = {
            name: await stack.enter_async_context(fresh_pg_database(pg_admin_dsn))
            for name in ("workflow", "application", "evaluation")
        }
        async with platform(common, databases, tmp_path) as (apps, client, issuer):
            await change_a_year_and_see_it_everywhere(apps, client, issuer)


async def test_a_changed_year_reaches_application_and_evaluation_on_the_embedded_default(tmp_path: Path) -> None:
    common: dict[str, Any] = {
        "environment": "test",
        "event_bus": "embedded",
        "event_log_path": tmp_path / "events.db",
        "outbox_poll_seconds": 0.1,
        "consumer_retry_backoff_seconds": 0.1,
        "log_json": False,
    }
    databases = {name: "" for name in ("workflow", "application", "evaluation")}  # SQLite files in data_dir
    async with platform(common, databases, tmp_path) as (apps, client, issuer):
        await change_a_year_and_see_it_everywhere(apps, client, issuer)
