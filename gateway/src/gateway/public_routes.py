"""The routes the gateway lets through without a bearer token: one reviewed list, per service.

Everything else under ``/api/<service>/`` needs a valid token at the edge (the service checks it again).
``tests/integration/test_route_auth.py`` boots every service and checks this list against what each one
really does: a route listed here must not answer 401 without a token, every other route must. So a
route made public in a service fails that test until it is added (and reviewed) here, and the reverse.

Patterns follow the services' own routes: ``{name}`` is one path segment, ``{name:path}`` the rest of
the path. A listed ``GET`` also admits ``HEAD``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True, slots=True)
class Public:
    """One public route: ``"METHOD /path"``, why it is public, and who calls it.

    ``caller="client"``: no bearer token, but the service authenticates the calling OAuth client itself
    (HTTP Basic or a client assertion), so it does answer 401 to a caller without client credentials.
    """

    route: str
    why: str
    caller: Literal["anyone", "client"] = "anyone"


_HEALTH = (
    Public("GET /healthz", "liveness probe"),
    Public("GET /readyz", "readiness probe"),
)

PUBLIC_ROUTES: dict[str, tuple[Public, ...]] = {
    "identity": (
        *_HEALTH,
        Public("GET /.well-known/openid-configuration", "OIDC discovery"),
        Public("GET /.well-known/jwks.json", "the public signing keys every verifier fetches"),
        Public("GET /authorize", "the browser starts the code flow here"),
        Public("POST /login", "sign-in form (browser, before any token exists)"),
        Public("POST /login/totp", "second-factor form of the sign-in"),
        Public("POST /enterprise", "acting-for choice of the sign-in (prompt=select_account)"),
        Public("POST /consent", "consent form of the sign-in"),
        Public("GET /logout", "RP-initiated logout (id_token_hint in the query)"),
        # Each asset of the sign-in pages by its exact path: a {path:path} prefix would pass any path behind it.
        Public("GET /static/web/favicon.svg", "the sign-in pages' icon"),
        Public("GET /static/web/gov.css", "the sign-in pages' stylesheet (the platform's one look)"),
        Public("GET /static/web/gov.js", "the sign-in pages' progressive enhancement"),
        Public("GET /static/web/vendor/modern-normalize-3.0.1.css", "the stylesheet base"),
        Public("GET /static/web/vendor/modern-normalize.LICENSE", "the stylesheet base's licence"),
        Public("GET /password-reset", "forgotten password page (from the sign-in page)"),
        Public("POST /password-reset", "forgotten password page: send a code"),
        Public("POST /password-reset/completion", "forgotten password page: set a new password with the code"),
        Public("POST /logout", "RP-initiated logout (form post)"),
        Public("POST /token", "token endpoint", "client"),
        Public("POST /introspect", "token introspection (RFC 7662)", "client"),
        Public("POST /revoke", "token revocation (RFC 7009)", "client"),
        Public("GET /v1/revocations", "revoked token ids and ended session ids (random ids only), for verifiers"),
        Public("POST /v1/citizens", "self-registration of a citizen"),
        Public("POST /v1/password-resets", "forgotten password: ask for a code"),
        Public("POST /v1/password-resets/{reset_id}/completion", "forgotten password: set a new one"),
    ),
    "catalog": (
        *_HEALTH,
        Public("GET /v1/items", "the published service catalog"),
        Public("GET /v1/items/{code}", "a published item"),
        Public("GET /v1/items/{code}/versions", "published versions (staff see drafts with a token)"),
        Public("GET /v1/items/{code}/versions/{version}", "a published version"),
        Public("POST /v1/items/{code}/form-validation", "check a form before applying"),
        Public("GET /v1/bundles", "one-thing bundles"),
        Public("GET /v1/bundles/{code}", "a bundle"),
        Public("GET /v1/bundles/{code}/versions/{version}", "a published bundle version"),
        Public("GET /v1/life-events", "browse by life event"),
        Public("GET /v1/departments", "browse by department"),
        Public("GET /v1/stats/online-rate", "published statistic"),
        Public("GET /v1/stats/popular-items", "high-frequency items of a region (anonymous usage counts)"),
        Public("GET /v1/events/schemas", "the JSON Schemas of the events catalog publishes"),
    ),
    "application": (
        *_HEALTH,
        Public("GET /v1/status", "progress query by application number and query code"),
    ),
    "workflow": _HEALTH,
    "certificates": (
        *_HEALTH,
        Public("GET /v1/license-types", "the kinds of licences issued"),
        Public("GET /v1/license-types/{code}", "one kind of licence"),
        Public("GET /v1/issuers/{department_code}", "an issuer's public keys, for verifiers"),
        Public("GET /v1/status-lists/{department_code}/{purpose}", "revocation status lists, for verifiers"),
        Public("POST /v1/verify", "verify a presented licence"),
        Public("GET /v1/verify/{identifier}", "verify a licence by its identifier (QR code)"),
    ),
    "payment": (
        *_HEALTH,
        Public("POST /v1/channels/{channel}/notify", "the payment channel's signed callback"),
        # Only where PAYMENT_SANDBOX_ENABLED (never in production): the provider's page the payer's browser opens.
        Public("GET /sandbox-channel/pay/{trade_no}", "the sandbox channel's pay page (the order's pay_url)"),
        Public("POST /sandbox-channel/pay/{trade_no}", "the sandbox pay page's form (pay or decline)"),
    ),
    "exchange": _HEALTH,
    "evaluation": (
        *_HEALTH,
        Public("GET /v1/reasons", "the reasons a rater picks from"),
        Public("GET /v1/rankings/departments", "published rankings (好差评)"),
    ),
    "hall": (
        *_HEALTH,
        # A TV in the hall shows them; they carry ticket numbers, window names and waiting counts, no person.
        Public("GET /v1/halls/{hall_id}/screen", "a hall's screen page (大屏) for a TV browser"),
        Public("GET /v1/halls/{hall_id}/screen/stream", "a hall's screen: calls and waiting counts (SSE)"),
    ),
    "hotline": (
        *_HEALTH,
        Public("GET /v1/knowledge", "search the 12345 knowledge base (citizens look answers up too)"),
        Public("GET /v1/knowledge/{entry_id}", "one current knowledge entry"),
        Public("GET /v1/categories", "the categories of matters a message is filed under"),
    ),
}


# Served to the cluster only (Prometheus scrapes each pod): the gateway never forwards them (404). Nor a
# service's own API pages (FastAPI's, which load Swagger UI and ReDoc from a CDN): the platform's reference
# is the gateway's /api/docs, every asset of it served by the gateway.
INTERNAL_PATHS = frozenset({"/metrics", "/docs", "/docs/oauth2-redirect", "/redoc"})
# Under these, too: the sandbox channel's merchant API, which payment's adapter calls directly, as it
# would call a real provider's host (only its pay page is the browser's).
INTERNAL_PREFIXES = ("/sandbox-channel/gateway/",)


def is_internal(path: str) -> bool:
    """Whether ``path`` (after ``/api/<service>``) is one the gateway never forwards."""
    return path in INTERNAL_PATHS or path.startswith(INTERNAL_PREFIXES)


def default_public_routes() -> dict[str, list[str]]:
    """The table above in the settings' shape: service name to ``"METHOD /path"`` strings."""
    return {service: [p.route for p in routes] for service, routes in PUBLIC_ROUTES.items()}


