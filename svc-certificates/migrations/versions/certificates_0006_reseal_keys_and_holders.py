"""Seal keys, credentials and holder identifiers resealed into gov_common.crypto's format
(v1.<kid>.<nonce>.<ciphertext>), with the same associated data as before (the row they belong to).

Values sealed before (base64url of nonce || AES-GCM, under a key derived from the master key) are opened
here, and only here, with the former master key: CERTIFICATES_MASTER_KEY when still set,
CERTIFICATES_INDEX_KEY (which takes the master key's place for holder indexes and digests), and the
embedded default's data_dir/certificates-master.key when it exists. Blind indexes and holder digests keep
their derivation (certificates.sealing.MasterKey says why), so nothing else changes. A value no key opens
stops the migration: nothing is lost, set the old key and run it again.

Revision ID: certificates_0006
Revises: certificates_0005
Create Date: 2026-12-10 13:00:00
"""

import base64
import hashlib
import os
from collections.abc import Sequence
from pathlib import Path

import sqlalchemy as sa
from alembic import op
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from certificates.settings import Settings
from gov_common.crypto import decode_key, load_keys

revision: str = "certificates_0006"
down_revision: str | None = "certificates_0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _old_aeads(settings: Settings) -> list[AESGCM]:
    found = [os.environ.get("CERTIFICATES_MASTER_KEY", ""), settings.index_key.get_secret_value()]
    key_file = Path(settings.data_dir) / "certificates-master.key"
    if key_file.exists():
        found.append(key_file.read_text().strip())
    masters = [decode_key(text, setting="CERTIFICATES_MASTER_KEY") for text in found if text]
    return [AESGCM(hashlib.sha256(b"certificates/aead" + key).digest()) for key in masters]


def _open_old(token: str, aad: str, aeads: list[AESGCM], where: str) -> bytes:
    raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    for aead in aeads:
        try:
            return aead.decrypt(raw[:12], raw[12:], aad.encode())
        except InvalidTag:
            continue
    raise RuntimeError(
        f"{where}: no key opens it; set CERTIFICATES_INDEX_KEY (or CERTIFICATES_MASTER_KEY) to the former "
        "master key and migrate again"
    )


def upgrade() -> None:
    conn = op.get_bind()
    seal_key = sa.table("seal_key", sa.column("kid"), sa.column("vc_private_enc"), sa.column("sm2_private_enc"))
    license_ = sa.table("license", sa.column("id", sa.Uuid()), sa.column("vc_jwt_enc"), sa.column("holder_id_enc"))
    keys = conn.execute(sa.select(seal_key.c.kid, seal_key.c.vc_private_enc, seal_key.c.sm2_private_enc)).all()
    licenses = conn.execute(sa.select(license_.c.id, license_.c.vc_jwt_enc, license_.c.holder_id_enc)).all()
    if not keys and not licenses:
        return  # a new database needs no keys to migrate
    settings = Settings()
    ring, old = load_keys(settings, service="certificates").ring, _old_aeads(settings)

    def resealed(token: str, aad: str, where: str) -> str:
        if token.startswith("v1."):
            return ring.reseal(token, aad=aad)
        return ring.seal(_open_old(token, aad, old, where), aad=aad)

    for kid, vc, sm2 in keys:
        values = {
            "vc_private_enc": resealed(vc, f"{kid}/vc", f"seal_key.vc_private_enc of {kid}"),
            "sm2_private_enc": resealed(sm2, f"{kid}/sm2", f"seal_key.sm2_private_enc of {kid}"),
        }
        conn.execute(sa.update(seal_key).where(seal_key.c.kid == kid).values(values))
    for license_id, vc_jwt, holder_id in licenses:
        values = {
            "vc_jwt_enc": resealed(vc_jwt, str(license_id), f"license.vc_jwt_enc of {license_id}"),
            "holder_id_enc": resealed(holder_id, f"{license_id}/holder", f"license.holder_id_enc of {license_id}"),
        }
        conn.execute(sa.update(license_).where(license_.c.id == license_id).values(values))


def downgrade() -> None:
    raise RuntimeError("values sealed in format v1 are not put back into the previous format")
