"""License types (platform_admin defines, anyone reads), the demo seed, the public endpoints' refusals and
rate limit, and the embedded SQLite default."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from certificates.demo import DEMO_TYPES, seed_demo
from certificates.settings import Settings
from gov_common.testing import TestIssuer, serve_lifespan

from ..conftest import DEPT, ENTERPRISE, OTHER_DEPT, Api

NEW_TYPE = {
    "code": "11100000000013338W099",
    "name": "药品经营许可证",
    "department_name": "药品监督管理部门",
    "fields": [{"name": "company", "label": "企业名称"}],
    "validity_years": 5,
}


async def test_types_are_defined_by_platform_admins_and_public_to_read(api: Api) -> None:
    listed = await api.client.get("/v1/license-types")
    assert {t["name"] for t in listed.json()["items"]} == {t["name"] for t in DEMO_TYPES}
    for headers in (api.staff("approver"), api.citizen(), {}):
        refused = await api.client.post("/v1/license-types", json=NEW_TYPE, headers=headers)
        assert refused.status_code in (401, 403)
    admin = api.staff("platform_admin")
    created = await api.client.post("/v1/license-types", json=NEW_TYPE, headers=admin)
    assert created.status_code == 201, created.text
    assert created.json()["template"] == {"title": "药品经营许可证", "field_order": ["company"]}
    one = await api.client.get(created.headers["Location"])
    assert one.status_code == 200 and one.json() == created.json(), "Location names the new type"
    dup = await api.client.post("/v1/license-types", json=NEW_TYPE, headers=admin)
    assert dup.status_code == 409 and dup.json()["type"].endswith("certificates-license-type-exists")
    bad = await api.client.post("/v1/license-types", json={**NEW_TYPE, "code": "bad code", "name": "x2"}, headers=admin)
    assert bad.status_code == 422
    assert len((await api.client.get("/v1/license-types")).json()["items"]) == len(DEMO_TYPES) + 1


async def test_demo_seed_is_idempotent(api: Api) -> None:
    async with api.app.state.runtime.db.transaction() as session:
        lines = await seed_demo(session, api.app.state.runtime.settings)
    assert "(0 new)" in lines[0]


async def test_public_endpoints_refuse_bad_input(api: Api) -> None:
    both = await api.client.post("/v1/verify", json={"credential": "a.b.c", "identifier": "1.2"})
    assert both.status_code == 400 and both.headers["content-type"] == "application/problem+json"
    assert (await api.client.post("/v1/verify", json={})).status_code == 400
    garbage = await api.client.post("/v1/verify", json={"credential": "not-a-jwt"})
    assert garbage.json()["result"] == "tampered"
    assert (await api.client.get("/v1/verify/1.2.156.3005.2.AAA.BBB.CCC.001.0")).json()["result"] in {
        "tampered",
        "unknown",
    }
    # A department that never issued (the demo's licence made Nanning market regulation's seal).
    assert (await api.client.get(f"/v1/status-lists/{OTHER_DEPT}/revocation")).status_code == 404
    assert (await api.client.get(f"/v1/status-lists/{DEPT}/other")).status_code == 422
    assert (await api.client.get(f"/v1/issuers/{OTHER_DEPT}")).status_code == 404


async def test_verification_is_rate_limited(pg_url: str, app_factory: Callable[..., FastAPI]) -> None:
    app = app_factory(database_url=pg_url, verify_rate_limit="3/minute")
    async with serve_lifespan(app) as client:
        codes = [(await client.get("/v1/verify/1.2.156.3005.2.A.B.C.001.0")).status_code for _ in range(4)]
        limited = await client.post("/v1/verify", json={"identifier": "x"})
    assert codes == [200, 200, 200, 429]
    assert limited.status_code == 429 and limited.headers["retry-after"] == "60"
    assert limited.json()["type"].endswith("certificates-rate-limited")


async def test_holder_id_checks_are_limited_per_license_across_addresses(
    pg_url: str, app_factory: Callable[..., FastAPI], issuer: TestIssuer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Attack: use ``holder_id`` as an oracle, trying ID numbers against one license from many addresses.
    Answer: after the license's checks this hour (3 here), 429 problem+json with Retry-After and nothing
    computed; other licenses and verification without ``holder_id`` still answer."""
    app = app_factory(database_url=pg_url, holder_check_rate_limit="3/hour")
    async with serve_lifespan(app) as client:
        api = Api(client=client, app=app, issuer=issuer)
        lic, other = await api.issue(key="k1"), await api.issue(key="k2")
        master_key = app.state.certificates.master_key
        computed: list[str] = []

        def counting(committed: Any, value: str) -> bool | None:
            computed.append(value)
            return type(master_key).holder_digest_matches(master_key, committed, value)

        monkeypatch.setattr(master_key, "holder_digest_matches", counting)

        async def check(address: str, body: dict[str, str]) -> httpx.Response:
            transport = httpx.ASGITransport(app=app, client=(address, 4000))
            async with httpx.AsyncClient(transport=transport, base_url="http://service") as elsewhere:
                return await elsewhere.post("/v1/verify", json=body)

        guesses = [f"91450100MA5K9X2B{n}J" for n in (4, 5, 6)]  # none is ENTERPRISE
        answers = [
            await check("203.0.113.1", {"credential": lic["credential_jwt"], "holder_id": guesses[0]}),
            await check("203.0.113.2", {"identifier": lic["identifier"], "holder_id": guesses[1]}),
            await check("203.0.113.3", {"credential": lic["credential_jwt"], "holder_id": ENTERPRISE}),
        ]
        refused = await check("203.0.113.4", {"identifier": lic["identifier"], "holder_id": guesses[2]})
        still = await check("203.0.113.4", {"identifier": lic["identifier"]})
        others = await check("203.0.113.4", {"identifier": other["identifier"], "holder_id": ENTERPRISE})
    assert [a.json()["holder_id_matches"] for a in answers] == [False, False, True]
    assert refused.status_code == 429 and refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["type"].endswith("certificates-holder-check-limited")
    assert 3000 < int(refused.headers["retry-after"]) <= 3600
    assert guesses[2] not in computed and computed == [guesses[0], guesses[1], ENTERPRISE, ENTERPRISE]
    assert still.json()["result"] == "authentic" and still.json()["holder_id_matches"] is None
    assert others.json()["holder_id_matches"] is True


async def test_issue_and_verify_on_the_embedded_sqlite_default(tmp_path: Path, issuer: TestIssuer) -> None:
    from certificates.main import create_app

    app = create_app(Settings(data_dir=tmp_path, log_json=False, demo_data=True))
    issuer.install(app)
    async with serve_lifespan(app) as client:
        api = Api(client=client, app=app, issuer=issuer)
        lic = await api.issue()
        verdict = await client.post("/v1/verify", json={"credential": lic["credential_jwt"]})
        revoked = await client.post(
            f"/v1/licenses/{lic['id']}/revoke", json={"reason": "撤销"}, headers=api.staff("approver")
        )
        after = await client.get(f"/v1/verify/{lic['identifier']}")
    assert verdict.json()["result"] == "authentic"
    assert revoked.status_code == 200
    assert after.json()["result"] == "revoked"
    assert not (tmp_path / "certificates-master.key").exists(), "development keys are derived, never written"
    assert (tmp_path / "certificates.db").exists()
