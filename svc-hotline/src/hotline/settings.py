from pydantic import Field
from pydantic_settings import SettingsConfigDict

from gov_common.crypto import KeySettings
from gov_common.settings import ServiceSettings

# Categories are the province's: its supervisors keep them.
PROVINCE = "450000"


class Settings(ServiceSettings, KeySettings):
    """Settings of svc-hotline; environment variables start with ``HOTLINE_`` (or ``GOV_`` when shared).
    Callers' phone numbers and names are sealed at rest with sealing_keys / sealing_key_id and found by a
    blind index under index_key (KeySettings, gov_common.crypto): required in production."""

    model_config = SettingsConfigDict(env_prefix="HOTLINE_", extra="ignore")

    service_name: str = "hotline"

    # The prefix of order numbers (GX12345-YYYYMMDD-NNNNNN).
    number_prefix: str = Field(default="GX12345", pattern=r"^[A-Z0-9]{2,12}$")
    # Background sweep: overdue orders are escalated (hotline.order.overdue), the topic pool recomputed.
    worker_enabled: bool = True
    worker_interval_seconds: float = Field(default=300.0, gt=0)
    # The topic pool: a full recomputation every this many seconds (new orders join the nearest topic
    # between two recomputations); the orders of the last topic_window_days days are clustered.
    topic_recompute_seconds: float = Field(default=3600.0, gt=0)
    topic_window_days: int = Field(default=90, ge=7, le=730)
    topic_max_orders: int = Field(default=20000, ge=100, le=200000)
