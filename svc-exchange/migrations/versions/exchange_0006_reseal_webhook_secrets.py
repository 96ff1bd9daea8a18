"""Webhook signing secrets resealed into gov_common.crypto's format (v1.<kid>.<nonce>.<ciphertext>, kept as
bytes in secret_ciphertext, the key id also in secret_key_id), bound to their subscription as before.

Secrets sealed before (nonce || AES-GCM under key secret_key_id) are opened here, and only here, with the
previous ring: EXCHANGE_SECRET_KEYS when still set, the embedded default's data_dir/exchange-secret-keys.json
when it exists, and the keys of EXCHANGE_SEALING_KEYS by id (an operator may carry the old ring over).
Secrets still in clear (rows from before exchange_0003) are sealed. A secret no key opens stops the
migration: nothing is lost, set the old keys and run it again.

Revision ID: exchange_0006
Revises: exchange_0005
Create Date: 2026-12-10 14:00:00
"""

import json
import os
from collections.abc import Sequence
from pathlib import Path

import sqlalchemy as sa
from alembic import op
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from exchange.settings import Settings
from gov_common.crypto import decode_key, load_keys

revision: str = "exchange_0006"
down_revision: str | None = "exchange_0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _old_ring(settings: Settings) -> dict[str, bytes]:
    found: dict[str, str] = {}
    key_file = Path(settings.data_dir) / "exchange-secret-keys.json"
    if key_file.exists():
        found |= json.loads(key_file.read_text())
    found |= {kid: value.get_secret_value() for kid, value in settings.sealing_keys.items()}
    found |= json.loads(os.environ.get("EXCHANGE_SECRET_KEYS") or "{}")
    return {kid: decode_key(text, setting=f"EXCHANGE_SECRET_KEYS[{kid!r}]") for kid, text in found.items()}


def upgrade() -> None:
    conn = op.get_bind()
    t = sa.table(
        "webhook_subscription",
        sa.column("id", sa.Uuid()),
        sa.column("secret"),
        sa.column("secret_key_id"),
        sa.column("secret_ciphertext"),
    )
    rows = conn.execute(sa.select(t.c.id, t.c.secret, t.c.secret_key_id, t.c.secret_ciphertext)).all()
    if not rows:
        return  # a new database needs no keys to migrate
    settings = Settings()
    ring, old = load_keys(settings, service="exchange").ring, _old_ring(settings)
    for sub_id, clear, kid, blob in rows:
        aad = f"webhook_subscription.secret:{sub_id}"
        if clear:
            sealed = ring.seal(clear, aad=aad)
        elif blob is None:
            continue  # no secret at all: nothing to seal
        elif bytes(blob).startswith(b"v1."):
            sealed = ring.reseal(bytes(blob), aad=aad)
        else:
            blob = bytes(blob)
            try:
                secret = AESGCM(old[kid]).decrypt(blob[:12], blob[12:], aad.encode())
            except (KeyError, InvalidTag):
                raise RuntimeError(
                    f"webhook_subscription.secret_ciphertext of {sub_id}: no key opens it (key {kid!r}); set "
                    "EXCHANGE_SECRET_KEYS to the previous ring, or add its keys to EXCHANGE_SEALING_KEYS, and "
                    "migrate again"
                ) from None
            sealed = ring.seal(secret, aad=aad)
        values = {"secret": "", "secret_key_id": ring.current, "secret_ciphertext": sealed.encode()}
        conn.execute(sa.update(t).where(t.c.id == sub_id).values(values))


def downgrade() -> None:
    raise RuntimeError("values sealed in format v1 are not put back into the previous format")
