"""The scope catalogue, the scoped() operation dependency, the shared access policy and the revocation list."""

from __future__ import annotations

import asyncio
import re

import httpx
import pytest
from fastapi import FastAPI

from gov_common import scopes
from gov_common.auth import Principal, PrincipalDep, RevocationList, scoped
from gov_common.errors import install_problem_handlers
from gov_common.policy import Applicant, acts_for_applicant, admin_of, staff_in, supervisor_of, system_in
from gov_common.testing import TestIssuer

ONE_FORM = re.compile(r"^[a-z]+\.[a-z]+\.[a-z]+$")
ENTERPRISE = "91450100MA5L000004"


def test_every_scope_has_one_form_and_a_description() -> None:
    assert all(ONE_FORM.match(s) for s in scopes.CATALOGUE), "<service>.<resource>.<action>"
    assert all(d.strip() for d in scopes.CATALOGUE.values())
    for group in (scopes.PERSON, scopes.ENTERPRISE, scopes.STAFF, scopes.SYSTEM_ONLY):
        assert not scopes.unknown(group)
    assert not (scopes.SYSTEM_ONLY & (scopes.PERSON | scopes.STAFF | scopes.ENTERPRISE)), "never on a person"
    assert scopes.ENTERPRISE <= scopes.PERSON, "an agent never gets more than a person may hold"
    assert scopes.unknown(["openid", "application:read"]) == ["application:read"], "old names are retired"


def test_the_consent_page_has_a_chinese_text_for_every_scope() -> None:
    """Identity's consent page is Chinese only: a scope added without its text would show its code instead."""
    assert set(scopes.CONSENT_TEXT) == set(scopes.CATALOGUE) | scopes.OIDC
    han = re.compile(r"[\u4e00-\u9fff]")
    assert all(han.search(text) for text in scopes.CONSENT_TEXT.values())


def test_scoped_refuses_a_scope_outside_the_catalogue() -> None:
    with pytest.raises(ValueError, match="catalogue"):
        scoped("application:read")


@pytest.fixture
def app() -> tuple[FastAPI, TestIssuer]:
    issuer = TestIssuer()
    app = FastAPI()
    install_problem_handlers(app)

    @app.get("/cases", dependencies=[scoped("workflow.cases.read")])
    async def cases(principal: PrincipalDep) -> dict[str, str]:
        return {"subject": principal.subject}

    issuer.install(app)
    return app, issuer


async def test_scoped_answers_insufficient_scope_for_every_kind(app: tuple[FastAPI, TestIssuer]) -> None:
    api, issuer = app
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=api), base_url="http://t") as client:
        assert (await client.get("/cases")).status_code == 401
        for kind in ("citizen", "enterprise", "staff", "system"):
            token = issuer.token("u", kind=kind, scopes=["openid", "profile", "workflow.cases.handle"])
            resp = await client.get("/cases", headers={"Authorization": f"Bearer {token}"})
            assert resp.status_code == 403, kind
            assert resp.headers["content-type"] == "application/problem+json"
            assert resp.json()["error"] == "insufficient_scope"
            assert 'error="insufficient_scope", scope="workflow.cases.read"' in resp.headers["www-authenticate"]
        ok = await client.get("/cases", headers=issuer.headers("u", scopes=["workflow.cases.read"]))
        assert ok.status_code == 200
        assert ok.json() == {"subject": "u"}
    operation = api.openapi()["paths"]["/cases"]["get"]
    assert operation["security"] == [{"oauth2": ["workflow.cases.read"]}]
    assert set(api.openapi()["components"]["securitySchemes"]["oauth2"]["flows"]) == {
        "authorizationCode",
        "clientCredentials",
    }


def person(
    kind: str, subject: str = "p1", *, granted: tuple[str, ...] = ("application.applications.read",)
) -> Principal:
    return Principal(
        subject=subject,
        kind=kind,  # type: ignore[arg-type]
        scopes=frozenset(granted),
        enterprise=ENTERPRISE if kind == "enterprise" else None,
    )


CITIZEN_RECORD = Applicant(kind="citizen", subject="p1")
ENTERPRISE_RECORD = Applicant(kind="enterprise", subject="agent-who-applied", enterprise=ENTERPRISE)
OTHER_ENTERPRISE_RECORD = Applicant(kind="enterprise", subject="p1", enterprise="91450100MA5L0000XX")
READ = "application.applications.read"


