"""Webhook secrets sealed with the service's key ring (gov_common.crypto): bound to the row, opened by any
key still in the ring, refused with a clear message otherwise; production refuses to start without keys."""

from __future__ import annotations

import base64
import secrets
import uuid
from pathlib import Path

import pytest

from exchange.keyring import SecretUnreadable, WebhookSecrets
from exchange.main import create_app
from exchange.models import WebhookSubscription
from exchange.settings import Settings
from exchange.webhooks.signing import new_secret
from gov_common.crypto import KeyConfigError, load_keys, parse


def key() -> str:
    return base64.b64encode(secrets.token_bytes(32)).decode()


def secrets_of(keys: dict[str, str], current: str = "") -> WebhookSecrets:
    settings = Settings(sealing_keys=keys, sealing_key_id=current, data_dir=Path("/nonexistent"))
    return WebhookSecrets(load_keys(settings, service="exchange").ring)


def subscription(sub_id: uuid.UUID | None = None) -> WebhookSubscription:
    return WebhookSubscription(id=sub_id or uuid.uuid4(), clear_secret="")


def test_a_sealed_secret_opens_only_for_its_own_subscription() -> None:
    ring = secrets_of({"k1": key()})
    sub, other = subscription(), subscription()
    secret = new_secret()
    ring.store(sub, secret)
    assert sub.secret_key_id == "k1" and sub.secret_ciphertext is not None
    assert parse(sub.secret_ciphertext).kid == "k1" and sub.clear_secret == ""
    assert secret.encode() not in sub.secret_ciphertext
    assert ring.secret_of(sub) == secret
    other.secret_ciphertext = sub.secret_ciphertext  # copied to another row
    with pytest.raises(SecretUnreadable, match="does not open with key 'k1'"):
        ring.secret_of(other)


def test_an_old_key_still_opens_while_it_is_in_the_ring() -> None:
    k1, k2 = key(), key()
    sub = subscription()
    secrets_of({"k1": k1}).store(sub, "whsec_x")
    rotated = secrets_of({"k1": k1, "k2": k2}, "k2")
    assert rotated.secret_of(sub) == "whsec_x"
    with pytest.raises(SecretUnreadable, match="key 'k1' is not in the ring"):
        secrets_of({"k2": k2}).secret_of(sub)
    with pytest.raises(SecretUnreadable, match="does not open"):
        secrets_of({"k1": key()}).secret_of(sub)
    rotated.store(sub, "whsec_x")
    assert sub.secret_key_id == "k2" and rotated.secret_of(sub) == "whsec_x"


def test_a_secret_missing_is_unreadable_not_a_crash() -> None:
    assert isinstance(secrets_of({"k1": key()}).readable_secret(subscription()), SecretUnreadable)


def test_production_refuses_to_start_without_keys(tmp_path: Path) -> None:
    with pytest.raises(KeyConfigError, match="EXCHANGE_SEALING_KEYS"):
        create_app(Settings(environment="production", data_dir=tmp_path))
