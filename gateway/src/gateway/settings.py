"""Settings of the gateway; environment variables start with ``GATEWAY_`` (or ``GOV_`` when shared).

The upstream map is a JSON object in ``GATEWAY_UPSTREAMS``, e.g.
``{"catalog": "http://catalog:8000", "identity": "http://identity:8000"}``; it replaces the default map
(ports of the embedded default, ARCHITECTURE.md).
"""

from __future__ import annotations

import re

from pydantic import Field, field_validator
from pydantic_settings import SettingsConfigDict

from gateway.public_routes import default_public_routes, parse_route
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
    "hall": "http://127.0.0.1:8009",
    "hotline": "http://127.0.0.1:8010",
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

    # Time allowed from a request's arrival until its upstream's response headers, retries and their
    # pauses included (504 after it); 0 for none. Slow uploads of large bodies count against it.
    request_deadline_seconds: float = 60.0
    # GET, HEAD and OPTIONS are tried again this many times when the upstream could not be reached or
    # answered 502/503 (never other methods: they may have taken effect); pauses are jittered, doubling
    # from retry_backoff_seconds.
    upstream_retries: int = 2
    retry_backoff_seconds: float = 0.05
    # Circuit breaker per upstream: this many failures in a row (no connection, timeout, 502/503/504)
    # answer 503 at once for breaker_open_seconds; then one trial request decides.
    breaker_failure_threshold: int = 5
    breaker_open_seconds: float = 10.0

    # Bearer tokens are verified at the edge with jwks_url, token_issuer and token_audience (shared with
    # the services, GOV_*). Routes listed here need no token: service name to "METHOD /path" entries,
    # {name} one segment, {name:path} the rest; the default is the reviewed table in public_routes.py.
    public_routes: dict[str, list[str]] = Field(default_factory=default_public_routes)
    # A verified token is remembered until it expires, at most this long, for at most this many tokens.
    token_cache_seconds: float = 60.0
    token_cache_size: int = 50_000

    # Rate limits per gateway replica (token buckets in memory): requests a second and burst, per caller
    # (a system's client id; a person's subject, whichever app they use) and per peer address (as uvicorn reports it: trust in
    # X-Forwarded-For is uvicorn's --forwarded-allow-ips). 0 turns a limit off; health probes are exempt.
    rate_limit_per_client: float = 20.0
    rate_limit_client_burst: int = 40
    rate_limit_per_address: float = 50.0
    rate_limit_address_burst: int = 100
    rate_limit_max_keys: int = 100_000

    # Browser origins allowed to call the API (CORS), e.g. ["https://zwfw.example.gov.cn"]; none by default.
    cors_origins: list[str] = Field(default_factory=list)
    cors_max_age_seconds: int = 600
    # Strict-Transport-Security max-age on responses to requests that came over https; 0 for none.
    hsts_seconds: int = 31_536_000

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

    @field_validator("public_routes")
    @classmethod
    def _check_public_routes(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        for routes in value.values():
            for route in routes:
                parse_route(route)
        return value
