"""Personal data and signing keys resealed into gov_common.crypto's format (v1.<kid>.<nonce>.<ciphertext>).

Values sealed before (b"\\x01" || nonce || AES-GCM, no key id) are opened here, and only here, with the
previous keys: IDENTITY_PII_ENCRYPTION_KEY and IDENTITY_SIGNING_KEY_WRAP_KEY when still set, the embedded
default's data_dir/identity-keys.json when it exists, and every key of IDENTITY_SEALING_KEYS (an operator
may carry the old key over into the ring). Blind indexes are recomputed under IDENTITY_INDEX_KEY. A value
no key opens stops the migration: nothing is lost, set the old key and run it again.

Revision ID: identity_0010
Revises: identity_0009
Create Date: 2026-12-10 11:00:00
"""

import base64
import json
import os
from collections.abc import Sequence
from pathlib import Path

import sqlalchemy as sa
from alembic import op
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from gov_common.crypto import decode_key, load_keys
from identity.settings import Settings

revision: str = "identity_0010"
down_revision: str | None = "identity_0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (table, key column, sealed column, associated data, blind-index column or None)
COLUMNS = (
    ("account", "id", "id_number_enc", "id_number", "id_number_index"),
    ("account", "id", "phone_enc", "phone", "phone_index"),
    ("account", "id", "totp_secret_enc", "totp", None),
    ("phone_change", "id", "phone_enc", "phone", None),
    ("signing_key", "kid", "private_jwk_enc", "signing-key", None),
)


def _old_keys(settings: Settings) -> list[bytes]:
    found = [os.environ.get("IDENTITY_PII_ENCRYPTION_KEY", ""), os.environ.get("IDENTITY_SIGNING_KEY_WRAP_KEY", "")]
    key_file = Path(settings.data_dir) / "identity-keys.json"
    if key_file.exists():
        stored = json.loads(key_file.read_text())
        found += [stored.get("encryption", ""), stored.get("wrap", "")]
    keys = [base64.b64decode(text) for text in found if text]
    ring = [decode_key(v.get_secret_value(), setting=kid) for kid, v in settings.sealing_keys.items()]
    return [key for key in keys if len(key) == 32] + ring


def _open_old(blob: bytes, aad: str, keys: list[bytes], where: str) -> bytes:
    if blob[:1] != b"\x01":
        raise RuntimeError(f"{where}: neither the previous format nor v1")
    for key in keys:
        try:
            return AESGCM(key).decrypt(blob[1:13], blob[13:], aad.encode())
        except InvalidTag:
            continue
    raise RuntimeError(
        f"{where}: no key opens it; set IDENTITY_PII_ENCRYPTION_KEY (and IDENTITY_SIGNING_KEY_WRAP_KEY) to the "
        "previous keys, or add them to IDENTITY_SEALING_KEYS, and migrate again"
    )


def upgrade() -> None:
    conn = op.get_bind()
    for table, pk, column, aad, index_column in COLUMNS:
        names = [pk, column] + ([index_column] if index_column else [])
        t = sa.table(table, *(sa.column(name) for name in names))
        rows = conn.execute(sa.select(t.c[pk], t.c[column]).where(t.c[column].is_not(None))).all()
        if not rows:
            continue  # a new database needs no keys to migrate
        settings = Settings()
        keys, old = load_keys(settings, service="identity"), _old_keys(settings)
        for row_id, blob in rows:
            blob = bytes(blob)
            if blob.startswith(b"v1."):
                plain = keys.ring.open(blob, aad=aad)
                sealed = keys.ring.reseal(blob, aad=aad)
            else:
                plain = _open_old(blob, aad, old, f"{table}.{column} of {row_id}")
                sealed = keys.ring.seal(plain, aad=aad)
            values: dict[str, object] = {column: sealed.encode()}
            if index_column:
                values[index_column] = keys.index.digest(plain.decode(), purpose=aad)
            conn.execute(sa.update(t).where(t.c[pk] == row_id).values(values))


def downgrade() -> None:
    raise RuntimeError("values sealed in format v1 are not put back into the previous format")
