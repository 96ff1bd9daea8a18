from pydantic import Field
from pydantic_settings import SettingsConfigDict

from gov_common.settings import ServiceSettings


class Settings(ServiceSettings):
    """Settings of svc-evaluation; environment variables start with ``EVALUATION_`` (or ``GOV_`` when shared)."""

    model_config = SettingsConfigDict(env_prefix="EVALUATION_", extra="ignore")

    service_name: str = "evaluation"

    # Working days a department has to reply to a bad rating (15, 7 or 5 seen by locality; default 15).
    rectification_working_days: int = Field(default=15, ge=1, le=60)
    # Working days a department has to answer a consultation or a complaint.
    consultation_working_days: int = Field(default=5, ge=1, le=60)
    complaint_working_days: int = Field(default=10, ge=1, le=60)

    # Background sweep that emits evaluation.rectification.overdue.
    worker_enabled: bool = True
    worker_interval_seconds: float = Field(default=300.0, gt=0)
