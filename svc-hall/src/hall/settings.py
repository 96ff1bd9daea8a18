from pydantic import Field
from pydantic_settings import SettingsConfigDict

from gov_common.settings import ServiceSettings


class Settings(ServiceSettings):
    """Settings of svc-hall; environment variables start with ``HALL_`` (or ``GOV_`` when shared)."""

    model_config = SettingsConfigDict(env_prefix="HALL_", extra="ignore")

    service_name: str = "hall"

    # An appointment ticket counts as "within its slot" from this many minutes before the slot starts.
    appointment_early_minutes: int = Field(default=15, ge=0, le=120)
    # How often a screen stream looks for new calls (every replica's calls are in the database).
    screen_poll_seconds: float = Field(default=1.0, gt=0, le=30)
    # Background sweep that expires no-shows (called and never served; still waiting after the day).
    worker_enabled: bool = True
    worker_interval_seconds: float = Field(default=30.0, gt=0)
    # A kiosk asks other services as the hall, with its own client at identity (client credentials; hall.platform):
    # application for case look-ups (application.cases.lookup), identity whether the person checked is an
    # appointment's holder (identity.holder.match), certificates for the person's licences to print
    # (certificates.licenses.print). No secret = kiosk check-ins, look-ups and prints answer 503.
    application_url: str = "http://127.0.0.1:8003"
    identity_url: str = "http://127.0.0.1:8001"
    certificates_url: str = "http://127.0.0.1:8005"
    identity_client_id: str = "svc-hall"
    identity_client_secret: str = ""
    platform_timeout_seconds: float = Field(default=5.0, gt=0, le=30)
