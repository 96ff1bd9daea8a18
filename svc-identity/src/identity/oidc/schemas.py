"""The documents of the OpenID Connect and OAuth endpoints, for the OpenAPI only: the standards fix their
members (OpenID Connect Discovery, RFC 7517, RFC 6749, OpenID Connect Core, RFC 7662); each names the
members a client may rely on and admits the others the standard allows."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class ProviderMetadata(_Open):
    """OpenID Provider metadata (OpenID Connect Discovery 1.0)."""

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    userinfo_endpoint: str
    jwks_uri: str
    response_types_supported: list[str]
    subject_types_supported: list[str]
    id_token_signing_alg_values_supported: list[str]
    scopes_supported: list[str]
    code_challenge_methods_supported: list[str]


class JsonWebKeySet(_Open):
    """The public signing keys (RFC 7517), current and those still in overlap."""

    keys: list[dict[str, Any]] = Field(description="public JWKs, each with its kid, kty, alg and use")


class TokenResponse(_Open):
    """A successful token response (RFC 6749 §5.1)."""

    access_token: str
    token_type: str = Field(examples=["Bearer"])
    expires_in: int = Field(description="seconds")
    scope: str | None = None
    refresh_token: str | None = None
    id_token: str | None = Field(default=None, description="with the openid scope (authorization code grant)")


class UserInfo(_Open):
    """Claims about the signed-in person (OpenID Connect Core §5.3), as the token's scopes allow."""

    sub: str


class Introspection(_Open):
    """Token introspection (RFC 7662): ``{"active": false}`` alone for a token that is not active."""

    active: bool
