from pydantic_settings import SettingsConfigDict

from gov_common.crypto import KeySettings
from gov_common.settings import ServiceSettings


class Settings(ServiceSettings, KeySettings):
    """Settings of svc-identity; environment variables start with ``IDENTITY_`` (or ``GOV_`` when shared)."""

    model_config = SettingsConfigDict(env_prefix="IDENTITY_", extra="ignore")

    service_name: str = "identity"

    # Keys of personal data and signing keys at rest: sealing_keys, sealing_key_id, index_key (KeySettings,
    # gov_common.crypto). Required in production; elsewhere derived, public, development keys.

    signing_alg: str = "ES256"
    access_token_ttl_seconds: int = 600
    id_token_ttl_seconds: int = 600
    refresh_token_ttl_seconds: int = 30 * 24 * 3600
    authorization_code_ttl_seconds: int = 60
    login_request_ttl_seconds: int = 900
    session_ttl_seconds: int = 8 * 3600
    # A rotated-out key stays published this long, longer than any token it signed lives.
    key_overlap_seconds: int = 3600
    key_cache_seconds: float = 30.0

    # Lockout: after `threshold` failures in a row, locked for base * 2^(extra failures), capped.
    lockout_account_threshold: int = 5
    lockout_address_threshold: int = 20
    lockout_base_seconds: int = 30
    lockout_max_seconds: int = 3600

    housekeeping_seconds: float = 600.0

    # A password reset by text message waits this long after a recovery factor (mobile number, TOTP) changed:
    # whoever changed it with a stolen session cannot reset at once (staff still reset in person).
    recovery_change_reset_delay_days: int = 7
    # A staff member's TOTP code re-authenticates a sensitive change only if they signed in this recently.
    reauthentication_max_age_seconds: int = 900
    # Real-name checks one staff member may make in an hour: a window serves a person every few minutes, so a
    # clerk far beyond this is trying names against ID numbers (the check is an oracle), not serving people.
    real_name_checks_per_hour: int = 60

    # Demo data only: where the internet portal runs (its confidential client's redirect URI is <url>/callback).
    demo_portal_url: str = "http://127.0.0.1:8080"
    # Demo data only: where the staff workbench runs (its confidential client's redirect URI is <url>/callback).
    demo_workbench_url: str = "http://127.0.0.1:8081"

    # The name the sign-in pages carry in their header and title (统一身份认证 of the province that runs it).
    site_name: str = "广西统一身份认证"
    session_cookie_name: str = "gov_sso"
    cookie_secure: bool = False
