"""Expired rows are purged in the background; live ones (and used refresh tokens still needed for reuse
detection) stay."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from identity.models import AuthorizationRequest, LoginSession, RefreshToken, UsedAssertion

from ..conftest import Idp

pytestmark = pytest.mark.postgres


async def test_background_purge_of_expired_rows(idp: Idp) -> None:
    account = await idp.citizen("lisi", id_number="450102198506152342", phone="13800000002")
    now = datetime.now(UTC)
    live_session = uuid.uuid4()
    async with idp.db.transaction() as session:
        session.add(
            LoginSession(id=live_session, token_hash="a" * 64, account_id=account, expires_at=now + timedelta(hours=1))
        )
        await session.flush()
        session.add_all(
            [
                AuthorizationRequest(id="old", browser_hash="x", params={}, expires_at=now - timedelta(minutes=1)),
                AuthorizationRequest(id="new", browser_hash="x", params={}, expires_at=now + timedelta(minutes=5)),
                UsedAssertion(client_id="c", jti="old", expires_at=now - timedelta(seconds=1)),
                RefreshToken(
                    token_hash="used-but-live",
                    family_id=uuid.uuid4(),
                    client_id=(await idp.client())[0],
                    account_id=account,
                    session_id=live_session,
                    scope="openid",
                    auth_time=now,
                    expires_at=now + timedelta(days=1),
                    used_at=now,
                ),
            ]
        )
    await asyncio.sleep(4 * idp.settings.housekeeping_seconds)  # the app's own background loop
    async with idp.db.transaction() as session:
        requests = set((await session.scalars(sa.select(AuthorizationRequest.id))).all())
        assertions = (await session.scalars(sa.select(UsedAssertion))).all()
        refresh = (await session.scalars(sa.select(RefreshToken.token_hash))).all()
    assert requests == {"new"}
    assert assertions == []
    assert refresh == ["used-but-live"]
