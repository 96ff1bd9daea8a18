"""Gateway settings from the environment."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from gateway.public_routes import default_public_routes
from gateway.settings import DEFAULT_UPSTREAMS, GatewaySettings


def test_defaults_follow_the_embedded_ports() -> None:
    settings = GatewaySettings()
    assert settings.service_name == "gateway"
    assert settings.upstreams == DEFAULT_UPSTREAMS
    assert settings.upstreams["catalog"] == "http://127.0.0.1:8002"
    assert settings.max_body_bytes == 50 * 1024 * 1024
    assert settings.upstream_timeout_seconds == 30
    assert settings.connect_timeout_seconds == 3


def test_upstreams_from_json_and_shared_values_from_gov(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GATEWAY_UPSTREAMS", '{"catalog": "http://catalog:8000/", "identity": "http://id:8000"}')
    monkeypatch.setenv("GATEWAY_UPSTREAM_TIMEOUT_SECONDS", "5")
    monkeypatch.setenv("GOV_OTLP_ENDPOINT", "http://collector:4318")
    settings = GatewaySettings()
    assert settings.upstreams == {"catalog": "http://catalog:8000", "identity": "http://id:8000"}
    assert settings.upstream_timeout_seconds == 5
    assert settings.tracing, "traces are on where they are exported"
    assert not GatewaySettings(trace_requests=False).tracing


@pytest.mark.parametrize(
    "upstreams",
    [{"docs": "http://x:1"}, {"openapi.json": "http://x:1"}, {"Bad Name": "http://x:1"}, {"a": "ftp://x"}],
)
def test_bad_upstreams_are_refused(upstreams: dict[str, str]) -> None:
    with pytest.raises(ValidationError):
        GatewaySettings(upstreams=upstreams)


def test_edge_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    defaults = GatewaySettings()
    assert defaults.public_routes == default_public_routes()
    assert defaults.cors_origins == []
    assert defaults.upstream_retries == 2
    monkeypatch.setenv("GOV_JWKS_URL", "http://identity:8000/.well-known/jwks.json")
    monkeypatch.setenv("GOV_TOKEN_ISSUER", "https://zwfw.example.gov.cn/api/identity")
    monkeypatch.setenv("GATEWAY_CORS_ORIGINS", '["https://zwfw.example.gov.cn"]')
    monkeypatch.setenv("GATEWAY_PUBLIC_ROUTES", '{"catalog": ["GET /v1/items", "GET /v1/items/{code}"]}')
    monkeypatch.setenv("GATEWAY_RATE_LIMIT_PER_CLIENT", "5")
    settings = GatewaySettings()
    assert settings.jwks_url == "http://identity:8000/.well-known/jwks.json", "shared with the services"
    assert settings.token_issuer == "https://zwfw.example.gov.cn/api/identity"
    assert settings.cors_origins == ["https://zwfw.example.gov.cn"]
    assert settings.public_routes == {"catalog": ["GET /v1/items", "GET /v1/items/{code}"]}
    assert settings.rate_limit_per_client == 5
