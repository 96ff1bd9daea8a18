"""Throughput and latency of one-shot submissions (create + pre-review + tracking number + outbox event)
and of bookings racing for one slot, on PostgreSQL (GOV_TEST_PG_DSN), in-process (no network hop).

    uv run python scripts/bench/submit.py [--n 400] [--concurrency 20]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path

from application.consumers import ITEMS
from application.main import create_app
from application.settings import Settings
from gov_common.testing import TestIssuer, fresh_pg_database, serve_lifespan
from gov_contracts.catalog import ItemDefinition
from gov_contracts.testing import envelope, item_published
from gov_standards.calendar import default_calendar
from gov_standards.china_time import CHINA_TZ as CST
from gov_standards.china_time import china_date as local_day
from gov_standards.china_time import utcnow

DEFINITION = {
    "basic_code": "000112004000",
    "name": "食品经营许可",
    "item_type": "01",
    "legal_basis": ["《中华人民共和国食品安全法》第三十五条"],
    "region": "450100",
    "department": {"code": "11450100MBQH0Y21QM", "name": "南宁市市场监督管理局"},
    "service_object": "both",
    "time_limit": {"statutory_days": 20, "promised_days": 10},
    "materials": [],
    "form_schema": {"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]},
    "process": {"steps": [{"kind": "accept", "name": "受理", "role": "acceptor", "share_percent": 100}]},
    "onsite_visits": 0,
    "online_stages": [1, 2, 3, 4, 5, 6, 7],
    "delivery": ["electronic"],
    "contact": {"consultation_phone": "0771-12345", "complaint_phone": "12345"},
}


def pct(values: list[float], q: float) -> float:
    return sorted(values)[min(len(values) - 1, int(q * len(values)))]


async def main(n: int, concurrency: int) -> None:
    async with fresh_pg_database(os.environ["GOV_TEST_PG_DSN"]) as url:
        settings = Settings(
            data_dir=Path(tempfile.mkdtemp()), database_url=url, environment="test", log_level="WARNING"
        )
        app = create_app(settings)
        issuer = TestIssuer()
        issuer.install(app)
        async with serve_lifespan(app) as client:
            defn = ItemDefinition.model_validate(DEFINITION)
            code = f"{defn.basic_code}{defn.region}000000{defn.department.code}000"
            published = item_published(defn, code=code, online_level="IV", fully_online=True)
            async with app.state.runtime.db.transaction() as session:
                await ITEMS(session, envelope(published))
            headers = [issuer.headers(f"citizen-{i}", kind="citizen") for i in range(concurrency)]
            gate = asyncio.Semaphore(concurrency)
            latencies: list[float] = []

            async def submit(i: int) -> None:
                async with gate:
                    started = time.perf_counter()
                    resp = await client.post(
                        "/v1/applications",
                        json={
                            "item_code": code,
                            "applicant": {"name": "张三", "id_number": "11010519491231002X"},
                            "form": {"name": "x"},
                            "submit": True,
                        },
                        headers={**headers[i % concurrency], "Idempotency-Key": uuid.uuid4().hex},
                    )
                    latencies.append((time.perf_counter() - started) * 1000)
                    assert resp.status_code == 201, resp.text

            started = time.perf_counter()
            await asyncio.gather(*(submit(i) for i in range(n)))
            elapsed = time.perf_counter() - started
            print(
                f"submit: {n} at concurrency {concurrency}: {n / elapsed:.0f}/s, "
                f"p50 {statistics.median(latencies):.1f} ms, p95 {pct(latencies, 0.95):.1f} ms"
            )

            hall = await client.post(
                "/v1/halls",
                json={
                    "name": "bench",
                    "region": "450100",
                    "address": "bench hall",
                    "periods": [["09:00", "12:00"]],
                    "slot_minutes": 30,
                    "windows": [{"name": f"w{i}", "capacity_per_slot": 5} for i in range(4)],
                },
                headers=issuer.headers("admin", kind="staff", roles=["staff_admin"], region="450100"),
            )
            day = local_day(utcnow()) + timedelta(days=1)
            while not default_calendar().is_working_day(day):
                day += timedelta(days=1)
            start = datetime(day.year, day.month, day.day, 9, 0, tzinfo=CST).isoformat()
            booked: list[int] = []

            async def book(i: int) -> None:
                async with gate:
                    resp = await client.post(
                        "/v1/appointments",
                        json={"hall_id": hall.json()["id"], "slot_start": start},
                        headers={**headers[i % concurrency], "Idempotency-Key": uuid.uuid4().hex},
                    )
                    booked.append(resp.status_code)

            started = time.perf_counter()
            await asyncio.gather(*(book(i) for i in range(200)))
            elapsed = time.perf_counter() - started
            print(
                f"booking: 200 racing for 20 places at concurrency {concurrency}: {200 / elapsed:.0f}/s, "
                f"{booked.count(201)} booked, {booked.count(409)} refused as full"
            )


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=400)
    parser.add_argument("--concurrency", type=int, default=20)
    args = parser.parse_args()
    asyncio.run(main(args.n, args.concurrency))
