from pydantic import Field
from pydantic_settings import SettingsConfigDict

from gov_common.settings import ServiceSettings


class Settings(ServiceSettings):
    """Settings of svc-catalog; environment variables start with ``CATALOG_`` (or ``GOV_`` when shared)."""

    model_config = SettingsConfigDict(env_prefix="CATALOG_", extra="ignore")

    service_name: str = "catalog"
    # Published answers kept in memory per process (catalog.caching): final versions and current ones.
    read_cache_entries: int = Field(default=4096, ge=1)
    # A publish or withdraw made by another process is served here at most this long after its commit.
    current_ttl_seconds: float = Field(default=2.0, ge=0)
    # How long HTTP caches may keep the answer about an item's current version without asking again.
    current_max_age_seconds: int = Field(default=5, ge=0)
