"""The sign-in of the authorization endpoint as a state machine, pure (no I/O): what happens next given what
the person submitted and what the database said.

    credentials --(password right; staff)--> second factor --(code right)--> enterprise --> consent --> done
         \\--(password right; not staff)----------------------------------------^

A request waits (stored in ``AuthorizationRequest.stage``) in the credentials, second-factor and consent
stages, and in the enterprise stage only when the client asked the person to choose for whom they act
(``prompt=select_account``) and they may act for an enterprise; otherwise the enterprise stage (for whom the
person acts, and whether the client admits them) is passed through at once, and done means the authorization code is issued and the request deleted. Every transition returns
an :data:`Outcome`; ``authorization.py`` gathers the facts and applies it, the router renders it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from identity.oidc.throttle import Lock
from identity.oidc.tokens import Acting
from identity.policy import excess_scopes, person_scopes

AMR_PASSWORD = ("pwd",)
AMR_SECOND_FACTOR = ("pwd", "otp")


class Stage(StrEnum):
    CREDENTIALS = "login"
    SECOND_FACTOR = "totp"
    ENTERPRISE = "enterprise"  # stored only while the person chooses for whom they act
    CONSENT = "consent"
    DONE = "done"  # never stored: the request is deleted


# ---------------------------------------------------------------- outcomes


@dataclass(frozen=True)
class AskCredentials:
    """Show the sign-in form."""

    stage: Stage = Stage.CREDENTIALS


@dataclass(frozen=True)
class Locked:
    """Too many failures on the address or the account: refused before the password is even checked."""

    retry_after: int
    stage: Stage = Stage.CREDENTIALS


@dataclass(frozen=True)
class WrongCredentials:
    stage: Stage = Stage.CREDENTIALS


@dataclass(frozen=True)
class SecondFactorMissing:
    """A staff account without TOTP enrolled never finishes signing in."""

    stage: Stage = Stage.CREDENTIALS


@dataclass(frozen=True)
class AskSecondFactor:
    stage: Stage = Stage.SECOND_FACTOR


@dataclass(frozen=True)
class SecondFactorLocked:
    stage: Stage = Stage.SECOND_FACTOR


@dataclass(frozen=True)
class WrongSecondFactor:
    stage: Stage = Stage.SECOND_FACTOR


@dataclass(frozen=True)
class SignedIn:
    """The person proved who they are (``amr``): a sign-in session starts, then the enterprise stage."""

    amr: tuple[str, ...]
    stage: Stage = Stage.ENTERPRISE


@dataclass(frozen=True)
class Deny:
    """An OAuth error sent back to the client's redirect URI; ``audit``: the action to record, if any."""

    error: str
    description: str
    audit: str | None = None
    audit_data: dict[str, Any] = field(default_factory=dict)
    stage: Stage | None = None  # None: the request stays where it was (it expires on its own)


@dataclass(frozen=True)
class StaffWithoutSecondFactor:
    """A staff member's sign-in session (an SSO one) was not made with a second factor."""

    stage: Stage | None = None


@dataclass(frozen=True)
class AskConsent:
    scopes: list[str]
    stage: Stage = Stage.CONSENT


@dataclass(frozen=True)
class IssueCode:
    """Done: issue the code for ``scopes``; ``consent_basis``: remember the scopes as consented, and why."""

    scopes: list[str]
    enterprise: str | None
    consent_basis: str | None = None
    stage: Stage = Stage.DONE


@dataclass(frozen=True)
class AskEnterprise:
    """Show the choice: the person themself or one of the enterprises they may act for (code, name)."""

    choices: tuple[tuple[str, str], ...]
    stage: Stage = Stage.ENTERPRISE


def wants_choice(params: dict[str, str], account_kind: str) -> bool:
    """Whether to ask for whom the person acts: the client asked (``prompt=select_account``), the request
    names no enterprise yet, and a citizen signs in (staff act for their department)."""
    prompts = (params.get("prompt") or "").split()
    return (
        "select_account" in prompts
        and not params.get("enterprise")
        and not params.get("chosen")
        and account_kind == "citizen"
    )


Outcome = (
    AskCredentials
    | Locked
    | WrongCredentials
    | SecondFactorMissing
    | AskSecondFactor
    | SecondFactorLocked
    | WrongSecondFactor
    | SignedIn
    | Deny
    | StaffWithoutSecondFactor
    | AskEnterprise
    | AskConsent
    | IssueCode
)


# ---------------------------------------------------------------- transitions