@pytest.mark.parametrize(
    ("caller", "record", "expected"),
    [
        (person("citizen"), CITIZEN_RECORD, True),
        (person("citizen", "p2"), CITIZEN_RECORD, False),
        (person("citizen", granted=()), CITIZEN_RECORD, False),  # the client was not given the scope
        (person("citizen"), ENTERPRISE_RECORD, False),
        (person("citizen", "p1"), OTHER_ENTERPRISE_RECORD, False),  # applied as an agent once, not now
        (person("enterprise"), ENTERPRISE_RECORD, True),  # another agent of the same enterprise
        (person("enterprise", granted=("payment.orders.pay",)), ENTERPRISE_RECORD, False),  # beyond the grant
        (person("enterprise"), OTHER_ENTERPRISE_RECORD, False),
        (person("enterprise", "p1"), CITIZEN_RECORD, False),  # an enterprise token never opens the person's own
        (person("staff"), CITIZEN_RECORD, False),
        (person("system"), CITIZEN_RECORD, False),
    ],
)
def test_acts_for_applicant(caller: Principal, record: Applicant, expected: bool) -> None:
    assert acts_for_applicant(caller, record, scope=READ) is expected


def staff(roles: tuple[str, ...], region: str = "450100", department: str | None = "D1") -> Principal:
    return Principal(subject="s", kind="staff", roles=frozenset(roles), region=region, department=department)


@pytest.mark.parametrize(
    ("caller", "department", "region", "expected"),
    [
        (staff(("acceptor",)), "D1", "450103", True),
        (staff(("acceptor",), region="450000"), "D1", "450103", True),  # the province covers the county
        (staff(("acceptor",), region="450200"), "D1", "450103", False),  # another city
        (staff(("acceptor",)), "D2", "450103", False),  # another department
        (staff(("finance",)), "D1", "450103", False),  # no handling role
        (staff(("acceptor",), department=None), "D1", "450103", False),
        (staff(("acceptor",)), None, "450103", False),
    ],
)
def test_staff_in(caller: Principal, department: str | None, region: str, expected: bool) -> None:
    assert staff_in(caller, department=department, region=region) is expected


def test_supervisors_admins_and_systems_are_bound_to_their_region() -> None:
    assert supervisor_of(staff(("supervisor",)), "450103")
    assert not supervisor_of(staff(("supervisor",)), "450203")
    assert not supervisor_of(staff(("acceptor",)), "450103")
    assert admin_of(staff(("platform_admin",), region="450100"), "450203"), "the platform admin is everywhere"
    assert admin_of(staff(("staff_admin",)), "450103", role="staff_admin")
    assert not admin_of(staff(("staff_admin",)), "450203", role="staff_admin")
    assert not admin_of(staff(("staff_admin",)), "450103"), "a staff admin is no platform admin"
    city = Principal(subject="c", kind="system", scopes=frozenset({"payment.orders.read"}), region="450100")
    province = Principal(subject="p", kind="system", scopes=frozenset({"payment.orders.read"}))
    assert system_in(city, scope="payment.orders.read", region="450103")
    assert not system_in(city, scope="payment.orders.read", region="450203")
    assert not system_in(city, scope="payment.orders.read", region=None), "no region, no region-bound system"
    assert not system_in(city, scope="payment.orders.write", region="450103")
    assert system_in(province, scope="payment.orders.read", region=None)


async def test_revoked_tokens_and_ended_sessions_are_refused() -> None:
    issuer = TestIssuer()
    verifier = issuer.verifier(revocation_refresh_seconds=0)
    token = issuer.token("u", jti="token-1", sid="session-1")
    other = issuer.token("u", jti="token-2", sid="session-2")
    principal = await verifier.verify(token)
    assert principal.token_id == "token-1"
    assert principal.session_id == "session-1"
    issuer.ended_sids.add("session-1")
    with pytest.raises(Exception, match="revoked or its sign-in session has ended"):
        await verifier.verify(token)
    assert await verifier.is_revoked(principal), "a cached verification is checked again"
    assert (await verifier.verify(other)).subject == "u"
    issuer.revoked_jtis.add("token-2")
    with pytest.raises(Exception, match="revoked"):
        await verifier.verify(other)


async def test_a_slow_revocation_refresh_holds_up_only_the_request_that_started_it() -> None:
    """identity slow or unreachable: one request waits for the refresh (at most its timeout), the others
    answer from the last list at once instead of queueing behind it."""
    gate = asyncio.Event()
    calls = 0

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        if calls > 1:
            await gate.wait()
        return httpx.Response(200, json={"jtis": ["gone"], "sids": []})

    client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    revocations = RevocationList("http://identity/v1/revocations", refresh_seconds=0, client=client)
    assert await revocations.is_revoked({"jti": "gone"}), "the first list is waited for"
    refreshing = asyncio.create_task(revocations.is_revoked({"jti": "x"}))
    await asyncio.sleep(0.05)
    assert not refreshing.done(), "the request that refreshes waits for identity"
    assert await asyncio.wait_for(revocations.is_revoked({"jti": "gone"}), timeout=1), "the others do not"
    gate.set()
    assert await refreshing is False
    await client.aclose()
