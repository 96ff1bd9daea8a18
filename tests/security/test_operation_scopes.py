"""Attack: a client that a person (or an admin) allowed only ``openid profile`` calls the platform's APIs
with its token. Answer: 403 ``insufficient_scope`` on every non-public operation of every service, for
every kind of caller, before anything is read or changed.

The operation list is each service's own OpenAPI document (and the routes it hides from it), as the
route-auth test walks it, so a new route without a declared scope fails here: every non-public operation
names exactly one scope of the catalogue (gov_common.scopes) in its ``security``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from test_route_auth import operations, probe_body, service_app

from gateway.public_routes import INTERNAL_PATHS, PUBLIC_ROUTES
from gov_common.scopes import CATALOGUE
from gov_common.testing import SERVICES, TestIssuer, serve_lifespan, serve_on_port
from identity.policy import ROLES

PROBLEM = "application/problem+json"
# OpenID Connect's own resource: it needs the OIDC scope ``openid`` (and shows claims by ``profile`` and
# ``phone``), no API scope; identity reads its tokens from its own tables, so it is tested there
# (test_userinfo_needs_openid in test_scopes_and_tokens.py).
OIDC_OPERATIONS = {"GET /userinfo", "POST /userinfo"}
# The most a token of each kind could be, but for its scopes.
CALLERS: dict[str, dict[str, Any]] = {
    "citizen": {"kind": "citizen"},
    "enterprise": {"kind": "enterprise", "enterprise": "91450100MA5L000004"},
    "staff": {
        "kind": "staff",
        "roles": sorted(ROLES),
        "region": "450000",
        "department": "11450100MBQH0Y21QM",
    },
    "system": {"kind": "system", "region": "450000", "client_id": "city-450100"},
}


def declared_scopes(app: FastAPI, spec: dict[str, Any], method: str, template: str) -> list[str]:
    """The scopes an operation names: from its OpenAPI ``security``, or for a hidden route from its
    dependencies (the same ``scoped()`` declares both)."""
    operation = spec["paths"].get(template, {}).get(method.lower())
    if operation is not None:
        return [s for requirement in operation.get("security", []) for s in requirement.get("oauth2", [])]
    for route in iter_route_contexts(app.routes):
        original = route.original_route
        if isinstance(original, APIRoute) and route.path == template and method in (route.methods or ()):
            return [s for dep in original.dependant.dependencies for s in dep.own_oauth_scopes or []]
    return []


@pytest.mark.parametrize("service", SERVICES)
async def test_every_operation_needs_one_catalogue_scope(
    service: str, pg_url: str, kafka_bootstrap: str, tmp_path: Path
) -> None:
    issuer = TestIssuer()
    public = {p.route for p in PUBLIC_ROUTES[service]}
    async with serve_on_port(issuer.jwks_app) as identity:
        trust = {"jwks_url": f"{identity}/jwks", "token_issuer": issuer.issuer, "token_audience": issuer.audience}
        app = service_app(service, pg_url, kafka_bootstrap, tmp_path, **trust)
        issuer.install(app)  # identity verifies with its own key table otherwise
        failures: list[str] = []
        async with serve_lifespan(app) as client:
            spec = (await client.get("/openapi.json")).json()
            assert "oauth2" in spec.get("components", {}).get("securitySchemes", {}), "the scheme is documented"
            for (method, template), path in sorted(operations(app, spec).items()):
                route = f"{method} {template}"
                if template in INTERNAL_PATHS or route in public:
                    continue
                if route in OIDC_OPERATIONS:
                    continue
                scopes = declared_scopes(app, spec, method, template)
                if len(scopes) != 1 or scopes[0] not in CATALOGUE:
                    failures.append(f"{route}: declares {scopes}, not exactly one catalogue scope")
                    continue
                body = probe_body(spec, method, template)
                for name, claims in CALLERS.items():
                    token = issuer.token(f"{name}-1", scopes=["openid", "profile"], **claims)
                    resp = await client.request(method, path, headers={"Authorization": f"Bearer {token}"}, **body)
                    problem = resp.json() if resp.headers.get("content-type") == PROBLEM else {}
                    if resp.status_code != 403 or problem.get("error") != "insufficient_scope":
                        failures.append(f"{route} as {name} with openid profile: {resp.status_code} {resp.text[:120]}")
                    elif f'scope="{scopes[0]}"' not in resp.headers.get("www-authenticate", ""):
                        failures.append(f"{route}: 403 without the RFC 6750 challenge naming {scopes[0]}")
        assert not failures, "\n".join(failures)


def test_the_scope_reference_lists_the_whole_catalogue() -> None:
    """The operators' and integrators' reference (docs/security.md) names every scope the platform checks."""
    reference = (Path(__file__).resolve().parents[2] / "docs" / "security.md").read_text(encoding="utf-8")
    missing = [scope for scope in CATALOGUE if f"`{scope}`" not in reference]
    assert not missing, f"docs/security.md lacks {missing}"
