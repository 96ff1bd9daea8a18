"""The registry of external systems: deny by default, scopes from both token and registry, rate limits,
platform-admin management, discovery; and the upward national batch through its adapter."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

from gov_contracts.certificates import LicenseIssued
from gov_contracts.evaluation import RatingSubmitted
from gov_contracts.workflow import CaseAccepted


async def test_deny_by_default_and_scopes_from_token_and_registry(serve_exchange: Any) -> None:
    async with serve_exchange() as ex:
        path = "/v1/catalog/changes"
        unknown = await ex.client.get(path, headers=ex.system("not-registered"))
        assert unknown.status_code == 403 and unknown.json()["type"].endswith("system-not-registered")
        assert (await ex.client.get(path)).status_code == 401
        system = await ex.register("pull-only", scopes=["exchange.catalog.read"])
        assert (await ex.client.get(path, headers=ex.system("pull-only"))).status_code == 200
        narrow_token = ex.system("pull-only", scopes=["exchange.cases.write"])
        assert (await ex.client.get(path, headers=narrow_token)).status_code == 403, "the token lacks the scope"
        push = await ex.client.post("/v1/cases:push", json={"cases": [{}]}, headers=ex.system("pull-only"))
        assert push.status_code == 403 and push.json()["required_scope"] == "exchange.cases.write"
        staff = ex.staff("s", department=ex.NN_MARKET, roles=("platform_admin",))
        assert (await ex.client.get(path, headers=staff)).status_code == 403, "systems only"

        suspended = await ex.client.patch(f"/v1/systems/{system['id']}", json={"active": False}, headers=ex.admin())
        assert suspended.json()["active"] is False
        gone = await ex.client.get(path, headers=ex.system("pull-only"))
        assert gone.status_code == 403 and gone.json()["type"].endswith("system-not-registered")


async def test_only_platform_admins_manage_the_registry_and_identifiers_are_checked(serve_exchange: Any) -> None:
    async with serve_exchange() as ex:
        body = {
            "identifier": f"GX/city/{ex.NN_MARKET}/portal",
            "name": "南宁",
            "kind": "city_platform",
            "region": "450100",
            "client_id": "portal",
            "scopes": ["exchange.catalog.read"],
        }
        clerk = ex.staff("clerk", department=ex.NN_MARKET, roles=("catalog_editor",))
        assert (await ex.client.post("/v1/systems", json=body, headers=clerk)).status_code == 403
        assert (await ex.client.post("/v1/systems", json=body, headers=ex.system("portal"))).status_code == 403
        bad = await ex.client.post("/v1/systems", json={**body, "identifier": "nanning-portal"}, headers=ex.admin())
        assert bad.status_code == 422 and bad.json()["type"].endswith("invalid-system-identifier")
        scopes = await ex.client.post("/v1/systems", json={**body, "scopes": ["everything"]}, headers=ex.admin())
        assert scopes.status_code == 422
        first = await ex.client.post("/v1/systems", json=body, headers=ex.admin())
        retry = await ex.client.post("/v1/systems", json=body, headers=ex.admin())
        assert first.status_code == retry.status_code == 201 and first.json()["id"] == retry.json()["id"]
        clash = await ex.client.post("/v1/systems", json={**body, "name": "other"}, headers=ex.admin())
        assert clash.status_code == 409
        listed = await ex.client.get("/v1/systems?limit=1", headers=ex.admin())
        assert [s["client_id"] for s in listed.json()["items"]] == ["portal"]
        assert (await ex.client.get("/v1/systems", headers=clerk)).status_code == 403

        discovery = await ex.client.get("/v1/discovery", headers=ex.system("portal"))
        assert discovery.status_code == 200
        assert discovery.json()["scopes"] == ["exchange.catalog.read"]
        assert [(o["method"], o["path"]) for o in discovery.json()["operations"]] == [("GET", "/v1/catalog/changes")]
        assert discovery.json()["operations"][0]["openapi"]["parameters"]
        assert (await ex.client.get("/v1/discovery", headers=ex.system("stranger"))).status_code == 403
        # a city platform's token names its region (identity's client registration): it discovers too
        held = ["exchange.catalog.read", "exchange.discovery.read"]
        city = ex.issuer.headers("portal", kind="system", scopes=held, client_id="portal", region="450100")
        assert (await ex.client.get("/v1/discovery", headers=city)).status_code == 200
        assert (await ex.client.get("/v1/catalog/changes", headers=city)).status_code == 200


async def test_each_system_is_rate_limited(serve_exchange: Any) -> None:
    async with serve_exchange(rate_limit_per_minute=1, rate_limit_burst=3) as ex:
        await ex.register("busy", scopes=["exchange.catalog.read"])
        await ex.register("calm", scopes=["exchange.catalog.read"])
        codes = [(await ex.client.get("/v1/catalog/changes", headers=ex.system("busy"))).status_code for _ in range(5)]
        assert codes == [200, 200, 200, 429, 429]
        limited = await ex.client.get("/v1/catalog/changes", headers=ex.system("busy"))
        assert int(limited.headers["retry-after"]) >= 1 and limited.json()["type"].endswith("rate-limited")
        assert (await ex.client.get("/v1/catalog/changes", headers=ex.system("calm"))).status_code == 200


async def test_upward_batches_for_the_national_platform(serve_exchange: Any, tmp_path: Path) -> None:
    async with serve_exchange(kafka=True, national_outbox_dir=str(tmp_path / "national")) as ex:
        case_id = str(uuid.uuid4())
        await ex.publish(CaseAccepted, case_id, ex.case_event(case_id, accepted_by="s1", deadline="2026-12-01"))
        rating = {
            "rating_id": "r1",
            "case_id": case_id,
            "level": 5,
            "channel": "web",
            "department": ex.NN_MARKET,
            "region": "450103",
            "item_code": "I",
            "rated_at": "2026-11-21T10:00:00+08:00",
        }
        await ex.publish(RatingSubmitted, "r1", rating)

        license_issued = {
            "license_id": "lic-1",
            "identifier": "1.2.156.3005.2.JY.11450100MBQH0Y21QM.0001.001.X",
            "type_code": "JY",
            "type_name": "食品经营许可证",
            "holder": {"subject": "citizen-1", "name_masked": "李*"},
            "issuer": {"code": ex.NN_MARKET, "name": "南宁市市场监督管理局"},
            "valid_from": "2026-11-21",
            "valid_until": None,
            "case_id": case_id,
            "version": 1,
            "region": "450103",
        }
        await ex.publish(LicenseIssued, "lic-1", license_issued)

        async def three_rows() -> bool:
            return len(await ex.sql("SELECT row_id FROM national_row")) == 3

        await ex.eventually(three_rows, 30, "the national rows")
        clerk = ex.staff("clerk", department=ex.NN_MARKET, roles=("supervisor",))
        assert (await ex.client.post("/v1/national/batches", headers=clerk)).status_code == 403
        sent = await ex.client.post("/v1/national/batches", headers=ex.admin())
        assert sent.status_code == 201 and sent.json()["count"] == 3
        document = json.loads(Path(sent.json()["receipt"]).read_text())
        assert document["batch_id"] == sent.json()["batch_id"]
        assert {r["dataset"] for r in document["records"]} == {"case_accept", "rating", "license"}
        (lic,) = [r for r in document["records"] if r["dataset"] == "license"]
        assert lic["data"]["holder_name_masked"] == "李*" and "holder" not in lic["data"], "no holder subject upward"
        for record in document["records"]:
            assert set(record) == {"row_id", "dataset", "operation", "time", "source", "data"}
            assert "applicant" not in record["data"]
        empty = await ex.client.post("/v1/national/batches", headers=ex.admin())
        assert empty.json()["count"] == 0, "rows are sent once"
        # the national platform's adapter reads a sent batch again; a city platform is not granted that
        batch = f"/v1/national/batches/{sent.json()['batch_id']}"
        await ex.register("national-adapter", kind="national", region="450000", scopes=["exchange.national.read"])
        adapter = ex.system("national-adapter", scopes=["exchange.national.read"])
        again = await ex.client.get(batch, headers=adapter)
        assert again.status_code == 200 and again.json()["records"] == document["records"]
        await ex.register("nanning-platform")
        city = await ex.client.get(batch, headers=ex.system("nanning-platform", scopes=["exchange.national.read"]))
        assert city.status_code == 403 and city.json()["required_scope"] == "exchange.national.read"
        assert (await ex.client.get(batch, headers=ex.admin())).json()["error"] == "insufficient_scope"
