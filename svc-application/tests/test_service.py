"""The embedded default (SQLite + embedded event log): the service boots, and an item published on the
embedded bus can be applied for, end to end, without any server."""

from __future__ import annotations

import asyncio
import time
import uuid
from pathlib import Path

from application.main import SPEC, create_app
from application.settings import Settings
from gov_common.bus import create_bus
from gov_common.testing import TestIssuer, check_service_boots, serve_lifespan
from gov_contracts.catalog import ItemPublished

from .conftest import GOOD_FORM, ID_NUMBER, PDF, item_published_event


async def test_starts_on_the_embedded_default(tmp_path: Path) -> None:
    await check_service_boots(create_app(Settings(data_dir=tmp_path)), title=SPEC.title)
    assert (tmp_path / "application.db").exists(), "its own SQLite file, named after the service"


async def test_apply_on_the_embedded_default(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, environment="test", outbox_poll_seconds=0.1, demo_data=True)
    app = create_app(settings)
    issuer = TestIssuer()
    issuer.install(app)
    catalog_bus = create_bus(Settings(data_dir=tmp_path))
    item = item_published_event()
    await catalog_bus.publish(ItemPublished.topic, [item])
    await catalog_bus.stop()
    async with serve_lifespan(app) as client:
        headers = issuer.headers("citizen-1", kind="citizen")
        deadline = time.monotonic() + 15
        while True:
            resp = await client.post(
                "/v1/applications",
                json={
                    "item_code": item.subject,
                    "applicant": {"name": "张三", "id_number": ID_NUMBER},
                    "form": GOOD_FORM,
                },
                headers={**headers, "Idempotency-Key": uuid.uuid4().hex},
            )
            if resp.status_code != 422 or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.1)
        assert resp.status_code == 201, resp.text
        app_id = resp.json()["id"]
        for name in ("营业执照", "经营场所平面图"):
            up = await client.post(
                f"/v1/applications/{app_id}/materials",
                data={"name": name},
                files={"file": ("a.pdf", PDF, "application/pdf")},
                headers=headers,
            )
            assert up.status_code == 201
        done = await client.post(
            f"/v1/applications/{app_id}/submit", json={}, headers={**headers, "Idempotency-Key": "k"}
        )
        assert done.status_code == 200 and done.json()["tracking_number"].startswith("450100")
        halls = (await client.get("/v1/halls", headers=headers)).json()["items"]
        assert [h["region"] for h in halls] == ["450100"], "the demo hall"
    lines = (tmp_path / "demo" / "application.txt").read_text()
    assert "hall" in lines
