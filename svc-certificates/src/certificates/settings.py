from pydantic_settings import SettingsConfigDict

from gov_common.settings import ServiceSettings


class Settings(ServiceSettings):
    """Settings of svc-certificates; environment variables start with ``CERTIFICATES_`` (or ``GOV_`` when shared)."""

    model_config = SettingsConfigDict(env_prefix="CERTIFICATES_", extra="ignore")

    service_name: str = "certificates"
