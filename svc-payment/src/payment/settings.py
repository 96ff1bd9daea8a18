from pydantic_settings import SettingsConfigDict

from gov_common.settings import ServiceSettings

# Development keys of the sandbox channel; a real deployment sets its own (and never runs the sandbox).
DEV_SANDBOX_SIGNING_SEED = "c2FuZGJveC1jaGFubmVsLWRldmVsb3BtZW50LXNlZWQ="  # 32 bytes, base64
DEV_SANDBOX_MERCHANT_KEY = "sandbox-merchant-dev-key"


class Settings(ServiceSettings):
    """Settings of svc-payment; environment variables start with ``PAYMENT_`` (or ``GOV_`` when shared)."""

    model_config = SettingsConfigDict(env_prefix="PAYMENT_", extra="ignore")

    service_name: str = "payment"

    # Orders
    order_ttl_seconds: int = 1800  # an unpaid order expires after this long
    fee_requests_topic: str = "gov.workflow.cases"

    # Background work: expire due orders, ask the channel about orders whose notification is late.
    worker_enabled: bool = True
    worker_interval_seconds: float = 5.0
    query_after_seconds: float = 60.0  # ask the channel when a pending order heard nothing for this long

    # Where the channel sends notifications (service-to-service) and where the browser returns to.
    notify_base_url: str = "http://127.0.0.1:8006"
    return_url: str = "http://127.0.0.1:8000/"
    channel_timeout_seconds: float = 10.0

    # Our side of the sandbox channel: its address, our merchant account, its public key.
    sandbox_base_url: str = "http://127.0.0.1:8006/sandbox-channel"
    sandbox_merchant_id: str = "GX-GOV-0001"
    sandbox_merchant_key: str = DEV_SANDBOX_MERCHANT_KEY
    sandbox_public_key: str = ""  # base64 raw Ed25519 public key; empty: derived from the signing seed

    # The sandbox provider itself (mounted at /sandbox-channel; refused in production), and our adapter for it.
    # Off unless asked for (make run and the tests turn it on): a deployment that forgot
    # GOV_ENVIRONMENT=production must not accept notifications signed with the sandbox's dev key.
    sandbox_enabled: bool = False
    sandbox_public_url: str = "http://127.0.0.1:8006/sandbox-channel"
    sandbox_signing_seed: str = DEV_SANDBOX_SIGNING_SEED
    sandbox_notify_retries: int = 6
    sandbox_notify_backoff_seconds: float = 0.5
    sandbox_duplicate_notifications: int = 2  # each notification is sent this many times, like real channels
