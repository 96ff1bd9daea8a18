"""Pure rules: lockout back-off, region subtrees, scope narrowing, token claims."""

import uuid

import pytest

from gov_common.scopes import PERSON
from identity.models import Account
from identity.oidc.tokens import left_half_hash, person_claims
from identity.policy import (
    excess_scopes,
    lockout_seconds,
    parse_scope,
    person_scopes,
    redirect_uri_problem,
    registration_problems,
)


def test_no_lock_below_the_threshold_then_doubling_up_to_the_cap() -> None:
    seconds = [lockout_seconds(n, threshold=5, base=30, cap=3600) for n in range(1, 12)]
    assert seconds == [0, 0, 0, 0, 30, 60, 120, 240, 480, 960, 1920]
    assert lockout_seconds(40, threshold=5, base=30, cap=3600) == 3600
    assert lockout_seconds(10_000, threshold=5, base=30, cap=3600) == 3600


def test_scope_parsing_and_excess() -> None:
    assert parse_scope("openid  a a b") == ["openid", "a", "b"]
    assert excess_scopes(
        ["openid", "application.applications.write", "payment.orders.pay"], {"application.applications.write"}
    ) == ["payment.orders.pay"]
    assert excess_scopes(["openid", "profile"], set()) == []


def test_claims_follow_the_platform_contract() -> None:
    staff = Account(
        id=uuid.uuid4(),
        kind="staff",
        roles=["reviewer", "acceptor"],
        region_code="450100",
        department_id=uuid.uuid4(),
        department_code="11450100MBQH0Y21QM",
        assurance_level=3,
    )
    claims = person_claims(staff, scope="openid", client_id="c", enterprise=None)
    assert claims["kind"] == "staff" and claims["roles"] == ["acceptor", "reviewer"]
    assert claims["region"] == "450100" and claims["acr"] == "3" and claims["department"] == "11450100MBQH0Y21QM"
    agent = Account(id=uuid.uuid4(), kind="citizen", roles=[], assurance_level=1)
    acting = person_claims(
        agent, scope="application.applications.write", client_id="c", enterprise="91350100M000100Y43"
    )
    assert acting["kind"] == "enterprise" and acting["enterprise"] == "91350100M000100Y43" and acting["roles"] == []


def test_at_hash_is_the_left_half_of_sha256() -> None:
    # OIDC Core 3.1.3.6 example-style check: 16 bytes -> 22 base64url characters
    assert len(left_half_hash("token")) == 22


def test_a_person_token_is_the_intersection_of_request_registration_kind_grant_and_consent() -> None:
    portal = {"client_scopes": sorted(PERSON), "client_kinds": ["citizen"]}
    asked = ["openid", "application.applications.read", "identity.staff.admin", "payment.orders.pay"]
    assert person_scopes(asked, account_kind="citizen", **portal) == [
        "openid",
        "application.applications.read",
        "payment.orders.pay",
    ]
    assert person_scopes(asked, account_kind="staff", **portal) == ["openid"], "staff through the portal"
    agent = person_scopes(asked, account_kind="citizen", acting_scopes={"payment.orders.pay"}, **portal)
    assert agent == ["openid", "payment.orders.pay"]
    consented = person_scopes(asked, account_kind="citizen", consented={"openid", "payment.orders.pay"}, **portal)
    assert consented == ["openid", "payment.orders.pay"]
    bare = person_scopes(asked, account_kind="citizen", client_scopes=["openid", "profile"], client_kinds=["citizen"])
    assert bare == ["openid"], "a client registered for openid profile gets no platform scope"


@pytest.mark.parametrize(
    ("uri", "ok"),
    [
        ("https://rp.test/cb", True),
        ("http://127.0.0.1:8081/callback", True),
        ("http://[::1]/cb", True),
        ("http://localhost:3000/cb", True),
        ("http://127.0.0.1.evil.com/cb", False),
        ("http://127.0.0.1@evil.com/cb", False),
        ("https://rp.test/cb#x", False),
        ("http://rp.test/cb", False),
        ("https:///cb", False),
        ("https://rp.test/c b", False),
    ],
)
def test_redirect_uris_are_parsed_not_prefix_matched(uri: str, ok: bool) -> None:
    assert (redirect_uri_problem(uri) is None) == ok


def test_registration_keeps_system_scopes_to_systems_and_person_scopes_to_their_kinds() -> None:
    assert (
        registration_problems(scopes=["exchange.cases.write"], grant_types=["client_credentials"], account_kinds=[])
        == []
    )
    assert registration_problems(
        scopes=["exchange.cases.write"], grant_types=["authorization_code"], account_kinds=["citizen"]
    )
    assert registration_problems(
        scopes=["identity.staff.admin"], grant_types=["authorization_code"], account_kinds=["citizen"]
    )
    assert not registration_problems(
        scopes=["identity.staff.admin", "openid"], grant_types=["authorization_code"], account_kinds=["staff"]
    )
    assert registration_problems(scopes=["license:read"], grant_types=["client_credentials"], account_kinds=[])
