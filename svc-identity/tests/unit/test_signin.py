"""Every transition of the sign-in state machine (identity.oidc.signin), without a server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from identity.oidc import signin
from identity.oidc.signin import (
    AskConsent,
    AskCredentials,
    AskSecondFactor,
    Deny,
    IssueCode,
    Locked,
    SecondFactorLocked,
    SecondFactorMissing,
    SignedIn,
    StaffWithoutSecondFactor,
    Stage,
    WrongCredentials,
    WrongSecondFactor,
)
from identity.oidc.throttle import Lock
from identity.oidc.tokens import Acting

AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
CODE = "91450100MA5KXXXX0X"
AGENT = Acting(enterprise=CODE, allowed_scopes=frozenset({"application.applications.read"}))


def test_stored_stages_are_the_values_the_request_table_holds() -> None:
    assert (Stage.CREDENTIALS.value, Stage.SECOND_FACTOR.value, Stage.CONSENT.value) == ("login", "totp", "consent")


# ---------------------------------------------------------------- authorize


def test_an_open_sign_in_session_goes_straight_to_the_enterprise_stage() -> None:
    outcome = signin.on_authorize(signed_in=True, prompt=None)
    assert isinstance(outcome, SignedIn) and outcome.stage is Stage.ENTERPRISE


def test_without_a_session_the_credentials_form_is_shown() -> None:
    assert signin.on_authorize(signed_in=False, prompt="login") == AskCredentials()


def test_prompt_none_without_a_session_is_login_required() -> None:
    outcome = signin.on_authorize(signed_in=False, prompt="none")
    assert isinstance(outcome, Deny) and outcome.error == "login_required"


# ---------------------------------------------------------------- credentials


def test_a_lock_refuses_before_the_password_with_the_seconds_left() -> None:
    locked = signin.on_credentials_locked(Lock(AT + timedelta(seconds=90)), at=AT)
    assert locked == Locked(retry_after=90) and locked.stage is Stage.CREDENTIALS
    assert signin.on_credentials_locked(None, at=AT) is None


def test_a_wrong_password_stays_on_the_credentials_form() -> None:
    outcome = signin.on_credentials(verified=False, kind="staff", has_second_factor=True)
    assert outcome == WrongCredentials() and outcome.stage is Stage.CREDENTIALS


def test_a_citizen_is_signed_in_by_the_password() -> None:
    assert signin.on_credentials(verified=True, kind="citizen", has_second_factor=False) == SignedIn(amr=("pwd",))


def test_staff_go_on_to_the_second_factor() -> None:
    outcome = signin.on_credentials(verified=True, kind="staff", has_second_factor=True)
    assert outcome == AskSecondFactor() and outcome.stage is Stage.SECOND_FACTOR


def test_staff_without_a_second_factor_never_finish() -> None:
    assert signin.on_credentials(verified=True, kind="staff", has_second_factor=False) == SecondFactorMissing()


# ---------------------------------------------------------------- second factor


def test_a_locked_second_factor_is_refused_even_with_a_right_code() -> None:
    assert signin.on_second_factor(locked=True, step=123) == SecondFactorLocked()


def test_a_wrong_or_replayed_code_stays_on_the_second_factor() -> None:
    outcome = signin.on_second_factor(locked=False, step=None)
    assert outcome == WrongSecondFactor() and outcome.stage is Stage.SECOND_FACTOR


def test_a_right_code_signs_in_with_both_factors() -> None:
    assert signin.on_second_factor(locked=False, step=123) == SignedIn(amr=("pwd", "otp"))


# ---------------------------------------------------------------- enterprise


def enterprise(**overrides: object) -> Deny | StaffWithoutSecondFactor | None:
    facts: dict[str, object] = {
        "client_kinds": ["citizen"],
        "account_kind": "citizen",
        "acting": Acting(),
        "requested": ["openid", "application.applications.read"],
        "amr": ["pwd"],
    }
    return signin.on_enterprise(**{**facts, **overrides})  # type: ignore[arg-type]


def test_a_client_serving_citizens_admits_anyone_and_a_staff_tool_only_staff() -> None:
    assert signin.admits(["citizen"], "staff") and signin.admits(["staff"], "staff")
    refused = enterprise(client_kinds=["staff"])
    assert isinstance(refused, Deny) and refused.error == "access_denied"
    assert refused.audit == "authorize.account_kind_refused" and "citizen accounts only" in refused.description


def test_acting_for_an_enterprise_one_may_not_is_denied() -> None:
    refused = enterprise(acting=None)
    assert isinstance(refused, Deny) and refused.description == "you may not act for this enterprise"


def test_an_agent_asking_beyond_the_grant_gets_invalid_scope_and_an_audit_of_the_excess() -> None:
    refused = enterprise(
        acting=AGENT, requested=["openid", "application.applications.read", "application.applications.write"]
    )
    assert isinstance(refused, Deny) and refused.error == "invalid_scope"
    assert refused.audit == "authorize.scope_refused"
    assert refused.audit_data == {"enterprise": CODE, "scopes": ["application.applications.write"]}


def test_an_agent_within_the_grant_goes_on() -> None:
    assert enterprise(acting=AGENT, requested=["openid", "application.applications.read"]) is None


def test_a_staff_session_without_the_second_factor_is_refused() -> None:
    assert enterprise(client_kinds=["staff"], account_kind="staff", amr=["pwd"]) == StaffWithoutSecondFactor()
    assert enterprise(client_kinds=["staff"], account_kind="staff", amr=["pwd", "otp"]) is None


# ---------------------------------------------------------------- consent


def consent_needed(**overrides: object) -> IssueCode | AskConsent | Deny:
    facts: dict[str, object] = {
        "granted": ["openid", "profile"],
        "enterprise": None,
        "first_party": False,
        "consented": None,
        "prompt": None,
    }
    return signin.on_consent_needed(**{**facts, **overrides})  # type: ignore[arg-type]


def test_a_first_party_client_issues_at_once_recording_the_basis() -> None:
    outcome = consent_needed(first_party=True, prompt="consent")
    assert outcome == IssueCode(["openid", "profile"], None, consent_basis="first_party")
    assert outcome.stage is Stage.DONE


def test_another_client_asks_consent_for_scopes_not_yet_consented() -> None:
    outcome = consent_needed(consented=["openid"])
    assert outcome == AskConsent(["openid", "profile"]) and outcome.stage is Stage.CONSENT


def test_a_consent_covering_every_scope_issues_without_asking() -> None:
    assert consent_needed(consented=["openid", "profile", "phone"], enterprise=CODE) == IssueCode(
        ["openid", "profile"], CODE
    )


def test_prompt_consent_asks_again_and_prompt_none_cannot_ask() -> None:
    assert isinstance(consent_needed(consented=["openid", "profile"], prompt="consent"), AskConsent)
    outcome = consent_needed(prompt="none")
    assert isinstance(outcome, Deny) and outcome.error == "consent_required"


def test_declining_ends_the_request() -> None:
    outcome = signin.on_consent(allowed=False, acting=None, requested=["openid"], granted=[])
    assert isinstance(outcome, Deny) and outcome.description == "the user declined" and outcome.stage is Stage.DONE


def test_an_enterprise_grant_ended_before_consent_is_denied() -> None:
    gone = signin.on_consent(allowed=True, acting=None, requested=["openid"], granted=[])
    narrowed = signin.on_consent(
        allowed=True, acting=AGENT, requested=["openid", "application.applications.write"], granted=["openid"]
    )
    for outcome in (gone, narrowed):
        assert isinstance(outcome, Deny) and outcome.description == "you may no longer act for this enterprise"
        assert outcome.stage is None


def test_allowing_issues_the_scopes_the_page_listed_as_consented() -> None:
    outcome = signin.on_consent(allowed=True, acting=AGENT, requested=["openid"], granted=["openid"])
    assert outcome == IssueCode(["openid"], CODE, consent_basis="consent")


def test_granted_scopes_are_bounded_by_the_enterprise_grant() -> None:
    granted = signin.granted_scopes(
        ["openid", "application.applications.read", "application.applications.write"],
        client_scopes=["application.applications.read", "application.applications.write"],
        client_kinds=["citizen"],
        account_kind="citizen",
        acting=AGENT,
    )
    assert "application.applications.write" not in granted and "application.applications.read" in granted
