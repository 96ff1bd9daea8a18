"""The sandbox channel's secrets: its Ed25519 signing seed and our merchant key with it. Set them
(PAYMENT_SANDBOX_SIGNING_SEED, PAYMENT_SANDBOX_MERCHANT_KEY), or each installation makes its own once, in
``data_dir`` (mode 0600): no two installations share a key, so a notification signed by one sandbox is
worth nothing to another. Production never runs the sandbox (the settings refuse it)."""

from __future__ import annotations

import base64
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from payment.settings import Settings

KEY_FILE = "payment-sandbox-keys.json"


@dataclass(frozen=True)
class SandboxKeys:
    signing_seed: str  # base64 of 32 random bytes
    merchant_key: str


def _installation_keys(data_dir: Path) -> dict[str, str]:
    path = data_dir / KEY_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fresh = {
            "signing_seed": base64.b64encode(secrets.token_bytes(32)).decode(),
            "merchant_key": secrets.token_urlsafe(32),
        }
        scratch = path.with_name(f".{KEY_FILE}.{secrets.token_hex(4)}")
        fd = os.open(scratch, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            json.dump(fresh, fh)
        try:
            os.link(scratch, path)  # atomic: of two processes starting together, the first one's keys win
        except FileExistsError:
            pass
        finally:
            scratch.unlink()
    stored: dict[str, str] = json.loads(path.read_text())
    return stored


def sandbox_keys(settings: Settings) -> SandboxKeys:
    """The configured secrets, or this installation's own (made on first use)."""
    seed = settings.sandbox_signing_seed.get_secret_value()
    merchant = settings.sandbox_merchant_key.get_secret_value()
    if not (seed and merchant):
        stored = _installation_keys(settings.data_dir)
        seed, merchant = seed or stored["signing_seed"], merchant or stored["merchant_key"]
    return SandboxKeys(signing_seed=seed, merchant_key=merchant)
