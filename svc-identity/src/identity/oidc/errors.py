"""OAuth 2.0 errors (RFC 6749 section 5.2 and the OIDC additions), answered as JSON with no-store, or
sent back to the client's redirect URI from the authorization endpoint."""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse
from pydantic import BaseModel


class OAuthError(Exception):
    def __init__(self, error: str, description: str, *, status: int = 400, basic_challenge: bool = False) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status
        self.basic_challenge = basic_challenge

    def to_response(self) -> JSONResponse:
        headers = {"Cache-Control": "no-store", "Pragma": "no-cache"}
        if self.status == 401:
            # RFC 6750 section 3: a resource's Bearer challenge names the error (userinfo's invalid_token).
            headers["WWW-Authenticate"] = (
                'Basic realm="gov-platform"'
                if self.basic_challenge
                else f'Bearer realm="gov-platform", error="{self.error}"'
            )
        return JSONResponse(
            {"error": self.error, "error_description": self.description}, status_code=self.status, headers=headers
        )


def invalid_request(description: str) -> OAuthError:
    return OAuthError("invalid_request", description)


def invalid_client(description: str, *, basic: bool = False) -> OAuthError:
    return OAuthError("invalid_client", description, status=401, basic_challenge=basic)


def invalid_grant(description: str) -> OAuthError:
    return OAuthError("invalid_grant", description)


def invalid_scope(description: str) -> OAuthError:
    return OAuthError("invalid_scope", description)


def unauthorized_client(description: str) -> OAuthError:
    return OAuthError("unauthorized_client", description)


def invalid_token(description: str) -> OAuthError:
    return OAuthError("invalid_token", description, status=401)


class OAuthErrorBody(BaseModel):
    """The error body of the OAuth 2.0 endpoints (RFC 6749 section 5.2): the protocol fixes it, so these
    endpoints answer it instead of problem+json."""

    error: str
    error_description: str


_OAUTH_ERROR: dict[str, Any] = {"model": OAuthErrorBody}
# The documented answers of the token, introspection, revocation and userinfo endpoints.
OAUTH_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {**_OAUTH_ERROR, "description": "an OAuth 2.0 error (invalid_request, invalid_grant...)"},
    401: {**_OAUTH_ERROR, "description": "the client or the token is not valid"},
}
# The documented answers of the browser endpoints (authorization, logout) besides their HTML pages.
REDIRECT: dict[int | str, dict[str, Any]] = {
    303: {"description": "back to the client's redirect URI (with a code, or an error, or after signing out)"}
}
AUTHORIZE_ANSWERS: dict[int | str, dict[str, Any]] = {
    **REDIRECT,
    400: {
        "description": "an error page (an unknown client or redirect URI is never redirected to)",
        "content": {"text/html": {}},
    },
}
