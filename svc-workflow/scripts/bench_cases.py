"""Measure svc-workflow on PostgreSQL: cases opened per second from application.submitted events (through
the consumer, inbox and outbox), inbox page latency, concurrent claims, trace verification.

    GOV_TEST_PG_DSN=postgresql://gov:gov@127.0.0.1:55432/postgres uv run python svc-workflow/scripts/bench_cases.py
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.conftest import NN_MARKET, START, submitted

from gov_common.testing import TestIssuer, fresh_pg_database, serve_lifespan
from gov_contracts.application import ApplicationSubmitted
from gov_contracts.catalog import ItemPublished
from gov_contracts.testing import envelope, item_published
from workflow.main import create_app
from workflow.models import Case, Task
from workflow.settings import Settings

N = int(os.environ.get("BENCH_CASES", "500"))


async def main() -> None:
    issuer = TestIssuer()
    async with fresh_pg_database(os.environ["GOV_TEST_PG_DSN"]) as url:
        with tempfile.TemporaryDirectory() as tmp:
            settings = Settings(
                data_dir=Path(tmp),
                database_url=url,
                log_json=False,
                log_level="WARNING",
                outbox_poll_seconds=0.05,
                sla_sweep_enabled=False,
            )
            app = create_app(settings)
            issuer.install(app)
            async with serve_lifespan(app) as client:
                bus, db = app.state.runtime.bus, app.state.runtime.db
                code = "000112004000-450100-bench"
                await bus.publish(ItemPublished.topic, [envelope(item_published(code=code, published_at=START))])
                events = [envelope(submitted(code=code)) for _ in range(N)]
                started = time.perf_counter()
                await bus.publish(ApplicationSubmitted.topic, events)
                while True:
                    async with db.transaction() as s:
                        n = await s.scalar(sa.select(sa.func.count()).select_from(Case))
                    if n == N:
                        break
                    await asyncio.sleep(0.05)
                elapsed = time.perf_counter() - started
                print(f"opened {N} cases from events in {elapsed:.2f} s: {N / elapsed:.0f} cases/s")
                headers = issuer.headers("a", kind="staff", roles=["acceptor"], region="450100", department=NN_MARKET)
                samples = []
                for _ in range(50):
                    t0 = time.perf_counter()
                    resp = await client.get("/v1/tasks?limit=50", headers=headers)
                    samples.append((time.perf_counter() - t0) * 1000)
                    assert resp.status_code == 200
                print(
                    f"inbox page of 50 over {N} open tasks: median {statistics.median(samples):.1f} ms, "
                    f"p95 {sorted(samples)[int(len(samples) * 0.95)]:.1f} ms"
                )
                async with db.transaction() as s:
                    task_ids = list(await s.scalars(sa.select(Task.id).limit(20)))
                claimers = [
                    issuer.headers(f"s{i}", kind="staff", roles=["acceptor"], region="450100", department=NN_MARKET)
                    for i in range(20)
                ]
                t0 = time.perf_counter()
                answers = await asyncio.gather(
                    *(client.post(f"/v1/tasks/{t}/claim", headers=h) for t in task_ids for h in claimers)
                )
                ms = (time.perf_counter() - t0) * 1000
                wins = sum(1 for a in answers if a.status_code == 200)
                print(
                    f"{len(answers)} concurrent claims on {len(task_ids)} tasks in {ms:.0f} ms: {wins} won, "
                    f"{sum(1 for a in answers if a.status_code == 409)} refused with 409"
                )
                async with db.transaction() as s:
                    case_id = await s.scalar(sa.select(Case.id).limit(1))
                samples = []
                for _ in range(20):
                    t0 = time.perf_counter()
                    verdict = (await client.get(f"/v1/cases/{case_id}/trace/verification", headers=headers)).json()
                    samples.append((time.perf_counter() - t0) * 1000)
                print(f"trace verification ({verdict['entries']} entries): median {statistics.median(samples):.1f} ms")
                async with db.transaction() as s:
                    t0 = time.perf_counter()
                    await s.execute(sa.text("SELECT 1"))
                print(f"baseline: one SELECT 1 round trip on this server {(time.perf_counter() - t0) * 1000:.1f} ms")


if __name__ == "__main__":
    asyncio.run(main())
