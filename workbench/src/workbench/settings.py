from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from gov_common.scopes import STAFF
from gov_web.settings import WebSettings


class Settings(WebSettings):
    """Settings of the workbench; environment variables start with ``WORKBENCH_`` (or ``GOV_`` when shared)."""

    model_config = SettingsConfigDict(env_prefix="WORKBENCH_", extra="ignore")

    service_name: str = "workbench"
    public_url: str = "http://127.0.0.1:8081"
    client_id: str = "gov-workbench-web"
    client_secret: SecretStr = SecretStr("demo-workbench-web-secret")
    cookie_name: str = "gov_workbench_session"
    # What a staff member's session may do through the API (gov_common.scopes.STAFF); the platform still
    # decides per call by their roles, department and region.
    scope: str = " ".join(["openid", "profile", *sorted(STAFF)])
    # Staff sign in with their TOTP code: identity requires it of staff accounts, and the workbench checks it
    # again in the ID token (amr), so a misconfigured client cannot let a password alone in.
    required_amr: list[str] = Field(default_factory=lambda: ["otp"])
    # Staff sessions end sooner than citizens' when left alone (a shared office computer).
    session_idle_seconds: int = Field(default=15 * 60, ge=60)
