from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from gov_common.settings import ServiceSettings

# Back-off between webhook attempts, in seconds: 1 min, 5 min, 15 min, 1 h, 2 h, 4 h, 8 h, 12 h, 24 h
# (about 48 hours in all, so a receiver that is down for a whole day still gets its events).
DEFAULT_WEBHOOK_BACKOFF: list[float] = [60, 300, 900, 3600, 7200, 14400, 28800, 43200, 86400]

# The blind-index key outside production when none is set: documented, so never a secret, and refused in
# production (anyone could recompute the hashes of every ID number with it).
DEV_BLIND_INDEX_KEY = "dev-only-blind-index-key-change-me"
MIN_BLIND_INDEX_KEY_CHARS = 32


class Settings(ServiceSettings):
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

    # Key ring sealing the webhook signing secrets at rest (exchange.keyring): JSON {"<key id>": "<base64 of 32
    # random bytes>"} and the id of the key new secrets are sealed with (may be left empty with one key).
    # Required in production; elsewhere a key is generated once into data_dir/exchange-secret-keys.json.
    secret_keys: dict[str, SecretStr] = Field(default_factory=dict)
    secret_key_id: str = ""
    # How often secrets sealed under another key than the current one are sealed again (after start-up).
    secret_reseal_seconds: float = 600.0

    # Per-system rate limit (token bucket, in memory per process): sustained requests per minute and burst.
    rate_limit_per_minute: int = 600
    rate_limit_burst: int = 60

    # Keyed hash (blind index) of personal identifiers in imported legacy records. Required in production
    # (at least 32 characters, e.g. `openssl rand -hex 32`); elsewhere DEV_BLIND_INDEX_KEY when unset.
    blind_index_key: SecretStr = SecretStr("")

    # Where the file adapter of the national platform writes its batches (default: <data_dir>/national).
    national_outbox_dir: str = ""

    # Identifier of this platform as the `source` of upward batches to the national platform.
    national_source: str = "GX/province/11450000MB0000000X/exchange"
    national_batch_size: int = 1000

    def effective_blind_index_key(self) -> str:
        """The blind-index key; in production a missing, short or development key is refused (the service
        does not start: :func:`exchange.main.create_app` asks at start-up)."""
        key = self.blind_index_key.get_secret_value()
        if self.environment != "production":
            return key or DEV_BLIND_INDEX_KEY
        if not key:
            raise RuntimeError("EXCHANGE_BLIND_INDEX_KEY must be set in production (it hashes imported ID numbers)")
        if key == DEV_BLIND_INDEX_KEY or len(key) < MIN_BLIND_INDEX_KEY_CHARS:
            raise RuntimeError(
                f"EXCHANGE_BLIND_INDEX_KEY must be a random key of at least {MIN_BLIND_INDEX_KEY_CHARS} characters"
                " in production, not the development default (e.g. `openssl rand -hex 32`)"
            )
        return key