def on_authorize(*, signed_in: bool, prompt: str | None) -> SignedIn | Deny | AskCredentials:
    """A valid authorization request: a live sign-in session goes on to the enterprise stage (its own
    ``amr`` is checked there), ``prompt=none`` may not show a form."""
    if signed_in:
        return SignedIn(amr=())
    if prompt == "none":
        return Deny("login_required", "the user is not signed in")
    return AskCredentials()


def on_credentials_locked(lock: Lock | None, *, at: datetime) -> Locked | None:
    """First the throttle: a locked address or account is refused whatever the password."""
    return Locked(lock.retry_after(at)) if lock is not None else None


def on_credentials(
    *, verified: bool, kind: str | None, has_second_factor: bool
) -> WrongCredentials | SecondFactorMissing | AskSecondFactor | SignedIn:
    """``verified``: an enabled account of that name whose password matched."""
    if not verified:
        return WrongCredentials()
    if kind == "staff":
        return AskSecondFactor() if has_second_factor else SecondFactorMissing()
    return SignedIn(amr=AMR_PASSWORD)


def on_second_factor(*, locked: bool, step: int | None) -> SecondFactorLocked | WrongSecondFactor | SignedIn:
    """``step``: the TOTP time step the code matched (never one already used), None when it did not."""
    if locked:
        return SecondFactorLocked()
    if step is None:
        return WrongSecondFactor()
    return SignedIn(amr=AMR_SECOND_FACTOR)


def granted_scopes(
    requested: list[str],
    *,
    client_scopes: Iterable[str],
    client_kinds: Iterable[str],
    account_kind: str,
    acting: Acting,
) -> list[str]:
    """The scopes a code carries: the request within the client's registration, the account's kind and,
    for an enterprise, what it granted the person."""
    return person_scopes(
        requested,
        client_scopes=list(client_scopes),
        client_kinds=list(client_kinds),
        account_kind=account_kind,
        acting_scopes=acting.allowed_scopes if acting.enterprise else None,
    )


def admits(client_kinds: Iterable[str], account_kind: str) -> bool:
    """Who may sign in through a client: anyone where it serves citizens (another kind gets an identity and
    no platform scope there), only the kinds it serves otherwise (a staff tool admits staff only)."""
    kinds = set(client_kinds)
    return account_kind in kinds or "citizen" in kinds


def on_enterprise(
    *,
    client_kinds: Iterable[str],
    account_kind: str,
    acting: Acting | None,
    requested: list[str],
    amr: Iterable[str],
    chosen: bool = False,
) -> Deny | StaffWithoutSecondFactor | None:
    """Whether the person may go on to consent: the client admits their kind, they may act for the
    enterprise the request names, within what it granted them, and staff signed in with a second factor.
    ``chosen``: the person picked the enterprise on identity's page, so the client could not have asked for
    its scopes only; the grant is narrowed to them (:func:`granted_scopes`) instead of refused."""
    if not admits(client_kinds, account_kind):
        return Deny(
            "access_denied", f"this client is for {account_kind} accounts only", audit="authorize.account_kind_refused"
        )
    if acting is None:
        return Deny("access_denied", "you may not act for this enterprise")
    excess = excess_scopes(requested, acting.allowed_scopes) if acting.enterprise and not chosen else []
    if excess:
        return Deny(
            "invalid_scope",
            "a requested scope exceeds what the enterprise granted you",
            audit="authorize.scope_refused",
            audit_data={"enterprise": acting.enterprise, "scopes": excess},
        )
    if account_kind == "staff" and "otp" not in set(amr):
        return StaffWithoutSecondFactor()
    return None


def on_consent_needed(
    *, granted: list[str], enterprise: str | None, first_party: bool, consented: list[str] | None, prompt: str | None
) -> IssueCode | AskConsent | Deny:
    """A first-party client needs no consent (it is recorded as such); another one asks unless the person
    already consented to every granted scope (``consented``) and the request does not insist."""
    if first_party:
        return IssueCode(granted, enterprise, consent_basis="first_party")
    if prompt == "consent" or consented is None or not set(granted) <= set(consented):
        if prompt == "none":
            return Deny("consent_required", "the user has not consented to this client")
        return AskConsent(granted)
    return IssueCode(granted, enterprise)


def on_consent(*, allowed: bool, acting: Acting | None, requested: list[str], granted: list[str]) -> Deny | IssueCode:
    """The consent form's answer; the enterprise is checked again (a grant may have ended meanwhile), and the
    code carries the very scopes the page listed."""
    if not allowed:
        return Deny("access_denied", "the user declined", stage=Stage.DONE)
    if acting is None or (acting.enterprise and excess_scopes(requested, acting.allowed_scopes)):
        return Deny("access_denied", "you may no longer act for this enterprise")
    return IssueCode(granted, acting.enterprise, consent_basis="consent")
