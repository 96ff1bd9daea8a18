from __future__ import annotations

import base64
import binascii

from pydantic import SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from gov_common.settings import ServiceSettings


class Settings(ServiceSettings):
    """Settings of svc-payment; environment variables start with ``PAYMENT_`` (or ``GOV_`` when shared)."""

    model_config = SettingsConfigDict(env_prefix="PAYMENT_", extra="ignore")

    service_name: str = "payment"

    # Orders
    order_ttl_seconds: int = 1800  # an unpaid order expires after this long

    # Background work: expire due orders, ask the channel about orders whose notification is late.
    worker_enabled: bool = True
    worker_interval_seconds: float = 5.0
    query_after_seconds: float = 60.0  # ask the channel when a pending order heard nothing for this long

    # Where the channel sends notifications (service-to-service) and where the browser returns to.
    notify_base_url: str = "http://127.0.0.1:8006"
    # This service as browsers reach it (through the gateway): the sandbox's pay page is served under it.
    public_base_url: str = "http://127.0.0.1:8000/api/payment"
    return_url: str = "http://127.0.0.1:8000/"
    channel_timeout_seconds: float = 10.0

    # Our side of the sandbox channel: its address, our merchant account, its public key.
    sandbox_base_url: str = "http://127.0.0.1:8006/sandbox-channel"
    sandbox_merchant_id: str = "GX-GOV-0001"
    sandbox_merchant_key: SecretStr = SecretStr("")  # empty: this installation's own (payment.sandbox.keys)
    sandbox_public_key: str = ""  # base64 raw Ed25519 public key; empty: derived from the signing seed

    # The sandbox provider itself (mounted at /sandbox-channel, its pay page at public_base_url/sandbox-channel;
    # refused in production), and our adapter for it.
    # Off unless asked for (make run and the tests turn it on): a deployment that forgot
    # GOV_ENVIRONMENT=production must not accept notifications signed by a sandbox.
    sandbox_enabled: bool = False
    # Base64 of 32 random bytes; empty: generated once per installation into data_dir (payment.sandbox.keys).
    sandbox_signing_seed: SecretStr = SecretStr("")
    sandbox_notify_retries: int = 6
    sandbox_notify_backoff_seconds: float = 0.5
    sandbox_duplicate_notifications: int = 2  # each notification is sent this many times, like real channels

    @model_validator(mode="after")
    def _check_sandbox(self) -> Settings:
        if self.sandbox_enabled and self.environment == "production":
            # Anyone holding its key could sign "paid" notifications: production takes real channels only.
            raise ValueError(
                "PAYMENT_SANDBOX_ENABLED must stay off in production (the sandbox channel signs fake payments)"
            )
        seed = self.sandbox_signing_seed.get_secret_value()
        if seed:
            try:
                raw = base64.b64decode(seed, validate=True)
            except binascii.Error:
                raw = b""
            if len(raw) != 32:
                raise ValueError("PAYMENT_SANDBOX_SIGNING_SEED must be base64 of 32 random bytes")
        return self
