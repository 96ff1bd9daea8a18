from pydantic import Field, model_validator
from pydantic_settings import SettingsConfigDict

from gov_common.settings import ServiceSettings


class Settings(ServiceSettings):
    """Settings of svc-workflow; environment variables start with ``WORKFLOW_`` (or ``GOV_`` when shared)."""

    model_config = SettingsConfigDict(env_prefix="WORKFLOW_", extra="ignore")

    service_name: str = "workflow"

    # Supervision: yellow once this share of the promised time limit is used; the sweep's period.
    sla_warning_share: float = Field(default=0.8, gt=0, lt=1)
    sla_sweep_seconds: float = Field(default=300, gt=0)
    sla_sweep_enabled: bool = True

    # Lets a supervisor evaluate warnings "as of" another time (tests, demos). Refused in production.
    allow_time_travel: bool = False
    # Runs the service's clock this many seconds ahead of the system clock, so that a drill or an end-to-end
    # test sees deadlines pass (restart the service with it). Refused in production; logged loudly elsewhere.
    clock_offset_seconds: float = 0.0

    @model_validator(mode="after")
    def _no_time_travel_in_production(self) -> "Settings":
        if self.environment == "production" and self.allow_time_travel:
            raise ValueError("allow_time_travel must stay off in production")
        if self.environment == "production" and self.clock_offset_seconds:
            raise ValueError("clock_offset_seconds must stay 0 in production")
        return self
