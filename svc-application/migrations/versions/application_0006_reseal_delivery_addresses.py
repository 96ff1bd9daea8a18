"""Delivery addresses resealed into gov_common.crypto's format (v1.<kid>.<nonce>.<ciphertext>), bound to
their application ("delivery.address:<application id>").

Values sealed before (nonce || AES-GCM with b"address" as associated data, no key id) are opened here, and
only here, with the previous key: APPLICATION_ADDRESS_KEY when still set, outside production the former
development key, and every key of APPLICATION_SEALING_KEYS (an operator may carry the old key over into the
ring). A value no key opens stops the migration: nothing is lost, set the old key and run it again.

Revision ID: application_0006
Revises: application_0005
Create Date: 2026-12-10 12:00:00
"""

import base64
import hashlib
import os
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from application.settings import Settings
from gov_common.crypto import decode_key, load_keys

revision: str = "application_0006"
down_revision: str | None = "application_0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _old_keys(settings: Settings) -> list[bytes]:
    keys = []
    if text := os.environ.get("APPLICATION_ADDRESS_KEY", ""):
        keys.append(base64.b64decode(text))
    if settings.environment != "production":
        keys.append(hashlib.sha256(b"application-dev-address-key").digest())
    ring = [decode_key(v.get_secret_value(), setting=kid) for kid, v in settings.sealing_keys.items()]
    return [key for key in keys if len(key) == 32] + ring


def _open_old(blob: bytes, keys: list[bytes], where: str) -> bytes:
    for key in keys:
        try:
            return AESGCM(key).decrypt(blob[:12], blob[12:], b"address")
        except InvalidTag:
            continue
    raise RuntimeError(
        f"{where}: no key opens it; set APPLICATION_ADDRESS_KEY to the previous key, or add it to "
        "APPLICATION_SEALING_KEYS, and migrate again"
    )


def upgrade() -> None:
    conn = op.get_bind()
    t = sa.table("delivery", sa.column("application_id", sa.Uuid()), sa.column("address_enc"))
    rows = conn.execute(sa.select(t.c.application_id, t.c.address_enc).where(t.c.address_enc.is_not(None))).all()
    if not rows:
        return  # a new database needs no keys to migrate
    settings = Settings()
    ring, old = load_keys(settings, service="application").ring, _old_keys(settings)
    for application_id, blob in rows:
        blob = bytes(blob)
        aad = f"delivery.address:{application_id}"
        if blob.startswith(b"v1."):
            sealed = ring.reseal(blob, aad=aad)
        else:
            sealed = ring.seal(_open_old(blob, old, f"delivery.address_enc of {application_id}"), aad=aad)
        conn.execute(sa.update(t).where(t.c.application_id == application_id).values(address_enc=sealed.encode()))


def downgrade() -> None:
    raise RuntimeError("values sealed in format v1 are not put back into the previous format")
