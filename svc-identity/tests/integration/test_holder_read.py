"""``GET /v1/accounts/{subject}/holder``: a citizen's ID number and name for svc-certificates, only for a
system client holding ``identity.holder.read``; every read audited, the number never in logs or audit."""

from __future__ import annotations

import logging
import uuid

import pytest
import sqlalchemy as sa

from identity.models import AuditEvent

from ..conftest import ISSUER, Idp

pytestmark = pytest.mark.postgres

V1 = "/api/identity/v1"
ID_NUMBER = "450102199001011231"


async def client_token(idp: Idp, *scopes: str) -> str:
    client_id, secret = await idp.client(
        auth_method="client_secret_basic", grant_types=("client_credentials",), scopes=scopes
    )
    async with idp.http() as http:
        resp = await http.post(
            f"{ISSUER}/token",
            data={"grant_type": "client_credentials", "scope": " ".join(scopes)},
            auth=(client_id, secret or ""),
        )
    assert resp.status_code == 200, resp.text
    return str(resp.json()["access_token"])


async def test_a_system_with_the_scope_reads_the_holder_and_it_is_audited(
    idp: Idp, caplog: pytest.LogCaptureFixture
) -> None:
    citizen = await idp.citizen("zhangsan", id_number=ID_NUMBER, phone="13912345678", real_name="张三")
    token = await client_token(idp, "identity.holder.read")
    caplog.set_level(logging.DEBUG)
    async with idp.http() as http:
        resp = await http.get(f"{V1}/accounts/{citizen}/holder", headers={"Authorization": f"Bearer {token}"})
        unknown = await http.get(f"{V1}/accounts/{uuid.uuid4()}/holder", headers={"Authorization": f"Bearer {token}"})
    assert resp.status_code == 200, resp.text
    assert resp.json() == {"id_type": "citizen_id", "id_number": ID_NUMBER, "name": "张三"}
    assert unknown.status_code == 404 and unknown.headers["content-type"] == "application/problem+json"
    async with idp.db.transaction() as session:
        rows = list(await session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "account.holder_read")))
    assert len(rows) == 1 and rows[0].target == str(citizen) and rows[0].actor
    assert ID_NUMBER not in str(rows[0].details)
    assert ID_NUMBER not in caplog.text


async def test_anyone_else_is_refused(idp: Idp) -> None:
    citizen = await idp.citizen("zhangsan", id_number=ID_NUMBER, phone="13912345678")
    other_scope = await client_token(idp, "exchange.catalog.read")
    own = await idp.token_for(citizen)
    async with idp.http() as http:
        for headers in ({"Authorization": f"Bearer {other_scope}"}, {"Authorization": f"Bearer {own}"}, {}):
            resp = await http.get(f"{V1}/accounts/{citizen}/holder", headers=headers)
            assert resp.status_code in (401, 403), resp.text
            assert ID_NUMBER not in resp.text
    async with idp.db.transaction() as session:
        reads = await session.scalar(
            sa.select(sa.func.count()).select_from(AuditEvent).where(AuditEvent.action == "account.holder_read")
        )
    assert reads == 0
