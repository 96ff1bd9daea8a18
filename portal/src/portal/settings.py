from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from gov_common.scopes import PERSON
from gov_web.settings import WebSettings


class Settings(WebSettings):
    """Settings of the portal; environment variables start with ``PORTAL_`` (or ``GOV_`` when shared)."""

    model_config = SettingsConfigDict(env_prefix="PORTAL_", extra="ignore")

    service_name: str = "portal"
    cookie_name: str = "gov_portal_session"
    # What a citizen's or enterprise agent's session may do through the API (gov_common.scopes.PERSON).
    scope: str = " ".join(["openid", "profile", "phone", *sorted(PERSON)])
    # The region shown to a visitor who has not chosen one (GB/T 2260).
    default_region: str = "450100"
    # The portal reports its anonymous usage counts to the catalog (the staff's usage statistics) as this
    # system client (scope catalog.usage.report) every usage_report_seconds; without a secret it does not.
    usage_client_id: str = "gov-portal-usage"
    usage_client_secret: SecretStr = SecretStr("")
    usage_report_seconds: float = Field(default=60.0, gt=0)
