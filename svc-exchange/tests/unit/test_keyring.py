"""The key ring sealing webhook secrets: bound to the row, opened by any key still in the ring, refused
with a clear message otherwise; configured keys checked; a development key made once, never in production."""

from __future__ import annotations

import base64
import secrets
import stat
import uuid
from pathlib import Path

import pytest

from exchange.keyring import KEY_FILE, KeyRing, Sealed, SecretUnreadable
from exchange.main import create_app
from exchange.settings import Settings
from exchange.webhooks.signing import new_secret


def key() -> str:
    return base64.b64encode(secrets.token_bytes(32)).decode()


def ring(keys: dict[str, str], current: str = "", tmp: Path | None = None) -> KeyRing:
    return KeyRing.from_settings(
        Settings(secret_keys=keys, secret_key_id=current, data_dir=tmp or Path("/nonexistent"))
    )


def test_a_sealed_secret_opens_only_for_its_own_subscription() -> None:
    keys = ring({"k1": key()})
    sub, other = uuid.uuid4(), uuid.uuid4()
    secret = new_secret()
    sealed = keys.seal(secret, subscription_id=sub)
    assert sealed.key_id == "k1"
    assert secret.encode() not in sealed.ciphertext
    assert base64.b64decode(secret.removeprefix("whsec_")) not in sealed.ciphertext
    assert keys.open(sealed, subscription_id=sub) == secret
    assert keys.seal(secret, subscription_id=sub).ciphertext != sealed.ciphertext, "a fresh nonce each time"
    with pytest.raises(SecretUnreadable, match="does not open with key 'k1'"):
        keys.open(sealed, subscription_id=other)  # copied to another row


def test_an_old_key_still_opens_while_it_is_in_the_ring() -> None:
    k1, k2 = key(), key()
    sub = uuid.uuid4()
    sealed = ring({"k1": k1}).seal("whsec_x", subscription_id=sub)
    rotated = ring({"k1": k1, "k2": k2}, "k2")
    assert rotated.open(sealed, subscription_id=sub) == "whsec_x"
    assert rotated.seal("whsec_x", subscription_id=sub).key_id == "k2"
    with pytest.raises(SecretUnreadable, match="key 'k1' is not in EXCHANGE_SECRET_KEYS"):
        ring({"k2": k2}).open(sealed, subscription_id=sub)
    with pytest.raises(SecretUnreadable, match="a different key"):
        ring({"k1": key()}).open(sealed, subscription_id=sub)
    with pytest.raises(SecretUnreadable):
        rotated.open(Sealed("k1", sealed.ciphertext[:-1] + bytes([sealed.ciphertext[-1] ^ 1])), subscription_id=sub)


@pytest.mark.parametrize(
    ("keys", "current", "message"),
    [
        ({"k1": "not base64!"}, "", r"EXCHANGE_SECRET_KEYS\['k1'\] must be base64 of 32 random bytes"),
        ({"k1": base64.b64encode(b"short").decode()}, "", "must be base64 of 32 random bytes"),
        ({"k1": key()}, "k2", "EXCHANGE_SECRET_KEY_ID 'k2' is not a key"),
        ({"k1": key(), "k2": key()}, "", "EXCHANGE_SECRET_KEY_ID must name the current key"),
        ({"x" * 65: key()}, "", "1 to 64 characters"),
    ],
)
def test_a_malformed_ring_is_refused_with_a_clear_message(keys: dict[str, str], current: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ring(keys, current)


def test_keys_come_from_the_environment_as_json(monkeypatch: pytest.MonkeyPatch) -> None:
    k1, k2 = key(), key()
    sealed = ring({"2026-01": k1}).seal("whsec_y", subscription_id=uuid.UUID(int=1))
    monkeypatch.setenv("EXCHANGE_SECRET_KEYS", f'{{"2026-01": "{k1}", "2026-07": "{k2}"}}')
    monkeypatch.setenv("EXCHANGE_SECRET_KEY_ID", "2026-07")
    settings = Settings()
    assert k1 not in repr(settings) and k2 not in repr(settings), "keys never appear in a repr"
    keys = KeyRing.from_settings(settings)
    assert keys.current == "2026-07"
    assert keys.open(sealed, subscription_id=uuid.UUID(int=1)) == "whsec_y"


def test_development_makes_one_key_file_and_keeps_it(tmp_path: Path) -> None:
    first = ring({}, tmp=tmp_path)
    path = tmp_path / KEY_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    sealed = first.seal("whsec_z", subscription_id=uuid.UUID(int=2))
    assert ring({}, tmp=tmp_path).open(sealed, subscription_id=uuid.UUID(int=2)) == "whsec_z"


def test_production_refuses_to_start_without_keys(tmp_path: Path) -> None:
    settings = Settings(environment="production", data_dir=tmp_path)
    with pytest.raises(RuntimeError, match="EXCHANGE_SECRET_KEYS must be set in production"):
        create_app(settings)
    assert not (tmp_path / KEY_FILE).exists(), "no development key is made in production"