_PARAM = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)(:path)?\}")


def parse_route(route: str) -> tuple[frozenset[str], re.Pattern[str]]:
    """``"GET /v1/items/{code}"`` as (methods, a regex of the path); ``*`` as the method means any."""
    method, _, path = route.strip().partition(" ")
    path = path.strip()
    if not method or not path.startswith("/"):
        raise ValueError(f"a public route is 'METHOD /path', got {route!r}")
    methods = frozenset(m.upper() for m in method.split(",") if m)
    if "GET" in methods:
        methods |= {"HEAD"}
    pattern, last = "", 0
    for match in _PARAM.finditer(path):
        pattern += re.escape(path[last : match.start()]) + (".*" if match.group(2) else "[^/]+")
        last = match.end()
    pattern += re.escape(path[last:])
    return methods, re.compile(pattern + r"\Z")


class PublicRouteTable:
    """Answers "may this request go without a token?" on the hot path: an exact-path lookup first, the
    few patterns with parameters after it."""

    def __init__(self, routes: Mapping[str, Iterable[str]]) -> None:
        self._exact: dict[tuple[str, str], frozenset[str]] = {}
        self._patterns: dict[str, list[tuple[frozenset[str], re.Pattern[str]]]] = {}
        for service, entries in routes.items():
            for route in entries:
                methods, regex = parse_route(route)
                path = route.strip().partition(" ")[2].strip()
                if "{" in path:
                    self._patterns.setdefault(service, []).append((methods, regex))
                else:
                    key = (service, path)
                    self._exact[key] = self._exact.get(key, frozenset()) | methods

    def is_public(self, service: str, method: str, path: str) -> bool:
        """``path`` is the decoded path after ``/api/<service>``."""
        methods = self._exact.get((service, path))
        if methods is not None and (method in methods or "*" in methods):
            return True
        for methods, regex in self._patterns.get(service, ()):
            if (method in methods or "*" in methods) and regex.match(path):
                return True
        return False
