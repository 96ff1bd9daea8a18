"""Latency of the statistics and the public ranking on PostgreSQL (GOV_TEST_PG_DSN) with many ratings:
N ratings over 14 cities x 3 counties, 60 departments, 30 items and 12 months; 10 % bad, each with a
rectification; N/10 consultations.

    uv run python svc-evaluation/scripts/bench_statistics.py [--ratings 200000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from evaluation.main import create_app
from evaluation.models import Consultation, Rating, Rectification
from evaluation.settings import Settings
from evaluation.statistics.service import Filters, compute
from gov_common.testing import fresh_pg_database, serve_lifespan
from gov_standards.china_time import china_date

CITIES = [f"45{n:02d}" for n in range(1, 15)]


def rows(
    n: int, rng: random.Random
) -> tuple[list[dict[str, object]], list[dict[str, object]], list[dict[str, object]]]:
    ratings, rects, cons = [], [], []
    start = datetime(2025, 12, 1, 2, tzinfo=UTC)
    for i in range(n):
        at = start + timedelta(minutes=rng.randrange(0, 365 * 24 * 60))
        level = rng.choices([5, 4, 3, 2, 1], weights=[60, 20, 10, 6, 4])[0]
        city = rng.choice(CITIES)
        rid = uuid.uuid4()
        ratings.append(
            dict(
                id=rid,
                case_id=f"c{i}",
                rater_subject=f"u{i}",
                rater_kind="citizen",
                submitted_by=f"u{i}",
                level=level,
                reasons=[],
                comment="",
                channel="web",
                department=f"D{rng.randrange(60):02d}",
                region=f"{city}{rng.randrange(1, 4):02d}",
                item_code=f"I{rng.randrange(30):02d}",
                window=None,
                rated_at=at,
                rated_on=china_date(at),
                rated_month=china_date(at).strftime("%Y-%m"),
                excluded=False,
                idempotency_key=None,
                request_hash=None,
            )
        )
        if level <= 2:
            due = china_date(at) + timedelta(days=21)
            replied = rng.random() < 0.8
            rects.append(
                dict(
                    id=uuid.uuid4(),
                    rating_id=rid,
                    department=ratings[-1]["department"],
                    region=ratings[-1]["region"],
                    rater_subject=f"u{i}",
                    status="confirmed" if replied else "open",
                    due=due,
                    opened_at=at,
                    updated_at=at,
                    verification="",
                    measures="",
                    reply="",
                    rejections=0,
                    rater_feedback="",
                    appeal_reason="",
                    decision_note="",
                    history=[],
                    replied_on_time=(rng.random() < 0.9) if replied else None,
                )
            )
        if i % 10 == 0:
            cons.append(
                dict(
                    id=uuid.uuid4(),
                    kind="consultation",
                    asker_subject=f"u{i}",
                    asker_kind="citizen",
                    item_code=None,
                    department=ratings[-1]["department"],
                    region=ratings[-1]["region"],
                    title="t",
                    question="q",
                    asked_at=at,
                    asked_on=china_date(at),
                    asked_month=china_date(at).strftime("%Y-%m"),
                    due=china_date(at) + timedelta(days=7),
                    answered_on_time=rng.random() < 0.7,
                )
            )
    return ratings, rects, cons


async def main(n: int) -> None:
    async with fresh_pg_database(os.environ["GOV_TEST_PG_DSN"]) as url:
        app = create_app(
            Settings(database_url=url, worker_enabled=False, log_level="WARNING", data_dir=Path(tempfile.mkdtemp()))
        )
        async with serve_lifespan(app):
            db = app.state.runtime.db
            ratings, rects, cons = rows(n, random.Random(7))
            t0 = time.perf_counter()
            async with db.transaction() as session:
                for chunk in range(0, len(ratings), 5000):
                    await session.execute(sa.insert(Rating), ratings[chunk : chunk + 5000])
                for chunk in range(0, len(rects), 5000):
                    await session.execute(sa.insert(Rectification), rects[chunk : chunk + 5000])
                for chunk in range(0, len(cons), 5000):
                    await session.execute(sa.insert(Consultation), cons[chunk : chunk + 5000])
            async with db.engine.begin() as conn:
                await conn.execute(sa.text("ANALYZE"))
            print(
                f"{n} ratings, {len(rects)} rectifications, {len(cons)} consultations loaded in {time.perf_counter() - t0:.1f} s"
            )
            cases = {
                "province by department": ("department", Filters()),
                "province by month": ("month", Filters()),
                "city 4501 by region": ("region", Filters(region="450100")),
                "one department by item, one quarter": (
                    "item",
                    Filters(department="D07", date_from=date(2026, 1, 1), date_to=date(2026, 3, 31)),
                ),
            }
            for name, (group_by, filters) in cases.items():
                times = []
                for _ in range(7):
                    async with db.transaction() as session:
                        t = time.perf_counter()
                        rows_, _ = await compute(session, group_by=group_by, filters=filters, today=date(2026, 11, 27))  # type: ignore[arg-type]
                        times.append((time.perf_counter() - t) * 1000)
                print(
                    f"{name:40s} {len(rows_):3d} rows  median {statistics.median(times):7.1f} ms  max {max(times):7.1f} ms"
                )


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--ratings", type=int, default=200_000)
    asyncio.run(main(parser.parse_args().ratings))
