"""Bearer-token verification: valid, expired, wrong signature, wrong audience, unknown kid."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from joserfc import jwt
from joserfc.jwk import ECKey

from gov_common.auth import Principal, PrincipalDep, TokenVerifier, require
from gov_common.errors import Forbidden, Unauthenticated, install_problem_handlers
from gov_common.testing import TestIssuer


@pytest.fixture
def identity() -> TestIssuer:
    return TestIssuer()


@pytest.fixture
def verifier(identity: TestIssuer) -> TokenVerifier:
    return identity.verifier(leeway_seconds=0, min_refetch_seconds=60)


def staff_token(identity: TestIssuer, **overrides: Any) -> str:
    defaults: dict[str, Any] = {
        "kind": "staff",
        "roles": ["acceptor"],
        "scopes": ["cases:read", "cases:write"],
        "region": "450100",
        "department": "dept-1",
        "acr": "2",
    }
    return identity.token("user-1", **(defaults | overrides))


async def test_valid_token_gives_principal(identity: TestIssuer, verifier: TokenVerifier) -> None:
    principal = await verifier.verify(staff_token(identity))
    assert principal.subject == "user-1"
    assert principal.kind == "staff"
    assert principal.roles == {"acceptor"}
    assert principal.scopes == {"cases:read", "cases:write"}
    assert (principal.region, principal.department) == ("450100", "dept-1")
    assert principal.assurance_level == 2


async def test_expired_token_is_refused(identity: TestIssuer, verifier: TokenVerifier) -> None:
    with pytest.raises(Unauthenticated, match=r"expired|exp"):
        await verifier.verify(staff_token(identity, exp=int(time.time()) - 10))


async def test_wrong_signature_is_refused(identity: TestIssuer, verifier: TokenVerifier) -> None:
    impostor = ECKey.generate_key("P-256", parameters={"kid": "k1"}, private=True)
    with pytest.raises(Unauthenticated):
        await verifier.verify(staff_token(identity, key=impostor))


async def test_tampered_payload_is_refused(identity: TestIssuer, verifier: TokenVerifier) -> None:
    header, _payload, sig = staff_token(identity).split(".")
    forged = jwt.encode({"alg": "ES256"}, {"sub": "admin"}, identity.keys[identity.current]).split(".")[1]
    with pytest.raises(Unauthenticated):
        await verifier.verify(".".join([header, forged, sig]))


async def test_wrong_audience_and_issuer_are_refused(identity: TestIssuer, verifier: TokenVerifier) -> None:
    with pytest.raises(Unauthenticated):
        await verifier.verify(staff_token(identity, aud="another-platform"))
    with pytest.raises(Unauthenticated):
        await verifier.verify(staff_token(identity, iss="https://evil.example"))


async def test_unknown_kid_refetches_once_then_refuses(identity: TestIssuer, verifier: TokenVerifier) -> None:
    await verifier.verify(staff_token(identity))
    assert verifier.jwks.fetch_count == 1
    stranger = ECKey.generate_key("P-256", parameters={"kid": "nobody"}, private=True)
    with pytest.raises(Unauthenticated, match="unknown key"):
        await verifier.verify(staff_token(identity, kid="nobody", key=stranger))
    assert verifier.jwks.fetch_count == 2, "one refetch for the unknown kid"
    with pytest.raises(Unauthenticated, match="unknown key"):
        await verifier.verify(staff_token(identity, kid="nobody", key=stranger))
    assert verifier.jwks.fetch_count == 2, "no second refetch inside the minimum interval"


async def test_rotated_key_is_picked_up_by_the_refetch(identity: TestIssuer, verifier: TokenVerifier) -> None:
    await verifier.verify(staff_token(identity))
    identity.rotate("k2")
    principal = await verifier.verify(staff_token(identity, kid="k2"))
    assert principal.subject == "user-1"
    assert verifier.jwks.fetch_count == 2


async def test_dependency_answers_problem_json(identity: TestIssuer, verifier: TokenVerifier) -> None:
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
        ok = await client.get("/me", headers={"Authorization": f"Bearer {staff_token(identity)}"})
        expired = await client.get(
            "/me", headers={"Authorization": f"Bearer {staff_token(identity, exp=int(time.time()) - 5)}"}
        )
        forbidden = await client.get("/approve", headers={"Authorization": f"Bearer {staff_token(identity)}"})
    assert missing.status_code == 401
    assert missing.headers["content-type"] == "application/problem+json"
    assert missing.headers["www-authenticate"].startswith("Bearer")
    assert missing.json()["type"] == Unauthenticated.slug.join(["urn:gov-platform:problem:", ""])
    assert ok.status_code == 200 and ok.json() == {"sub": "user-1"}
    assert expired.status_code == 401
    assert forbidden.status_code == 403
    assert forbidden.json()["type"].endswith(Forbidden.slug)
    assert forbidden.json()["required_roles"] == ["approver"]


class CountingVerifier:
    """Counts the full verifications (signature, claims) a verifier does."""

    def __init__(self, verifier: TokenVerifier, monkeypatch: pytest.MonkeyPatch) -> None:
        self.count = 0
        full = verifier._verify

        async def counted(token: str) -> dict[str, Any]:
            self.count += 1
            return await full(token)

        monkeypatch.setattr(verifier, "_verify", counted)


async def test_a_verified_token_is_remembered_until_it_expires(
    identity: TestIssuer, verifier: TokenVerifier, monkeypatch: pytest.MonkeyPatch
) -> None:
    spy = CountingVerifier(verifier, monkeypatch)
    now = time.time()
    token = staff_token(identity, exp=int(now) + 120)
    first, second = await verifier.verify(token), await verifier.verify(token)
    assert first == second and spy.count == 1, "the second request costs a look-up, not a verification"
    assert token not in str(verifier._verified), "remembered by digest, not the token itself"
    # Past the cache's own bound (60 s) but before exp: verified again, not trusted for ever.
    monkeypatch.setattr(time, "time", lambda: now + 61)
    await verifier.verify(token)
    assert spy.count == 2
    # Past exp: the cached entry is not used, and the full check refuses the token.
    monkeypatch.setattr(time, "time", lambda: now + 200)
    with pytest.raises(Unauthenticated):
        await verifier.verify(token)


async def test_a_cached_token_revoked_since_is_refused(identity: TestIssuer, monkeypatch: pytest.MonkeyPatch) -> None:
    verifier = identity.verifier(revocation_refresh_seconds=0)
    token = staff_token(identity, jti="t-1")
    assert (await verifier.verify(token)).token_id == "t-1"
    identity.revoked_jtis.add("t-1")
    with pytest.raises(Unauthenticated, match="revoked"):
        await verifier.verify(token)


async def test_the_cache_stays_within_its_size(identity: TestIssuer) -> None:
    verifier = identity.verifier()
    verifier.cache_size = 4
    tokens = [identity.token(f"user-{n}") for n in range(10)]
    for token in tokens:
        await verifier.verify(token)
    assert 0 < len(verifier._verified) <= 4
    assert (await verifier.verify(tokens[-1])).subject == "user-9"
