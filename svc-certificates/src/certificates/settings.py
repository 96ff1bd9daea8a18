from pydantic_settings import SettingsConfigDict

from gov_common.crypto import KeySettings
from gov_common.settings import ServiceSettings


class Settings(ServiceSettings, KeySettings):
    """Settings of svc-certificates; environment variables start with ``CERTIFICATES_`` (or ``GOV_`` when shared)."""

    model_config = SettingsConfigDict(env_prefix="CERTIFICATES_", extra="ignore")

    service_name: str = "certificates"

    # Public base URL of this service as verifiers reach it (issuer ids, status lists, QR codes).
    public_base_url: str = "http://127.0.0.1:8000/api/certificates"

    # Keys at rest: sealing_keys, sealing_key_id, index_key (KeySettings, gov_common.crypto); the index key
    # keys holder indexes and digests (the former master key). Required in production; else development keys.

    # Identity: resolves a citizen holder's ID number (GET /v1/accounts/{subject}/holder) with a
    # client-credentials token (scope identity.holder.read).
    identity_url: str = "http://127.0.0.1:8001"
    identity_client_id: str = "svc-certificates"
    identity_client_secret: str = ""

    # Public verification: requests per client address (limits' notation).
    verify_rate_limit: str = "60/minute"
    # Holder-ID checks (holder_id on POST /v1/verify) per licence, from all addresses together: whoever
    # holds a credential must not walk the ID-number space through the platform.
    holder_check_rate_limit: str = "10/hour"
