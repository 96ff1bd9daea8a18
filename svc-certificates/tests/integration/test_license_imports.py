"""Imports (存量证照归集): a department's own system brings licenses its department issued outside the
platform into holders' wallets; only the types its department's published items produce; the wallet of
the citizen whose ID number it names shows it, nobody else's."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from certificates.demo import DEMO_HOLDER_SUBJECT as DEMO
from certificates.models import HolderLink, License
from gov_common.messaging import outbox_event
from gov_contracts import testing
from gov_contracts.catalog import ItemWithdrawn
from gov_contracts.certificates import LicenseIssued

from ..conftest import BIZ, CITIZEN_ID, DEPT, ENTERPRISE, FOOD, OTHER_DEPT, REGION, TYPE_NAMES, Api, IdentityStub

pytestmark = pytest.mark.postgres

OTHER_CITIZEN_ID = "450102199001011231"


def an_import(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type_code": BIZ,
        "holder": {"id_type": "citizen_id", "id_number": CITIZEN_ID, "name": "李四"},
        "fields": {"entity_name": "南宁市青秀区李四小吃店", "entity_type": "个体工商户"},
        "source_reference": "NN-2019-000123",
    }
    return {**body, **changes}


async def post_import(api: Api, body: dict[str, Any], headers: dict[str, str], key: str = "imp-1") -> httpx.Response:
    return await api.client.post("/v1/licenses/imports", json=body, headers={**headers, "Idempotency-Key": key})


async def licenses(api: Api) -> list[License]:
    """The licences stored, but the demo citizen's (demo data is on)."""
    async with api.app.state.runtime.db.transaction() as session:
        return list(await session.scalars(sa.select(License).where(License.holder_subject.is_distinct_from(DEMO))))


async def test_a_department_system_imports_its_departments_license(api: Api, caplog: pytest.LogCaptureFixture) -> None:
    """Issued by the caller's department and sealed with its seal, in its region, for the ID number (no
    account); the event says so without the number; a replay answers the first 201 and license again."""
    await api.publish_item()
    with caplog.at_level(logging.INFO):
        first = await post_import(api, an_import(), api.department_system())
    replay = await post_import(api, an_import(), api.department_system())
    changed = await post_import(api, an_import(fields={"entity_name": "别的店"}), api.department_system())
    again = await post_import(api, an_import(), api.department_system(), key="imp-2")
    assert first.status_code == 201, first.text
    lic = first.json()
    assert lic["issuer"] == {"code": DEPT, "name": "南宁市市场监督管理局"} and lic["region"] == REGION
    assert lic["case_id"] is None and lic["source_reference"] == "NN-2019-000123"
    assert lic["holder_id_masked"] == "1101**********002X" and lic["type_code"] == BIZ
    assert replay.status_code == 201 and replay.json() == lic and replay.headers["Idempotent-Replayed"] == "true"
    assert replay.headers["Location"] == first.headers["Location"] == f"/v1/licenses/{lic['id']}"
    assert changed.status_code == 409 and changed.headers["content-type"] == "application/problem+json"
    assert changed.json()["type"].endswith(":idempotency-key-reused")
    assert again.status_code == 409 and again.json()["type"].endswith("certificates-license-already-imported")
    [row] = await licenses(api)
    assert row.holder_subject is None and row.imported_by == "nn-market-registry"
    async with api.app.state.runtime.db.transaction() as session:
        [data] = (
            await session.scalars(
                sa.select(outbox_event.c.data).where(
                    outbox_event.c.type == LicenseIssued.type, outbox_event.c.subject == str(row.id)
                )
            )
        ).all()
    assert data["region"] == REGION and data["holder"] == {"subject": None, "name_masked": "李*"}
    assert data["issuer"]["code"] == DEPT and data["case_id"] is None
    assert CITIZEN_ID not in json.dumps(data) and CITIZEN_ID not in caplog.text
    assert "nn-market-registry" in caplog.text, "who imported is logged"


async def test_an_enterprise_license_is_imported_for_its_credit_code(api: Api) -> None:
    """The enterprise's agents find it in the enterprise's wallet."""
    await api.publish_item()
    body = an_import(holder={"id_type": "credit_code", "id_number": ENTERPRISE, "name": "南宁示例科技有限公司"})
    made = await post_import(api, body, api.department_system())
    assert made.status_code == 201, made.text
    wallet = await api.client.get("/v1/wallet/licenses", headers=api.enterprise())
    assert [x["id"] for x in wallet.json()["items"]] == [made.json()["id"]]


