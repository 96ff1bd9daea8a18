"""Service settings read from the environment.

Every service subclasses :class:`ServiceSettings` and sets its own ``env_prefix`` (``CATALOG_``...).
A value missing under the service prefix falls back to the same name under ``GOV_``, so that what all
services share (the bus, the JWKS address, the data folder) is configured once. The embedded default
needs no variable at all: SQLite files and the embedded event log under ``.var/run``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, EnvSettingsSource, PydanticBaseSettingsSource, SettingsConfigDict

SHARED_PREFIX = "GOV_"


def default_data_dir() -> Path:
    return Path.cwd() / ".var" / "run"


class ServiceSettings(BaseSettings):
    # Errors name the setting, never its value: values include passwords and keys (subclasses inherit this).
    model_config = SettingsConfigDict(env_prefix="SERVICE_", extra="ignore", hide_input_in_errors=True)

    service_name: str = "service"
    environment: Literal["development", "test", "production"] = "development"
    data_dir: Path = Field(default_factory=default_data_dir)

    # Storage: empty means the embedded default, a SQLite file named after the service in data_dir.
    database_url: str = ""
    database_pool_size: int = 10
    migrate_on_start: bool = True

    # Events: "embedded" (SQLite log shared by the processes of one machine) or "kafka".
    event_bus: Literal["embedded", "kafka"] = "embedded"
    event_log_path: Path | None = None
    # Put before every contract's topic (gov_contracts), published and consumed: deployments sharing a cluster.
    topic_prefix: str = Field(default="", max_length=100)
    kafka_bootstrap_servers: str = "127.0.0.1:9092"
    # How every Kafka client of the bus connects: SASL authenticates (as the service's own Kafka user, so
    # that its ACLs apply), SSL encrypts and checks the brokers' certificates against kafka_ssl_cafile (empty:
    # the system's CAs). A client certificate (kafka_ssl_certfile, kafka_ssl_keyfile) is for brokers that
    # authenticate by mutual TLS. PLAIN sends the password itself and is refused without TLS in production.
    kafka_security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    kafka_sasl_mechanism: Literal["SCRAM-SHA-512", "SCRAM-SHA-256", "PLAIN"] = "SCRAM-SHA-512"
    kafka_sasl_username: str = ""
    kafka_sasl_password: SecretStr = SecretStr("")
    kafka_ssl_cafile: Path | None = None
    kafka_ssl_certfile: Path | None = None
    kafka_ssl_keyfile: Path | None = None
    consumer_max_attempts: int = 5
    consumer_retry_backoff_seconds: float = 0.2
    # An event that needs another not yet arrived (gov_common.bus.NotYetKnown) is retried this long
    # before it is dead-lettered; an outage (database or service unreachable) is waited out however long.
    consumer_wait_for_missing_seconds: float = 900.0
    # Up to this many events of a partition are applied in one database transaction (one commit, not one
    # per event); a batch that fails is redone one event at a time. 1 turns batching off.
    consumer_batch_size: int = Field(default=50, ge=1, le=1000)
    outbox_poll_seconds: float = 0.5

    # Tokens: verified against the identity service's JWKS.
    jwks_url: str = "http://127.0.0.1:8001/.well-known/jwks.json"
    token_issuer: str = "http://127.0.0.1:8000/api/identity"
    token_audience: str = "gov-platform"
    jwks_cache_seconds: int = 300
    jwks_min_refetch_seconds: float = 10.0
    # A verified token is remembered (by digest) until it expires, at most this long; 0 turns it off.
    token_cache_seconds: float = Field(default=60.0, ge=0)
    token_cache_size: int = Field(default=10_000, ge=1)
    # Revoked tokens and ended sessions, polled from identity; "" derives it from jwks_url (identity's
    # /v1/revocations beside its /.well-known/jwks.json), "off" turns the check off.
    revocation_url: str = ""
    revocation_refresh_seconds: float = 10.0

    @property
    def effective_revocation_url(self) -> str | None:
        if self.revocation_url == "off":
            return None
        if self.revocation_url:
            return self.revocation_url
        suffix = "/.well-known/jwks.json"
        return self.jwks_url[: -len(suffix)] + "/v1/revocations" if self.jwks_url.endswith(suffix) else None

    # Demo data for `make run` (the launcher sets GOV_DEMO_DATA=true); never in production.
    demo_data: bool = False

    # Telemetry and logs.
    otlp_endpoint: str = ""
    log_level: str = "INFO"
    log_json: bool = True

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        shared = EnvSettingsSource(settings_cls, env_prefix=SHARED_PREFIX, case_sensitive=False)
        return init_settings, env_settings, shared, dotenv_settings, file_secret_settings

    @model_validator(mode="after")
    def _check_kafka_security(self) -> ServiceSettings:
        """Refuse at start-up what would fail later, or silently connect less safely than configured."""
        protocol = self.kafka_security_protocol
        sasl, tls = protocol.startswith("SASL_"), protocol.endswith("SSL")
        if sasl and not (self.kafka_sasl_username and self.kafka_sasl_password.get_secret_value()):
            raise ValueError(f"kafka_security_protocol {protocol} needs kafka_sasl_username and kafka_sasl_password")
        if not sasl and (self.kafka_sasl_username or self.kafka_sasl_password.get_secret_value()):
            raise ValueError(f"kafka_sasl_username/password are set but kafka_security_protocol {protocol} has no SASL")
        tls_files = [self.kafka_ssl_cafile, self.kafka_ssl_certfile, self.kafka_ssl_keyfile]
        if not tls and any(tls_files):
            raise ValueError(f"kafka_ssl_* files are set but kafka_security_protocol {protocol} has no TLS")
        if bool(self.kafka_ssl_certfile) != bool(self.kafka_ssl_keyfile):
            raise ValueError("kafka_ssl_certfile and kafka_ssl_keyfile go together (a client certificate and its key)")
        if protocol == "SASL_PLAINTEXT" and self.kafka_sasl_mechanism == "PLAIN" and self.environment == "production":
            raise ValueError("SASL PLAIN over SASL_PLAINTEXT sends the password in clear: use SASL_SSL in production")
        return self

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{self.data_dir / (self.service_name + '.db')}"

    @property
    def effective_event_log_path(self) -> Path:
        return self.event_log_path or self.data_dir / "events.db"
