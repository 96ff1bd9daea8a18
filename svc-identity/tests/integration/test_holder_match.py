"""``POST /v1/holder-matches``: whether the ID number a hall kiosk read is an account's (the hall checks an
appointment's holder before checking it in). Yes or no only, for a system client holding
``identity.holder.match``; the number is never returned, logged or audited; every ask is audited."""

from __future__ import annotations

import logging
import uuid

import pytest
import sqlalchemy as sa

from identity.models import AuditEvent

from ..conftest import Idp
from .test_holder_read import V1, client_token

pytestmark = pytest.mark.postgres

ID_NUMBER = "450102199001011231"
OTHER_ID = "11010519491231002X"


async def test_a_system_with_the_scope_learns_yes_or_no_and_each_ask_is_audited(
    idp: Idp, caplog: pytest.LogCaptureFixture
) -> None:
    citizen = await idp.citizen("zhangsan", id_number=ID_NUMBER, phone="13912345678", real_name="张三")
    token = await client_token(idp, "identity.holder.match")
    headers = {"Authorization": f"Bearer {token}"}
    caplog.set_level(logging.DEBUG)
    asks = [
        (citizen, ID_NUMBER, True),
        (citizen, ID_NUMBER.lower(), True),  # parsed as identity stores it
        (citizen, OTHER_ID, False),  # another person's card
        (uuid.uuid4(), ID_NUMBER, False),  # no such account: the same no
    ]
    async with idp.http() as http:
        for subject, number, expected in asks:
            resp = await http.post(
                f"{V1}/holder-matches", json={"subject": str(subject), "id_number": number}, headers=headers
            )
            assert resp.status_code == 200, resp.text
            assert resp.json() == {"matches": expected}
            assert ID_NUMBER not in resp.text and "张三" not in resp.text
        bad = await http.post(
            f"{V1}/holder-matches", json={"subject": str(citizen), "id_number": "450102199001011232"}, headers=headers
        )
        assert bad.status_code == 422 and bad.headers["content-type"] == "application/problem+json"
    async with idp.db.transaction() as session:
        rows = list(
            await session.scalars(
                sa.select(AuditEvent).where(AuditEvent.action == "account.holder_match").order_by(AuditEvent.at)
            )
        )
    assert [r.details["matches"] for r in rows] == [True, True, False, False]
    assert rows[0].target == str(citizen) and rows[0].actor
    assert all(ID_NUMBER not in str(r.details) and OTHER_ID not in str(r.details) for r in rows)
    assert ID_NUMBER not in caplog.text and OTHER_ID not in caplog.text


async def test_people_and_other_systems_are_refused(idp: Idp) -> None:
    citizen = await idp.citizen("zhangsan", id_number=ID_NUMBER, phone="13912345678")
    holder_read = await client_token(idp, "identity.holder.read")
    own = await idp.token_for(citizen)
    body = {"subject": str(citizen), "id_number": ID_NUMBER}
    async with idp.http() as http:
        for headers in ({"Authorization": f"Bearer {holder_read}"}, {"Authorization": f"Bearer {own}"}, {}):
            resp = await http.post(f"{V1}/holder-matches", json=body, headers=headers)
            assert resp.status_code in (401, 403), resp.text
    async with idp.db.transaction() as session:
        asks = await session.scalar(
            sa.select(sa.func.count()).select_from(AuditEvent).where(AuditEvent.action == "account.holder_match")
        )
    assert asks == 0