async def test_refused_importers_store_nothing(api: Api) -> None:
    """Another department's license type, a staff or citizen token (insufficient_scope), a system without
    a department or region, a type no published item names: 403 problem+json and no license."""
    await api.publish_item(type_code=FOOD, department=OTHER_DEPT)  # 食品经营许可证 is another department's
    await api.publish_item(type_code=BIZ)
    other_type = await post_import(
        api, an_import(type_code=FOOD, fields={"operator_name": "店"}), api.department_system()
    )
    unpublished = next(code for code in TYPE_NAMES if code not in (BIZ, FOOD))
    unpublished_anywhere = await post_import(api, an_import(type_code=unpublished), api.department_system())
    assert other_type.status_code == 403 and other_type.json()["type"].endswith(
        "certificates-not-the-departments-license-type"
    )
    assert unpublished_anywhere.status_code == 403
    staff = api.staff("approver")
    citizen = api.citizen()
    for headers in (staff, citizen):
        resp = await post_import(api, an_import(), headers)
        assert resp.status_code == 403 and resp.json()["error"] == "insufficient_scope", resp.text
        assert resp.headers["content-type"] == "application/problem+json" and "www-authenticate" in resp.headers
    for headers in (api.department_system(None), api.department_system(region=None)):
        resp = await post_import(api, an_import(), headers)
        assert resp.status_code == 403 and resp.json()["type"].endswith("certificates-not-a-department-system")
    no_key = await api.client.post("/v1/licenses/imports", json=an_import(), headers=api.department_system())
    assert no_key.status_code in (400, 428) and no_key.headers["content-type"] == "application/problem+json"
    assert await licenses(api) == []


async def test_a_bad_holder_number_is_422_and_stores_nothing(api: Api) -> None:
    """A wrong check character in the ID number or credit code, or a wrong length: problem+json, no license,
    no seal made (of a department that has none yet: the demo's licence made Nanning market regulation's)."""
    await api.publish_item(department=OTHER_DEPT)
    bad = [
        {"id_type": "citizen_id", "id_number": CITIZEN_ID[:-1] + "1", "name": "李四"},
        {"id_type": "credit_code", "id_number": ENTERPRISE[:-1] + "0", "name": "某公司"},
        {"id_type": "citizen_id", "id_number": "1101051949", "name": "李四"},
    ]
    for n, holder in enumerate(bad):
        resp = await post_import(api, an_import(holder=holder), api.department_system(OTHER_DEPT), key=f"bad-{n}")
        assert resp.status_code == 422 and resp.headers["content-type"] == "application/problem+json", resp.text
    assert await licenses(api) == []
    assert (await api.client.get(f"/v1/issuers/{OTHER_DEPT}")).status_code == 404, "no seal was made"


async def test_the_wallet_shows_an_imported_license_to_its_citizen_only(api: Api, identity: IdentityStub) -> None:
    """The citizen whose ID number it names sees and reads it (identity asked once, the link remembered,
    never the number); another citizen neither lists nor reads it."""
    identity.holders["citizen-2"] = {"id_type": "citizen_id", "id_number": OTHER_CITIZEN_ID, "name": "张三"}
    await api.publish_item()
    made = await post_import(api, an_import(), api.department_system())
    lid = made.json()["id"]
    mine = await api.client.get("/v1/wallet/licenses", headers=api.citizen("citizen-1"))
    again = await api.client.get("/v1/wallet/licenses", params={"type": "营业执照"}, headers=api.citizen("citizen-1"))
    read = await api.client.get(f"/v1/licenses/{lid}", headers=api.citizen("citizen-1"))
    theirs = await api.client.get("/v1/wallet/licenses", headers=api.citizen("citizen-2"))
    stranger = await api.client.get(f"/v1/licenses/{lid}", headers=api.citizen("citizen-2"))
    assert [x["id"] for x in mine.json()["items"]] == [lid]
    assert [x["id"] for x in again.json()["items"]] == [lid]
    assert read.status_code == 200 and read.json()["holder_name"] == "李四"
    assert theirs.status_code == 200 and theirs.json()["items"] == []
    assert stranger.status_code == 404
    assert identity.reads == ["citizen-1", "citizen-2"], "identity is asked once per account"
    async with api.app.state.runtime.db.transaction() as session:
        links = {link.subject: link.id_index for link in await session.scalars(sa.select(HolderLink))}
    assert set(links) == {"citizen-1", "citizen-2"} and CITIZEN_ID not in links.values()


