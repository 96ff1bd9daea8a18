from pathlib import Path

from pydantic_settings import SettingsConfigDict

from gov_common.crypto import KeySettings
from gov_common.settings import ServiceSettings
from gov_common.storage import StorageSettings


class Settings(ServiceSettings, KeySettings, StorageSettings):
    """Settings of svc-application; environment variables start with ``APPLICATION_`` (or ``GOV_`` when shared)."""

    model_config = SettingsConfigDict(env_prefix="APPLICATION_", extra="ignore")

    service_name: str = "application"
    # Materials: largest accepted upload and the media types accepted (checked by content).
    max_upload_bytes: int = 10 * 1024 * 1024
    allowed_media_types: tuple[str, ...] = ("application/pdf", "image/jpeg", "image/png")
    # Where materials are kept: storage_backend "local" (this folder) or "s3" (s3_endpoint_url, s3_bucket,
    # s3_sse...: StorageSettings, gov_common.storage). Uploads are received in <storage_dir>/.incoming either way.
    storage_dir: Path | None = None  # default: <data_dir>/materials
    # E-license reuse (免提交): svc-certificates' base URL; empty = no lookup (materials must be uploaded).
    certificates_url: str = "http://127.0.0.1:8005"
    certificates_timeout_seconds: float = 3.0
    # A hall kiosk's case look-up: application's own client at identity (identity.holder.read) tells whether
    # the person checked is the applicant; no secret = no look-ups (503).
    identity_url: str = "http://127.0.0.1:8001"
    identity_client_id: str = "svc-application"
    identity_client_secret: str = ""
    identity_timeout_seconds: float = 5.0
    # Public status query: attempts per client address.
    status_query_limit: str = "10/minute"
    # Keys of delivery addresses at rest: sealing_keys, sealing_key_id, index_key (KeySettings,
    # gov_common.crypto). Required in production; elsewhere derived, public, development keys.

    @property
    def effective_storage_dir(self) -> Path:
        return self.storage_dir or self.data_dir / "materials"
