"""A citizen applying for themself need not type their ID number: left out, it is the one identity verified
for their account (identity's holder API, a stand-in over HTTP here). Without identity's answer nothing is
written: 422 (no verified number, or no identity client: give it) or 503 (identity down)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from application.case_lookups.holders import HolderSettings, IdentityHolders
from application.models import Application

from ..conftest import ID_NUMBER
from .test_case_lookups import install_identity


async def _count(svc: Any) -> int:
    async with svc.db.read() as session:
        return int((await session.execute(sa.select(sa.func.count()).select_from(Application))).scalar_one())


async def test_the_verified_id_number_is_used_when_the_citizen_leaves_it_out(svc: Any) -> None:
    calls = install_identity(svc, {"citizen-1": ID_NUMBER})
    resp = await svc.create(svc.citizen("citizen-1"), code=svc.items[0], applicant={"name": "张三"})
    assert resp.status_code == 201, resp.text
    async with svc.db.read() as session:
        app = await session.get(Application, resp.json()["id"])
    assert app is not None and app.id_tail == ID_NUMBER[-4:]
    assert calls == ["citizen-1"]
    # A number typed in is taken as given (identity is not asked).
    typed = await svc.create(svc.citizen("citizen-1"), code=svc.items[0])
    assert typed.status_code == 201 and calls == ["citizen-1"]


async def test_without_identitys_answer_nothing_is_written(svc: Any) -> None:
    install_identity(svc, {})  # an account without a verified ID number
    before = await _count(svc)
    bare = {"name": "张三"}
    unknown = await svc.create(svc.citizen("citizen-9"), code=svc.items[0], applicant=bare)
    assert unknown.status_code == 422 and "id_number" in unknown.json()["detail"], unknown.text
    assert unknown.headers["content-type"].startswith("application/problem+json")
    down = HolderSettings(identity_url="http://127.0.0.1:9", identity_client_secret="s", identity_timeout_seconds=1)
    svc.app.state.case_lookup_holders = IdentityHolders(down)
    assert (await svc.create(svc.citizen(), code=svc.items[0], applicant=bare)).status_code == 503
    svc.app.state.case_lookup_holders = IdentityHolders(HolderSettings(identity_client_secret=""))
    unconfigured = await svc.create(svc.citizen(), code=svc.items[0], applicant=bare)
    assert unconfigured.status_code == 422 and "id_number" in unconfigured.json()["detail"]
    assert await _count(svc) == before
