"""The protocol endpoints document what they answer (found by the API fuzzing: OAuth 2.0 errors and HTML
pages were documented as JSON, or as problem+json)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from identity.main import create_app
from identity.settings import Settings


def test_oauth_endpoints_document_their_own_error_body_and_browser_endpoints_html(tmp_path: Path) -> None:
    spec: dict[str, Any] = create_app(Settings(data_dir=tmp_path, log_json=False)).openapi()
    paths = spec["paths"]
    for path, method in (("/token", "post"), ("/introspect", "post"), ("/revoke", "post"), ("/userinfo", "get")):
        for status in ("400", "401"):
            content = paths[path][method]["responses"][status]["content"]
            assert list(content) == ["application/json"], (path, status)
            assert content["application/json"]["schema"] == {"$ref": "#/components/schemas/OAuthErrorBody"}
    authorize = paths["/authorize"]["get"]["responses"]
    assert list(authorize["200"]["content"]) == ["text/html"] and list(authorize["400"]["content"]) == ["text/html"]
    assert "303" in authorize
    assert list(paths["/logout"]["get"]["responses"]["200"]["content"]) == ["text/html"]
    # Everything else answers problem+json.
    assert list(paths["/v1/me"]["get"]["responses"]["401"]["content"]) == ["application/problem+json"]