@pytest.mark.parametrize("level", ["1", "2"])
async def test_an_account_not_verified_in_person_does_not_open_an_imported_license(
    api: Api, identity: IdentityStub, level: str
) -> None:
    """Attack: register with someone's ID number (level 1, only declared; or level 2, with their name too,
    which matches the population base: knowledge, not possession) to receive the licenses departments
    import for it. Answer: not listed, not readable, identity not even asked and nothing linked until the
    account is verified in person (level 3)."""
    await api.publish_item()
    lid = (await post_import(api, an_import(), api.department_system())).json()["id"]
    squatter = api.citizen("citizen-1", acr=level)
    listed = await api.client.get("/v1/wallet/licenses", headers=squatter)
    read = await api.client.get(f"/v1/licenses/{lid}", headers=squatter)
    assert listed.status_code == 200 and listed.json()["items"] == []
    assert read.status_code == 404
    assert identity.reads == []
    async with api.app.state.runtime.db.transaction() as session:
        assert (await session.scalars(sa.select(HolderLink))).all() == []


async def test_uses_of_an_imported_license_reach_its_citizens_log(api: Api) -> None:
    """A department the citizen granted it to reads it; the use shows in the citizen's use log."""
    await api.publish_item()
    lid = (await post_import(api, an_import(), api.department_system())).json()["id"]
    grant = await api.client.post(
        "/v1/wallet/grants",
        json={
            "license_id": lid,
            "grantee_kind": "department",
            "grantee": OTHER_DEPT,
            "purpose": "开店登记",
            "expires_at": "2099-01-01T00:00:00+08:00",
        },
        headers={**api.citizen("citizen-1"), "Idempotency-Key": "g1"},
    )
    assert grant.status_code == 201, grant.text
    used = await api.client.get(f"/v1/licenses/{lid}", headers=api.staff("reviewer", department=OTHER_DEPT))
    uses = await api.client.get("/v1/wallet/uses", headers=api.citizen("citizen-1"))
    assert used.status_code == 200
    assert [(u["license_id"], u["basis"]) for u in uses.json()["items"]] == [(lid, "grant")]


async def test_identity_unreachable_shows_the_account_licenses_and_remembers_nothing(
    api: Api, identity: IdentityStub
) -> None:
    """When identity cannot name the citizen, the wallet answers with licenses issued to the account and
    keeps no link, so that the next read asks again and then shows the imported one."""
    await api.publish_item()
    lid = (await post_import(api, an_import(), api.department_system())).json()["id"]
    known = identity.holders.pop("citizen-1")
    down = await api.client.get("/v1/wallet/licenses", headers=api.citizen("citizen-1"))
    async with api.app.state.runtime.db.transaction() as session:
        linked = await session.get(HolderLink, "citizen-1")
    identity.holders["citizen-1"] = known
    up = await api.client.get("/v1/wallet/licenses", headers=api.citizen("citizen-1"))
    assert down.status_code == 200 and down.json()["items"] == [] and linked is None
    assert [x["id"] for x in up.json()["items"]] == [lid]


async def test_a_withdrawn_item_no_longer_opens_its_type(api: Api) -> None:
    """Once catalog withdraws the department's only item producing the type, its system imports it no more."""
    await api.publish_item()
    code = f"000112004000-{DEPT[-4:]}-{BIZ[-4:]}"  # as publish_item names it
    withdrawn = ItemWithdrawn(
        implementation_code=code, version=1, region=REGION, withdrawn_at=datetime(2026, 12, 1, 1, tzinfo=UTC)
    )
    await api.deliver(testing.envelope(withdrawn))
    resp = await post_import(api, an_import(), api.department_system())
    assert resp.status_code == 403 and resp.json()["type"].endswith("certificates-not-the-departments-license-type")
    assert await licenses(api) == []
