"""Cases city platforms push through exchange (``exchange.case.synced``, here on Kafka) are supervised like
ours: a deadline passed turns them red, their decisions count in the province's on-time rate, and a
supervisor orders on them (exchange tells the city platform)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

from gov_contracts.exchange import CaseSynced, StatusChange
from gov_contracts.workflow import SupervisionOrderIssued
from gov_standards.china_time import CHINA_TZ
from workflow.models import ExternalCase

from ..conftest import LIUZHOU, LZ_MARKET, START, Env, StartEnv

LZ_PLATFORM = "gx/450200/city/lz-platform"


def at(day: int, hour: int = 10) -> datetime:
    return datetime(2026, 2, day, hour, tzinfo=CHINA_TZ)


def pushed(
    record_id: str,
    status: str,
    status_at: datetime,
    *,
    changes: tuple[tuple[str, datetime], ...] = (),
    deadline: date | None = date(2026, 2, 12),
    origin: str = "city_platform",
    change: str = "created",
) -> CaseSynced:
    """``exchange.case.synced`` as exchange publishes a Liuzhou platform's push (accepted on Tue 10 Feb,
    promised by Thu 12 Feb)."""
    return CaseSynced(
        record_id=record_id,
        origin=origin,  # type: ignore[arg-type]
        source=LZ_PLATFORM,
        external_id=f"LZ-{record_id[:8]}",
        tracking_number=f"LZ{record_id[:8]}",
        item_code="000112004000-450200",
        item_name="食品经营许可",
        region=LIUZHOU,
        department=LZ_MARKET,
        status=status,  # type: ignore[arg-type]
        status_at=status_at,
        received_at=START,
        change=change,  # type: ignore[arg-type]
        accepted_at=START,
        deadline=deadline,
        changes=tuple(StatusChange(status=s, at=t) for s, t in changes),  # type: ignore[arg-type]
    )


async def kept(env: Env, record_id: str, status: str) -> ExternalCase:
    async def probe(session: Any) -> ExternalCase | None:
        case: ExternalCase | None = await session.scalar(
            sa.select(ExternalCase).where(ExternalCase.id == uuid.UUID(record_id), ExternalCase.status == status)
        )
        return case

    found: ExternalCase = await env.wait(probe)
    return found


async def test_a_pushed_case_turns_red_and_counts_in_the_province_on_time_rate(
    pg_url: str, kafka_bootstrap: str, start_env: StartEnv
) -> None:
    async with start_env(pg_url, kafka=kafka_bootstrap) as env:
        late, prompt, paused, legacy = (str(uuid.uuid4()) for _ in range(4))
        await env.send(pushed(late, "accepted", START, changes=(("received", START),)))
        # Decided on Wed 11 Feb, reported in one push with the changes before it.
        await env.send(
            pushed(
                prompt, "completed", at(11), changes=(("received", START), ("accepted", START), ("approved", at(11)))
            )
        )
        # 补正 from Wed 11 Feb: its clock stops, so it does not turn red while it waits.
        await env.send(pushed(paused, "supplement_requested", at(11), changes=(("accepted", START),)))
        # A legacy import is history, not supervised.
        await env.send(pushed(legacy, "accepted", START, origin="legacy_import"))
        await kept(env, late, "accepted")
        done = await kept(env, prompt, "completed")
        assert (done.on_time, done.handling_days) == (True, 1)
        assert [h["status"] for h in done.history] == ["received", "accepted", "approved", "completed"]
        await kept(env, paused, "supplement_requested")

        province = env.staff("supervisor", region="450000", department="11450000MB0000000X", subject="gx-sup")
        # Fri 13 Feb: the accepted one is past Thu 12 Feb.
        sweep = await env.client.post(
            "/v1/supervision/evaluations", json={"as_of": "2026-02-13T10:00:00+08:00"}, headers=province
        )
        assert sweep.status_code == 200
        assert (sweep.json()["city_platform_overdue"], sweep.json()["city_platform_warned"]) == (1, 0)
        reds = (await env.client.get("/v1/supervision/external-cases?level=red", headers=province)).json()["items"]
        assert [c["id"] for c in reds] == [late]
        assert reds[0]["deadline"] == "2026-02-12" and reds[0]["source"] == LZ_PLATFORM
        summary = (await env.client.get("/v1/supervision/summary", headers=province)).json()
        assert summary["open_by_level"]["red"] == 1 and summary["by_origin"] == {"province": 0, "city_platform": 3}

        # A supervisor orders on it; the order names the platform's own case for exchange's webhook.
        order = await env.client.post(
            "/v1/supervision/orders",
            json={"target": "external_case", "case_id": late, "reason": "超期未办结，请说明", "working_days": 2},
            headers=province,
        )
        assert order.status_code == 201, order.text
        issued = SupervisionOrderIssued.model_validate(
            await env.event_data(uuid.UUID(order.json()["id"]), SupervisionOrderIssued.type)
        )
        assert issued.case is not None and (issued.case.kind, issued.case.source, issued.case.external_id) == (
            "external_case",
            LZ_PLATFORM,
            f"LZ-{late[:8]}",
        )
        assert issued.department == LZ_MARKET and issued.region == LIUZHOU
        assert order.json()["tracking_number"] == issued.case.tracking_number, "the city platform's number"

        # Completed on Tue 24 Feb, after its deadline: half the decided cases were on time.
        await env.send(pushed(late, "completed", at(24), change="status_changed"))
        finished = await kept(env, late, "completed")
        assert finished.on_time is False and finished.closed_at is not None
        summary = (await env.client.get("/v1/supervision/summary", headers=province)).json()
        assert summary["city_platform"]["completed"] == 2 and summary["city_platform"]["on_time_rate"] == 0.5
        assert summary["on_time_rate"] == 0.5 and summary["open_by_level"]["red"] == 0
        assert summary["city_platform"]["by_status"] == {"completed": 2, "supplement_requested": 1}

        # Nanning's supervisor sees nothing of Liuzhou's cases.
        nanning = env.staff("supervisor", region="450100", department="11450000MB0000000X", subject="nn-sup")
        assert (await env.client.get(f"/v1/supervision/external-cases/{late}", headers=nanning)).status_code == 404
        assert (await env.client.get("/v1/supervision/external-cases", headers=nanning)).json()["items"] == []
        theirs = (await env.client.get("/v1/supervision/summary", headers=nanning)).json()
        assert theirs["city_platform"]["total"] == 0
        async with env.db.transaction() as session:
            assert await session.get(ExternalCase, uuid.UUID(legacy)) is None
