"""Settings of the gateway; environment variables start with ``GATEWAY_`` (or ``GOV_`` when shared).

The upstream map is a JSON object in ``GATEWAY_UPSTREAMS``, e.g.
``{"catalog": "http://catalog:8000", "identity": "http://identity:8000"}``; it replaces the default map
(ports of the embedded default, ARCHITECTURE.md).
"""

from __future__ import annotations

import re

from pydantic import Field, field_validator
from pydantic_settings import SettingsConfigDict

from gov_common.settings import ServiceSettings

DEFAULT_UPSTREAMS: dict[str, str] = {
    "identity": "http://127.0.0.1:8001",
    "catalog": "http://127.0.0.1:8002",
    "application": "http://127.0.0.1:8003",
    "workflow": "http://127.0.0.1:8004",
    "certificates": "http://127.0.0.1:8005",
    "payment": "http://127.0.0.1:8006",
    "exchange": "http://127.0.0.1:8007",
    "evaluation": "http://127.0.0.1:8008",
}

_SERVICE_NAME = re.compile(r"^[a-z][a-z0-9-]{0,62}$")
# Names the gateway serves itself under /api/.
RESERVED_NAMES = frozenset({"docs", "openapi.json"})


class GatewaySettings(ServiceSettings):
    """Routing, timeouts and limits of the gateway."""

    model_config = SettingsConfigDict(env_prefix="GATEWAY_", extra="ignore")

    service_name: str = "gateway"

    upstreams: dict[str, str] = Field(default_factory=lambda: dict(DEFAULT_UPSTREAMS))
    # Time allowed for an upstream to start answering (and between two reads of its body) before 504.
    upstream_timeout_seconds: float = 30.0
    # Time allowed to open a TCP connection to an upstream.
    connect_timeout_seconds: float = 3.0
    # Idle upstream connections are closed after this; keep it below the upstreams' own keep-alive
    # (uvicorn closes idle connections after 5 s), or a request may race a connection being closed.
    upstream_keepalive_seconds: float = 4.0
    # Connection pool, in total and per upstream (so that one hung service cannot take all of it);
    # a request waiting for a free connection counts against upstream_timeout_seconds.
    upstream_pool_size: int = 1024
    upstream_pool_size_per_host: int = 256
    # Requests with a larger body are answered 413 without reaching the upstream.
    max_body_bytes: int = 50 * 1024 * 1024
    # Bodies up to this size (with a Content-Length) are read at once and sent in one write.
    small_body_bytes: int = 64 * 1024

    # Merged OpenAPI: how long a merged document is served from memory, how long one fetch may take.
    openapi_cache_seconds: float = 30.0
    openapi_fetch_timeout_seconds: float = 3.0
    # /readyz asks each upstream's /readyz with this timeout (it answers 200 even if some are down).
    readiness_probe_timeout_seconds: float = 0.8

    # A span per proxied request. Unset: only when spans are exported (otlp_endpoint), because the
    # instrumentation costs about as much CPU as the proxying itself; without it the caller's
    # traceparent still reaches the services unchanged, and X-Request-ID ties the logs together.
    trace_requests: bool | None = None

    @property
    def tracing(self) -> bool:
        return self.trace_requests if self.trace_requests is not None else bool(self.otlp_endpoint)

    @field_validator("upstreams")
    @classmethod
    def _check_upstreams(cls, value: dict[str, str]) -> dict[str, str]:
        cleaned: dict[str, str] = {}
        for name, url in value.items():
            if not _SERVICE_NAME.match(name) or name in RESERVED_NAMES:
                raise ValueError(f"invalid upstream name {name!r}")
            if not url.startswith(("http://", "https://")):
                raise ValueError(f"upstream {name!r} must be an http(s) URL, got {url!r}")
            cleaned[name] = url.rstrip("/")
        return cleaned
