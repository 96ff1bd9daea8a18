"""The embedded default (SQLite + embedded log, what `make run` starts): the same flow works, the background
sweep reports overdue rectifications by itself, and the demo data loads once."""

from __future__ import annotations

from datetime import UTC, datetime

from evaluation import demo
from gov_contracts.evaluation import RectificationOverdue


async def test_rating_flow_and_background_sweep_on_sqlite(serve_evaluation) -> None:
    async with serve_evaluation(worker_enabled=True, worker_interval_seconds=0.05) as api:
        case = await api.complete_case(applicant="citizen-1")
        api.clock.china("2026-09-24")
        resp = await api.rate(case["case_id"], 2, reasons=["slow"])
        assert resp.status_code == 201, resp.text
        assert (await api.rate(case["case_id"], 2, reasons=["slow"])).status_code == 409
        rect = await api.client.get(f"/v1/rectifications/{resp.json()['rectification_id']}", headers=api.citizen())
        assert rect.json()["due"] == "2026-10-22"

        api.clock.now = datetime(2026, 10, 23, 1, 0, tzinfo=UTC)

        async def reported() -> bool:
            return len(await api.outbox(RectificationOverdue.type)) == 1

        await api.eventually(reported, 10, "the background sweep")
        body = (await api.client.get("/v1/statistics", headers=api.supervisor("450000"))).json()
        assert body["totals"]["ratings"]["by_level"]["2"] == 1 and body["totals"]["satisfaction_rate"] == 0.0
        assert body["totals"]["rectifications"] == {"total": 1, "rectified": 0, "measured": 1, "on_time": 0}


async def test_demo_data_loads_once(serve_evaluation, tmp_path) -> None:
    async with serve_evaluation(demo_data=True) as api:
        assert [r.case_id for r in await api.sql("SELECT case_id FROM rating")] == [demo.RATED_CASE]
        (rect,) = await api.sql("SELECT department, status FROM rectification")
        assert (rect.department, rect.status) == (demo.DEMO_DEPARTMENT, "open")
        assert (await api.rate(demo.OPEN_CASE, 5, who=demo.DEMO_CITIZEN)).status_code == 201, "the demo case is ratable"
    async with serve_evaluation(demo_data=True) as api:  # a second start adds nothing
        rows = await api.sql("SELECT case_id FROM rating ORDER BY case_id")
        assert [r.case_id for r in rows] == [demo.OPEN_CASE, demo.RATED_CASE]
        assert len(await api.sql("SELECT id FROM rectification")) == 1
    lines = (tmp_path / "demo" / "evaluation.txt").read_text()
    assert demo.OPEN_CASE in lines and "rankings/departments" in lines
