"""The key store on PostgreSQL: RS256 as well as ES256, private keys stored wrapped, retired keys
leave the JWKS after the overlap."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from joserfc import jwt
from joserfc.errors import InvalidKeyIdError
from joserfc.jwk import KeySet

from gov_common.testing import database_with
from identity.models import SigningKey, metadata
from identity.pii import PersonalData, load_keys
from identity.settings import Settings
from identity.signing import KeyStore

pytestmark = pytest.mark.postgres


@pytest.mark.parametrize(("alg", "kty"), [("RS256", "RSA"), ("ES256", "EC")])
async def test_sign_publish_rotate_and_retire(pg_url: str, tmp_path: Path, alg: str, kty: str) -> None:
    store = KeyStore(
        PersonalData(load_keys(Settings(data_dir=tmp_path))), alg=alg, overlap_seconds=3600, cache_seconds=0
    )
    async with database_with(pg_url, metadata) as db:
        async with db.transaction() as session:
            token = await store.sign(session, {"sub": "x"}, typ="at+jwt")
            first = await store.jwks(session)
            new_kid = await store.rotate(session)
            both = await store.jwks(session)
        assert [k["kty"] for k in first["keys"]] == [kty]
        assert jwt.decode(token, KeySet.import_key_set(both)).claims["sub"] == "x"
        assert len(both["keys"]) == 2 and both["keys"][0]["kid"] == new_kid, "the newest key first"

        async with db.transaction() as session:
            raw = [bytes(r) for r in (await session.scalars(sa.select(SigningKey.private_jwk_enc))).all()]
            await session.execute(
                sa.update(SigningKey)
                .where(SigningKey.status == "retiring")
                .values(retire_at=datetime.now(UTC) - timedelta(seconds=1))
            )
            after_overlap = await store.jwks(session)
        assert all(b'"d"' not in blob and b"private" not in blob for blob in raw), "stored wrapped"
        assert [k["kid"] for k in after_overlap["keys"]] == [new_kid]
        with pytest.raises(InvalidKeyIdError):  # tokens of the retired key no longer verify
            jwt.decode(token, KeySet.import_key_set(after_overlap))
        assert json.dumps(after_overlap).count('"d"') == 0
