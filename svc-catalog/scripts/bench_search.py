"""Search latency on the seeded catalog, and on a larger one (every city implementing every provincial
item), on PostgreSQL (GOV_TEST_PG_DSN) or SQLite.

    uv run python svc-catalog/scripts/bench_search.py [--sqlite] [--scale]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from pathlib import Path

from catalog.items import service as items
from catalog.items.schemas import ItemCreate, ItemDefinition
from catalog.main import create_app
from catalog.seed.loader import SEEDER, item_definition, seed_document
from catalog.settings import Settings
from gov_common.testing import fresh_pg_database, serve_lifespan

QUERIES = ["营业执照", "食品经营", "出生医学证明", "身份证", "公积金", "结婚", "上户口", "证", "开餐馆", "社保卡"]
CITIES = [f"45{n:02d}00" for n in range(1, 15)]


async def scale_up(app: object) -> int:
    """Every city implements every provincial item (same department code shape, city region)."""
    from gov_standards.identifiers import credit_check_character as credit_check_char

    doc = seed_document()
    runtime = app.state.runtime  # type: ignore[attr-defined]
    n = 0
    async with runtime.db.transaction() as session:
        for raw in doc["items"]:
            base = item_definition(raw, doc)
            parent = items.implementation_code(ItemDefinition.model_validate(base))
            for city in CITIES:
                data = dict(base, region=city)
                first17 = "11" + city + base["department"]["code"][8:17]
                data["department"] = {
                    "code": first17 + credit_check_char(first17),
                    "name": "市" + base["department"]["name"][6:],
                }
                row, _ = await items.create_item(
                    session=session,
                    principal=SEEDER,
                    item_in=ItemCreate(inherits=parent, definition=ItemDefinition.model_validate(data)),
                )
                await items.submit(session=session, principal=SEEDER, code=row.implementation_code, version=1)
                await items.publish(session=session, principal=SEEDER, code=row.implementation_code, version=1)
                n += 1
    return n


async def run(url: str | None, data_dir: Path, scale: bool) -> None:
    settings = Settings(
        data_dir=data_dir, demo_data=True, log_level="WARNING", log_json=False, **({"database_url": url} if url else {})
    )
    app = create_app(settings)
    async with serve_lifespan(app) as client:
        if scale:
            t = time.perf_counter()
            print(f"scaled up by {await scale_up(app)} items in {time.perf_counter() - t:.1f} s")
        total = (await client.get("/v1/stats/online-rate")).json()["item_count"]
        timings: list[float] = []
        for _ in range(20):
            for q in QUERIES:
                t = time.perf_counter()
                resp = await client.get("/v1/items", params={"q": q, "limit": 20})
                timings.append((time.perf_counter() - t) * 1000)
                assert resp.status_code == 200
        timings.sort()
        p95 = timings[int(len(timings) * 0.95)]
        print(
            f"{settings.effective_database_url.split(':')[0]}: {total} items, {len(timings)} searches, "
            f"p50 {statistics.median(timings):.1f} ms, p95 {p95:.1f} ms, max {timings[-1]:.1f} ms"
        )


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sqlite", action="store_true")
    parser.add_argument("--scale", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        if args.sqlite:
            await run(None, Path(tmp), args.scale)
        else:
            async with fresh_pg_database(os.environ["GOV_TEST_PG_DSN"]) as url:
                await run(url, Path(tmp), args.scale)


if __name__ == "__main__":
    asyncio.run(main())
