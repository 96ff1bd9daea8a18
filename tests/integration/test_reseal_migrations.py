"""The reseal migrations on PostgreSQL: rows sealed in a service's previous format before the upgrade are
sealed in gov_common.crypto's v1 format after it, open with the configured ring, and their blind indexes are
recomputed under the configured index key."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from gov_common.crypto import parse
from gov_common.db import Database
from gov_common.migrations import upgrade

pytestmark = pytest.mark.postgres

ROOT = Path(__file__).resolve().parents[2]


def _key() -> bytes:
    return secrets.token_bytes(32)


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def _identity_old_seal(key: bytes, value: str, context: str) -> bytes:
    nonce = secrets.token_bytes(12)
    return b"\x01" + nonce + AESGCM(key).encrypt(nonce, value.encode(), context.encode())


async def test_identity_reseals_personal_data_and_signing_keys(
    pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from identity.pii import PersonalData, load_keys
    from identity.settings import Settings

    old_enc, old_wrap, new_key, index_key = _key(), _key(), _key(), _key()
    monkeypatch.setenv("IDENTITY_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("IDENTITY_PII_ENCRYPTION_KEY", _b64(old_enc))
    monkeypatch.setenv("IDENTITY_SIGNING_KEY_WRAP_KEY", _b64(old_wrap))
    monkeypatch.setenv("IDENTITY_SEALING_KEYS", f'{{"2026": "{_b64(new_key)}"}}')
    monkeypatch.setenv("IDENTITY_INDEX_KEY", _b64(index_key))
    migrations = ROOT / "svc-identity" / "migrations"
    db = Database(pg_url)
    try:
        await upgrade(db, migrations, "identity_0009")
        account_id = uuid.uuid4()
        async with db.engine.begin() as conn:
            await conn.execute(
                sa.text(
                    "INSERT INTO account (id, kind, username, password_hash, real_name, id_number_enc, "
                    "id_number_index, phone_enc, phone_index, totp_secret_enc, assurance_level, roles, disabled, "
                    "created_at, updated_at) VALUES (:id, 'citizen', 'old', 'x', '旧', :idn, 'stale', :phone, "
                    "'stale', :totp, 1, '[]', false, now(), now())"
                ),
                {
                    "id": account_id,
                    "idn": _identity_old_seal(old_enc, "450102199001011231", "id_number"),
                    "phone": _identity_old_seal(old_enc, "13800000001", "phone"),
                    "totp": _identity_old_seal(old_enc, "JBSWY3DPEHPK3PXP", "totp"),
                },
            )
            await conn.execute(
                sa.text(
                    "INSERT INTO signing_key (kid, alg, private_jwk_enc, public_jwk, status, created_at) "
                    "VALUES ('k1', 'ES256', :jwk, '{}', 'active', now())"
                ),
                {"jwk": _identity_old_seal(old_wrap, '{"kty": "EC"}', "signing-key")},
            )
        await upgrade(db, migrations)
        async with db.engine.begin() as conn:
            row = (await conn.execute(sa.text("SELECT * FROM account WHERE id = :id"), {"id": account_id})).one()
            wrapped = await conn.scalar(sa.text("SELECT private_jwk_enc FROM signing_key WHERE kid = 'k1'"))
    finally:
        await db.dispose()
    pii = PersonalData(load_keys(Settings()))
    assert parse(row.id_number_enc).kid == "2026" and parse(wrapped).kid == "2026"
    assert pii.decrypt(row.id_number_enc, kind="id_number") == "450102199001011231"
    assert pii.decrypt(row.phone_enc, kind="phone") == "13800000001"
    assert pii.decrypt(row.totp_secret_enc, kind="totp") == "JBSWY3DPEHPK3PXP"
    assert pii.wrap.decrypt(wrapped, context="signing-key") == '{"kty": "EC"}'
    assert row.id_number_index == pii.index("450102199001011231", kind="id_number")
    assert row.phone_index == pii.index("13800000001", kind="phone")


async def test_identity_reseal_stops_when_no_key_opens_a_value(
    pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IDENTITY_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("IDENTITY_PII_ENCRYPTION_KEY", raising=False)
    monkeypatch.delenv("IDENTITY_SIGNING_KEY_WRAP_KEY", raising=False)
    migrations = ROOT / "svc-identity" / "migrations"
    db = Database(pg_url)
    try:
        await upgrade(db, migrations, "identity_0009")
        async with db.engine.begin() as conn:
            await conn.execute(
                sa.text(
                    "INSERT INTO signing_key (kid, alg, private_jwk_enc, public_jwk, status, created_at) "
                    "VALUES ('k1', 'ES256', :jwk, '{}', 'active', now())"
                ),
                {"jwk": _identity_old_seal(_key(), "{}", "signing-key")},
            )
        with pytest.raises(RuntimeError, match="no key opens it"):
            await upgrade(db, migrations)
        async with db.engine.begin() as conn:
            left = await conn.scalar(sa.text("SELECT private_jwk_enc FROM signing_key"))
            version = await conn.scalar(sa.text("SELECT version_num FROM alembic_version"))
    finally:
        await db.dispose()
    assert bytes(left).startswith(b"\x01") and version == "identity_0009", "nothing changed"


async def test_application_reseals_delivery_addresses(pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from application.logistics import AddressCipher
    from application.settings import Settings
    from gov_common.crypto import load_keys

    old_key, new_key = _key(), _key()
    monkeypatch.setenv("APPLICATION_ADDRESS_KEY", _b64(old_key))
    monkeypatch.setenv("APPLICATION_SEALING_KEYS", f'{{"2026": "{_b64(new_key)}"}}')
    migrations = ROOT / "svc-application" / "migrations"
    address = {"recipient": "张三", "phone": "13800000001", "address": "民族大道 1 号"}
    nonce = secrets.token_bytes(12)
    old_blob = nonce + AESGCM(old_key).encrypt(nonce, json.dumps(address, ensure_ascii=False).encode(), b"address")
    application_id = uuid.uuid4()
    db = Database(pg_url)
    try:
        await upgrade(db, migrations, "application_0005")
        async with db.engine.begin() as conn:
            await conn.execute(
                sa.text(
                    "INSERT INTO application (id, status, channel, item_code, item_version, item_name, region, "
                    "department_code, department_name, applicant_kind, applicant_name_masked, id_tail, created_by, "
                    "form, created_at, updated_at) VALUES (:id, 'accepted', 'web', 'I1', 1, '事项', '450102', "
                    "'D1', '部门', 'citizen', '张*', '1231', 'u', '{}', now(), now())"
                ),
                {"id": application_id},
            )
            await conn.execute(
                sa.text(
                    "INSERT INTO delivery (application_id, method, address_enc, status, created_at, updated_at) "
                    "VALUES (:id, 'mail', :blob, 'requested', now(), now())"
                ),
                {"id": application_id, "blob": old_blob},
            )
        await upgrade(db, migrations)
        async with db.engine.begin() as conn:
            sealed = await conn.scalar(sa.text("SELECT address_enc FROM delivery"))
    finally:
        await db.dispose()
    cipher = AddressCipher(load_keys(Settings(), service="application").ring)
    assert parse(sealed).kid == "2026"
    assert cipher.decrypt(sealed, application_id=application_id) == address


def _certificates_old_seal(master: bytes, value: bytes, context: str) -> str:
    nonce = secrets.token_bytes(12)
    aead = AESGCM(hashlib.sha256(b"certificates/aead" + master).digest())
    return base64.urlsafe_b64encode(nonce + aead.encrypt(nonce, value, context.encode())).decode().rstrip("=")


async def test_certificates_reseals_seal_keys_credentials_and_holders(
    pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from certificates.sealing import MasterKey
    from certificates.settings import Settings

    master, new_key = _key(), _key()
    monkeypatch.setenv("CERTIFICATES_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("CERTIFICATES_MASTER_KEY", raising=False)
    monkeypatch.setenv("CERTIFICATES_INDEX_KEY", base64.urlsafe_b64encode(master).decode().rstrip("="))
    monkeypatch.setenv("CERTIFICATES_SEALING_KEYS", f'{{"2026": "{_b64(new_key)}"}}')
    migrations = ROOT / "svc-certificates" / "migrations"
    license_id, kid = uuid.uuid4(), "45010000#1"
    index_key = hashlib.sha256(b"certificates/index" + master).digest()
    old_index = hmac.new(index_key, b"450102199001011231", hashlib.sha256).hexdigest()
    db = Database(pg_url)
    try:
        await upgrade(db, migrations, "certificates_0005")
        async with db.engine.begin() as conn:
            await conn.execute(
                sa.text("INSERT INTO seal VALUES ('45010000', '市场监管局', 1, now())"),
            )
            await conn.execute(
                sa.text(
                    "INSERT INTO seal_key (kid, department_code, vc_private_enc, vc_public_jwk, sm2_private_enc, "
                    "sm2_public_hex, created_at) VALUES (:kid, '45010000', :vc, '{}', :sm2, 'ab', now())"
                ),
                {
                    "kid": kid,
                    "vc": _certificates_old_seal(master, b"PEM", f"{kid}/vc"),
                    "sm2": _certificates_old_seal(master, b"\x01" * 32, f"{kid}/sm2"),
                },
            )
            await conn.execute(
                sa.text(
                    "INSERT INTO license_type (code, name, department_name, fields, template, created_at) "
                    "VALUES ('C1', '营业执照', '市场监管局', '[]', '{}', now())"
                )
            )
            await conn.execute(
                sa.text(
                    "INSERT INTO license (id, identifier, type_code, type_name, version, holder_id_type, "
                    "holder_id_enc, holder_id_index, holder_name, issuer_code, issuer_name, fields, valid_from, "
                    "status, status_index, kid, vc_jwt_enc, sm2_signature, issued_at) VALUES (:id, 'L1', 'C1', "
                    "'营业执照', 1, 'citizen_id', :holder, :index, '张三', '45010000', '市场监管局', '{}', "
                    "current_date, 'active', 0, :kid, :vc, 'ab', now())"
                ),
                {
                    "id": license_id,
                    "kid": kid,
                    "index": old_index,
                    "holder": _certificates_old_seal(master, b"450102199001011231", f"{license_id}/holder"),
                    "vc": _certificates_old_seal(master, b"a.b.c", str(license_id)),
                },
            )
        await upgrade(db, migrations)
        async with db.engine.begin() as conn:
            key_row = (await conn.execute(sa.text("SELECT * FROM seal_key"))).one()
            lic = (await conn.execute(sa.text("SELECT * FROM license"))).one()
    finally:
        await db.dispose()
    keys = MasterKey.from_settings(Settings())
    assert {parse(v).kid for v in (key_row.vc_private_enc, key_row.sm2_private_enc, lic.vc_jwt_enc)} == {"2026"}
    assert keys.decrypt(key_row.vc_private_enc, context=f"{kid}/vc") == b"PEM"
    assert keys.decrypt(key_row.sm2_private_enc, context=f"{kid}/sm2") == b"\x01" * 32
    assert keys.decrypt(lic.vc_jwt_enc, context=str(license_id)) == b"a.b.c"
    assert keys.decrypt(lic.holder_id_enc, context=f"{license_id}/holder") == b"450102199001011231"
    assert lic.holder_id_index == old_index == keys.blind_index("450102199001011231"), "the index key kept it"


async def test_exchange_reseals_webhook_secrets(pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from exchange.keyring import WebhookSecrets
    from exchange.models import WebhookSubscription
    from exchange.settings import Settings
    from gov_common.crypto import load_keys

    old_key, new_key = _key(), _key()
    monkeypatch.setenv("EXCHANGE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("EXCHANGE_SECRET_KEYS", f'{{"2025-01": "{_b64(old_key)}"}}')
    monkeypatch.setenv("EXCHANGE_SEALING_KEYS", f'{{"2026": "{_b64(new_key)}"}}')
    migrations = ROOT / "svc-exchange" / "migrations"
    system_id, sealed_id, clear_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    nonce = secrets.token_bytes(12)
    aad = f"webhook_subscription.secret:{sealed_id}".encode()
    old_blob = nonce + AESGCM(old_key).encrypt(nonce, b"whsec_sealed", aad)
    db = Database(pg_url)
    try:
        await upgrade(db, migrations, "exchange_0005")
        async with db.engine.begin() as conn:
            await conn.execute(
                sa.text(
                    "INSERT INTO external_system (id, identifier, name, kind, region, department, client_id, "
                    "scopes, active, created_at, created_by) VALUES (:id, 'GX/city/11450100MBQH0Y21QM/old', 'old', "
                    "'city_platform', '450100', '11450100MBQH0Y21QM', 'old-platform', '[]', true, now(), 'admin')"
                ),
                {"id": system_id},
            )
            insert = sa.text(
                "INSERT INTO webhook_subscription (id, system_id, url, event_types, secret, secret_key_id, "
                "secret_ciphertext, active, created_at) VALUES (:id, :system, 'https://x.example', '[]', :clear, "
                ":kid, :blob, true, now())"
            )
            await conn.execute(
                insert, {"id": sealed_id, "system": system_id, "clear": "", "kid": "2025-01", "blob": old_blob}
            )
            await conn.execute(
                insert, {"id": clear_id, "system": system_id, "clear": "whsec_clear", "kid": None, "blob": None}
            )
        await upgrade(db, migrations)
        async with db.engine.begin() as conn:
            rows = {r.id: r for r in await conn.execute(sa.text("SELECT * FROM webhook_subscription"))}
    finally:
        await db.dispose()
    ring = WebhookSecrets(load_keys(Settings(), service="exchange").ring)
    for sub_id, secret in ((sealed_id, "whsec_sealed"), (clear_id, "whsec_clear")):
        row = rows[sub_id]
        assert (row.secret, row.secret_key_id, parse(row.secret_ciphertext).kid) == ("", "2026", "2026")
        sub = WebhookSubscription(id=sub_id, secret_ciphertext=row.secret_ciphertext)
        assert ring.secret_of(sub) == secret
