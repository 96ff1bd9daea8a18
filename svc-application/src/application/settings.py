from pydantic_settings import SettingsConfigDict

from gov_common.settings import ServiceSettings


class Settings(ServiceSettings):
    """Settings of svc-application; environment variables start with ``APPLICATION_`` (or ``GOV_`` when shared)."""

    model_config = SettingsConfigDict(env_prefix="APPLICATION_", extra="ignore")

    service_name: str = "application"
