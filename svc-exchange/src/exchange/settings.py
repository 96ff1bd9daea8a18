from pydantic_settings import SettingsConfigDict

from gov_common.settings import ServiceSettings


class Settings(ServiceSettings):
    """Settings of svc-exchange; environment variables start with ``EXCHANGE_`` (or ``GOV_`` when shared)."""

    model_config = SettingsConfigDict(env_prefix="EXCHANGE_", extra="ignore")

    service_name: str = "exchange"
