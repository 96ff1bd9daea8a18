"""Bearer-token verification: valid, expired, wrong signature, wrong audience, unknown kid."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from joserfc import jwt
from joserfc.jwk import ECKey, KeySet

from gov_common.auth import JWKSCache, Principal, PrincipalDep, TokenVerifier, require
from gov_common.errors import Forbidden, Unauthenticated, install_problem_handlers

ISSUER = "https://gov.example/api/identity"
AUDIENCE = "gov-platform"


class IdentityStub:
    """Serves a JWKS over HTTP (in-process ASGI) and signs tokens with its keys."""

    def __init__(self) -> None:
        self.keys: dict[str, ECKey] = {}
        self.app = FastAPI()
        self.app.get("/jwks")(self.jwks)
        self.rotate("k1")

    def rotate(self, kid: str) -> ECKey:
        key = ECKey.generate_key("P-256", parameters={"kid": kid}, private=True)
        self.keys[kid] = key
        return key

    async def jwks(self) -> dict[str, Any]:
        return KeySet(list(self.keys.values())).as_dict(private=False)

    def token(self, *, kid: str = "k1", key: ECKey | None = None, **overrides: Any) -> str:
        now = int(time.time())
        claims = {
            "iss": ISSUER,
            "aud": AUDIENCE,
            "sub": "user-1",
            "iat": now,
            "exp": now + 300,
            "kind": "staff",
            "roles": ["acceptor"],
            "scope": "cases:read cases:write",
            "region": "450100",
            "department": "dept-1",
            "acr": "2",
        }
        claims.update(overrides)
        return jwt.encode({"alg": "ES256", "kid": kid}, claims, key or self.keys[kid])


@pytest.fixture
def identity() -> IdentityStub:
    return IdentityStub()


@pytest.fixture
def verifier(identity: IdentityStub) -> TokenVerifier:
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=identity.app), base_url="http://identity")
    cache = JWKSCache("http://identity/jwks", min_refetch_seconds=60, client=client)
    return TokenVerifier(cache, issuer=ISSUER, audience=AUDIENCE, leeway_seconds=0)


async def test_valid_token_gives_principal(identity: IdentityStub, verifier: TokenVerifier) -> None:
    principal = await verifier.verify(identity.token())
    assert principal.subject == "user-1"
    assert principal.kind == "staff"
    assert principal.roles == {"acceptor"}
    assert principal.scopes == {"cases:read", "cases:write"}
    assert (principal.region, principal.department) == ("450100", "dept-1")
    assert principal.assurance_level == 2


async def test_expired_token_is_refused(identity: IdentityStub, verifier: TokenVerifier) -> None:
    with pytest.raises(Unauthenticated, match=r"expired|exp"):
        await verifier.verify(identity.token(exp=int(time.time()) - 10))


async def test_wrong_signature_is_refused(identity: IdentityStub, verifier: TokenVerifier) -> None:
    impostor = ECKey.generate_key("P-256", parameters={"kid": "k1"}, private=True)
    with pytest.raises(Unauthenticated):
        await verifier.verify(identity.token(key=impostor))


async def test_tampered_payload_is_refused(identity: IdentityStub, verifier: TokenVerifier) -> None:
    header, _payload, sig = identity.token().split(".")
    forged = jwt.encode({"alg": "ES256"}, {"sub": "admin"}, identity.keys["k1"]).split(".")[1]
    with pytest.raises(Unauthenticated):
        await verifier.verify(".".join([header, forged, sig]))


async def test_wrong_audience_and_issuer_are_refused(identity: IdentityStub, verifier: TokenVerifier) -> None:
    with pytest.raises(Unauthenticated):
        await verifier.verify(identity.token(aud="another-platform"))
    with pytest.raises(Unauthenticated):
        await verifier.verify(identity.token(iss="https://evil.example"))


async def test_unknown_kid_refetches_once_then_refuses(identity: IdentityStub, verifier: TokenVerifier) -> None:
    await verifier.verify(identity.token())
    assert verifier.jwks.fetch_count == 1
    stranger = ECKey.generate_key("P-256", parameters={"kid": "nobody"}, private=True)
    with pytest.raises(Unauthenticated, match="unknown key"):
        await verifier.verify(identity.token(kid="nobody", key=stranger))
    assert verifier.jwks.fetch_count == 2, "one refetch for the unknown kid"
    with pytest.raises(Unauthenticated, match="unknown key"):
        await verifier.verify(identity.token(kid="nobody", key=stranger))
    assert verifier.jwks.fetch_count == 2, "no second refetch inside the minimum interval"


async def test_rotated_key_is_picked_up_by_the_refetch(identity: IdentityStub, verifier: TokenVerifier) -> None:
    await verifier.verify(identity.token())
    identity.rotate("k2")
    principal = await verifier.verify(identity.token(kid="k2"))
    assert principal.subject == "user-1"
    assert verifier.jwks.fetch_count == 2


async def test_dependency_answers_problem_json(identity: IdentityStub, verifier: TokenVerifier) -> None:
    app = FastAPI()
    install_problem_handlers(app)
    app.state.token_verifier = verifier

    @app.get("/me")
    async def me(principal: PrincipalDep) -> dict[str, str]:
        return {"sub": principal.subject}

    from fastapi import Depends

    @app.get("/approve")
    async def approve(p: Principal = Depends(require(roles=("approver",)))) -> dict[str, str]:
        return {"sub": p.subject}

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://svc") as client:
        missing = await client.get("/me")
        ok = await client.get("/me", headers={"Authorization": f"Bearer {identity.token()}"})
        expired = await client.get(
            "/me", headers={"Authorization": f"Bearer {identity.token(exp=int(time.time()) - 5)}"}
        )
        forbidden = await client.get("/approve", headers={"Authorization": f"Bearer {identity.token()}"})
    assert missing.status_code == 401
    assert missing.headers["content-type"] == "application/problem+json"
    assert missing.headers["www-authenticate"].startswith("Bearer")
    assert missing.json()["type"] == Unauthenticated.slug.join(["urn:gov-platform:problem:", ""])
    assert ok.status_code == 200 and ok.json() == {"sub": "user-1"}
    assert expired.status_code == 401
    assert forbidden.status_code == 403
    assert forbidden.json()["type"].endswith(Forbidden.slug)
    assert forbidden.json()["required_roles"] == ["approver"]
