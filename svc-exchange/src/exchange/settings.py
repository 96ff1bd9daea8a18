from pydantic import Field
from pydantic_settings import SettingsConfigDict

from gov_common.crypto import KeySettings
from gov_common.settings import ServiceSettings

# Back-off between webhook attempts, in seconds: 1 min, 5 min, 15 min, 1 h, 2 h, 4 h, 8 h, 12 h, 24 h
# (about 48 hours in all, so a receiver that is down for a whole day still gets its events).
DEFAULT_WEBHOOK_BACKOFF: list[float] = [60, 300, 900, 3600, 7200, 14400, 28800, 43200, 86400]


class Settings(ServiceSettings, KeySettings):
    """Settings of svc-exchange; environment variables start with ``EXCHANGE_`` (or ``GOV_`` when shared)."""

    model_config = SettingsConfigDict(env_prefix="EXCHANGE_", extra="ignore")

    service_name: str = "exchange"

    # Webhooks: seconds to wait before each retry; when the list is used up the delivery is dead-lettered.
    webhook_backoff_seconds: list[float] = Field(default_factory=lambda: list(DEFAULT_WEBHOOK_BACKOFF))
    webhook_timeout_seconds: float = 10.0
    webhook_poll_seconds: float = 1.0
    webhook_worker_enabled: bool = True
    # Webhook URLs must reach public addresses only: loopback, private, link-local and other non-global
    # addresses are refused at subscription and again, after DNS, before every attempt, so that a system
    # cannot make exchange call into the platform's own network. True only for tests and local receivers.
    webhook_allow_private_addresses: bool = False

    # Keys at rest: sealing_keys, sealing_key_id (webhook signing secrets, exchange.keyring) and index_key
    # (keyed hashes of identifiers in imported records); KeySettings, gov_common.crypto. Required in
    # production; elsewhere derived, public, development keys.
    # How often secrets sealed under another key than the current one are sealed again (after start-up).
    secret_reseal_seconds: float = 600.0

    # Per-system rate limit (token bucket, in memory per process): sustained requests per minute and burst.
    rate_limit_per_minute: int = 600
    rate_limit_burst: int = 60

    # Where the file adapter of the national platform writes its batches (default: <data_dir>/national).
    national_outbox_dir: str = ""

    # Identifier of this platform as the `source` of upward batches to the national platform.
    national_source: str = "GX/province/11450000MB0000000X/exchange"
    national_batch_size: int = 1000
