"""City platforms: incremental catalog pulls of their region, and case pushes (idempotent, validated per
record) that show up in the province's statistics next to the province's own cases."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

from gov_contracts.catalog import ItemPublished, ItemWithdrawn
from gov_contracts.exchange import CaseSynced
from gov_contracts.testing import item_definition, item_published
from gov_contracts.workflow import CaseAccepted


def pushed_case(case_id: str, **over: Any) -> dict[str, Any]:
    return {
        "case_id": case_id,
        "tracking_number": f"NN-{case_id}",
        "item_code": "11450100MBQH0Y21QM4000112345000",
        "item_name": "食品经营许可",
        "region": "450103",
        "department": "11450100MBQH0Y21QM",
        "status": "accepted",
        "status_at": "2026-11-20T09:00:00+08:00",
        "received_at": "2026-11-20T08:30:00+08:00",
        **over,
    }


async def test_a_city_platforms_pushed_case_appears_in_the_provinces_statistics(serve_exchange: Any) -> None:
    async with serve_exchange(kafka=True) as ex:
        await ex.register("nanning-platform")
        province_case = str(uuid.uuid4())
        await ex.publish(
            CaseAccepted, province_case, ex.case_event(province_case, accepted_by="s1", deadline="2026-12-01")
        )
        batch = {
            "cases": [
                pushed_case("C-1"),
                pushed_case("C-2", region="450203"),  # Liuzhou: not the platform's region
                pushed_case("C-3", status="lost", status_at="yesterday"),
                pushed_case("C-4", status="completed"),
            ]
        }
        push = await ex.client.post("/v1/cases:push", json=batch, headers=ex.system("nanning-platform"))
        assert push.status_code == 200, push.text
        result = push.json()
        assert (result["created"], result["rejected"]) == (2, 2)
        assert [(e["index"], e["case_id"]) for e in result["errors"]] == [(1, "C-2"), (2, "C-3")]
        assert {e["field"] for e in result["errors"][1]["errors"]} == {"status", "status_at"}

        again = await ex.client.post("/v1/cases:push", json=batch, headers=ex.system("nanning-platform"))
        assert (again.json()["created"], again.json()["unchanged"]) == (0, 2), "a repeated push changes nothing"
        later = pushed_case("C-1", status="completed", status_at="2026-11-21T10:00:00+08:00")
        older = pushed_case("C-4", status="accepted", status_at="2026-11-19T10:00:00+08:00")
        moved = await ex.client.post(
            "/v1/cases:push", json={"cases": [later, older]}, headers=ex.system("nanning-platform")
        )
        assert (moved.json()["updated"], moved.json()["unchanged"]) == (1, 1), "an older report does not win"

        async def province_case_seen() -> bool:
            return len(await ex.sql("SELECT id FROM case_record WHERE source = 'province'")) == 1

        await ex.eventually(province_case_seen, 30, "the province's own case from Kafka")
        supervisor = ex.staff("sup-1", department="11450000MB0000009X", roles=("supervisor",), region="450000")
        stats = await ex.client.get("/v1/statistics/cases?region=450100", headers=supervisor)
        assert stats.status_code == 200, stats.text
        assert stats.json()["total"] == 3
        assert stats.json()["by_origin"] == {"province": 1, "external_system": 2}
        assert stats.json()["by_status"] == {"accepted": 1, "completed": 2}
        liuzhou = await ex.client.get("/v1/statistics/cases?region=450200", headers=supervisor)
        assert liuzhou.json()["total"] == 0
        city_sup = ex.staff("sup-2", department=ex.NN_MARKET, roles=("supervisor",), region="450200")
        assert (await ex.client.get("/v1/statistics/cases?region=450100", headers=city_sup)).status_code == 403
        clerk = ex.staff("clerk", department=ex.NN_MARKET, roles=("acceptor",))
        assert (await ex.client.get("/v1/statistics/cases", headers=clerk)).status_code == 403

        outbox = await ex.sql("SELECT type, data FROM outbox_event ORDER BY seq")
        assert [r.type for r in outbox] == [CaseSynced.type] * 3
        for row in outbox:
            CaseSynced.read(row.data)
        assert [r.data["change"] for r in outbox] == ["created", "created", "status_changed"]
        log = await ex.client.get("/v1/audit", headers=supervisor)
        assert [e["path"] for e in log.json()["items"]] == ["/v1/cases:push"] * 3, "each system call is audited"


def published(code: str, version: int, region: str) -> dict[str, Any]:
    """``catalog.item.published`` of an item of ``region``, as catalog publishes it."""
    at = datetime(2026, 11, 1, 8, tzinfo=timezone(timedelta(hours=8)))
    return item_published(item_definition(region=region), code=code, version=version, published_at=at).to_data()


async def test_a_city_platform_pulls_the_catalog_of_its_region_incrementally(serve_exchange: Any) -> None:
    async with serve_exchange(kafka=True) as ex:
        await ex.register("nanning-platform")
        await ex.publish(ItemPublished, "NN-1", published("NN-1", 1, "450103"))
        await ex.publish(ItemPublished, "LZ-1", published("LZ-1", 1, "450203"))
        await ex.publish(ItemPublished, "NN-2", published("NN-2", 1, "450100"))

        async def three() -> bool:
            return len(await ex.sql("SELECT seq FROM catalog_change")) == 3

        await ex.eventually(three, 30, "the catalog events")
        headers = ex.system("nanning-platform")
        first = (await ex.client.get("/v1/catalog/changes?limit=1", headers=headers)).json()
        assert [c["implementation_code"] for c in first["items"]] == ["NN-1"] and first["has_more"] is True
        assert "process" not in first["items"][0]["item"]["definition"]
        rest = (await ex.client.get(f"/v1/catalog/changes?since={first['next_since']}", headers=headers)).json()
        assert [c["implementation_code"] for c in rest["items"]] == ["NN-2"], "Liuzhou's item is not Nanning's"
        withdrawn = {
            "implementation_code": "NN-1",
            "version": 1,
            "region": "450103",
            "withdrawn_at": "2026-11-02T08:00:00+08:00",
        }
        await ex.publish(ItemWithdrawn, "NN-1", withdrawn)

        async def four() -> bool:
            return len(await ex.sql("SELECT seq FROM catalog_change")) == 4

        await ex.eventually(four, 30, "the withdrawal")
        latest = (await ex.client.get(f"/v1/catalog/changes?since={rest['next_since']}", headers=headers)).json()
        assert [(c["implementation_code"], c["operation"], c["item"]) for c in latest["items"]] == [
            ("NN-1", "withdrawn", None)
        ]
        by_time = await ex.client.get(
            "/v1/catalog/changes", params={"since_time": "2026-11-01T12:00:00+08:00"}, headers=headers
        )
        assert [c["operation"] for c in by_time.json()["items"]] == ["withdrawn"]
        other_region = await ex.client.get("/v1/catalog/changes?region=450200", headers=headers)
        assert other_region.status_code == 403 and other_region.json()["type"].endswith("region-not-allowed")


async def test_the_same_new_case_pushed_twice_at_once_is_created_once(serve_exchange: Any) -> None:
    import asyncio

    async with serve_exchange() as ex:
        await ex.register("nanning-platform")
        body = {"cases": [pushed_case("RACE-1")]}
        answers = await asyncio.gather(
            *(ex.client.post("/v1/cases:push", json=body, headers=ex.system("nanning-platform")) for _ in range(4))
        )
        assert [a.status_code for a in answers] == [200] * 4
        assert sorted(a.json()["created"] for a in answers) == [0, 0, 0, 1]
        assert len(await ex.sql("SELECT id FROM case_record")) == 1
        assert len(await ex.sql("SELECT seq FROM outbox_event")) == 1
