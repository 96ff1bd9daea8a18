"""The authorization endpoint's work: each step gathers the facts the sign-in machine (``signin.py``) needs,
applies its outcome (throttle, audit, sign-in session, consent, code) and hands the router a :class:`Step`
to render. Nothing here knows HTTP."""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from gov_common.scopes import OIDC
from gov_standards.china_time import utcnow as now
from gov_standards.identifiers import InvalidIdentifier, parse_credit_code
from identity import audit
from identity.accounts.service import find_for_login
from identity.deps import Identity
from identity.models import Account, AuthorizationCode, AuthorizationRequest, Consent, LoginSession, OAuthClient
from identity.oidc import sessions, signin, throttle
from identity.oidc.signin import Deny, IssueCode, Outcome, Stage
from identity.oidc.tokens import acting_for, enterprises_acting, new_opaque_token, token_hash
from identity.org.service import totp_step
from identity.passwords import verify_password
from identity.policy import parse_scope

TOTP_CONTEXT = "totp"


@dataclass(frozen=True)
class Expired:
    """No request waits in this stage for this browser (unknown, expired, another stage or browser)."""


@dataclass
class Step:
    """What the router renders: the outcome, the request and client it concerns, and what to set or send."""

    outcome: Outcome | Expired
    request: AuthorizationRequest | None = None
    client: OAuthClient | None = None
    session_cookie: str | None = None  # a sign-in session started: the raw cookie value
    code: str | None = None  # the code issued (outcome IssueCode)
    binds_browser: bool = True  # the request waits for this browser (its cookie must be set)


def check_request(params: dict[str, str], client: OAuthClient) -> Deny | None:
    """The error of a request whose client and redirect URI are already known good, or None."""
    if params.get("response_type") != "code":
        return Deny("unsupported_response_type", "only response_type=code is supported")
    if "authorization_code" not in client.grant_types:
        return Deny("unauthorized_client", "this client may not use the authorization code grant")
    if not params.get("code_challenge") or params.get("code_challenge_method") != "S256":
        return Deny("invalid_request", "PKCE is required, with code_challenge_method=S256")
    if not 43 <= len(params["code_challenge"]) <= 128:
        return Deny("invalid_request", "code_challenge has the wrong length")
    requested = parse_scope(params.get("scope"))
    allowed = set(client.scopes) | OIDC
    if not requested or any(s not in allowed for s in requested):
        return Deny("invalid_scope", "a requested scope is not allowed for this client")
    if params.get("enterprise"):
        try:
            parse_credit_code(params["enterprise"])
        except InvalidIdentifier:
            return Deny("invalid_request", "enterprise is not a valid unified social credit code")
    return None


async def begin(
    session: AsyncSession,
    identity: Identity,
    *,
    params: dict[str, str],
    client: OAuthClient,
    browser: str,
    session_cookie: str | None,
) -> Step:
    """A valid request waits for this browser's sign-in, or goes on at once under its open sign-in session
    (unless ``prompt=login``)."""
    req = AuthorizationRequest(
        id=secrets.token_urlsafe(24),
        browser_hash=token_hash(browser),
        params=params,
        stage=Stage.CREDENTIALS.value,
        expires_at=now() + timedelta(seconds=identity.settings.login_request_ttl_seconds),
    )
    session.add(req)
    sso = None if params.get("prompt") == "login" else await sessions.current(session, session_cookie)
    account = await session.get(Account, sso.account_id) if sso is not None else None
    signed_in = sso is not None and account is not None and not account.disabled
    outcome = signin.on_authorize(signed_in=signed_in, prompt=params.get("prompt"))
    if isinstance(outcome, signin.SignedIn):
        assert sso is not None and account is not None
        req.account_id, req.session_id = account.id, sso.id
        sso.last_seen_at = now()
        return await _after_sign_in(session, identity, req=req, client=client, account=account, sso=sso)
    return Step(outcome, req, client, binds_browser=not isinstance(outcome, Deny))


async def pending(
    session: AsyncSession, *, request_id: str, browser: str, stage: Stage
) -> tuple[AuthorizationRequest, OAuthClient] | None:
    """The request waiting in ``stage`` for this very browser (a form posted from another one is refused)."""
    req = await session.get(AuthorizationRequest, request_id) if request_id else None
    if (
        req is None
        or req.stage != stage.value
        or req.expires_at <= now()
        or not hmac.compare_digest(req.browser_hash, token_hash(browser))
    ):
        return None
    client = await session.get(OAuthClient, req.params["client_id"])
    assert client is not None
    return req, client


async def submit_credentials(
    session: AsyncSession,
    identity: Identity,
    *,
    req: AuthorizationRequest,
    client: OAuthClient,
    username: str,
    password: str,
    address: str | None,
    user_agent: str | None,
) -> Step:
    at = now()
    account = await find_for_login(session, identity.pii, username) if username else None
    keys = [throttle.address_key(address)] + ([throttle.account_key(account.id)] if account else [])
    # A second factor locked by wrong codes locks the password step too.
    held = keys + ([throttle.totp_key(account.id)] if account else [])
    target = str(account.id) if account else None
    seen = {"client_id": client.client_id, "source_address": address}
    locked = signin.on_credentials_locked(await throttle.current_lock(session, held, now=at), at=at)
    if locked is not None:
        await audit.record(session, "login.refused_locked", target=target, **seen)
        return Step(locked, req, client)
    verified = account is not None and not account.disabled and verify_password(account.password_hash, password)
    outcome = signin.on_credentials(
        verified=verified,
        kind=account.kind if account else None,
        has_second_factor=account is not None and account.totp_secret_enc is not None,
    )
    if isinstance(outcome, signin.WrongCredentials):
        s = identity.settings
        thresholds = [s.lockout_address_threshold, s.lockout_account_threshold]
        locks = [
            await throttle.fail(session, key, threshold=limit, settings=s, now=at)
            for key, limit in zip(keys, thresholds, strict=False)
        ]
        await audit.record(session, "login.failed", target=target, reason="password", **seen)
        if any(locks):
            await audit.record(session, "login.locked", target=target, **seen)
        return Step(outcome, req, client)
    assert account is not None
    await throttle.succeed(session, keys[1])
    req.account_id = account.id
    if isinstance(outcome, signin.SecondFactorMissing):
        await audit.record(session, "login.mfa_missing", target=target, **seen)
        return Step(outcome, req, client)
    if isinstance(outcome, signin.AskSecondFactor):
        req.stage = outcome.stage.value
        return Step(outcome, req, client)
    return await _signed_in(
        session, identity, req=req, client=client, account=account, outcome=outcome, address=address, ua=user_agent
    )


async def submit_second_factor(
    session: AsyncSession,
    identity: Identity,
    *,
    req: AuthorizationRequest,
    client: OAuthClient,
    code: str,
    address: str | None,
    user_agent: str | None,
) -> Step:
    account = await session.get(Account, req.account_id) if req.account_id else None
    if account is None or account.totp_secret_enc is None:
        return Step(Expired())
    at, key = now(), throttle.totp_key(account.id)
    locked = await throttle.current_lock(session, [key, throttle.account_key(account.id)], now=at) is not None
    step = None
    if not locked:
        secret = identity.pii.decrypt(account.totp_secret_enc, kind=TOTP_CONTEXT)
        step = totp_step(secret, code, account.totp_last_step)
    outcome = signin.on_second_factor(locked=locked, step=step)
    if isinstance(outcome, signin.WrongSecondFactor):
        s = identity.settings
        lock = await throttle.fail(session, key, threshold=s.lockout_account_threshold, settings=s, now=at)
        seen = {"target": str(account.id), "client_id": client.client_id, "source_address": address}
        await audit.record(session, "login.failed", reason="totp", **seen)
        if lock:
            await audit.record(session, "login.locked", **seen)
    if not isinstance(outcome, signin.SignedIn):
        return Step(outcome, req, client)
    account.totp_last_step = step
    await throttle.succeed(session, key)
    return await _signed_in(
        session, identity, req=req, client=client, account=account, outcome=outcome, address=address, ua=user_agent
    )


async def submit_consent(
    session: AsyncSession, identity: Identity, *, req: AuthorizationRequest, client: OAuthClient, allowed: bool
) -> Step:
    account = await session.get(Account, req.account_id) if req.account_id else None
    sso = await session.get(LoginSession, req.session_id) if req.session_id else None
    if account is None or sso is None:
        return Step(Expired())
    requested = parse_scope(req.params.get("scope"))
    acting = await acting_for(session, account, req.params.get("enterprise") or None) if allowed else None
    # The same scopes the consent page listed: nothing more than the person saw.
    granted = _granted(requested, client, account, acting) if acting is not None else []
    outcome = signin.on_consent(allowed=allowed, acting=acting, requested=requested, granted=granted)
    return await _apply(session, identity, req=req, client=client, account=account, sso=sso, outcome=outcome)


async def submit_enterprise(
    session: AsyncSession, identity: Identity, *, req: AuthorizationRequest, client: OAuthClient, choice: str
) -> Step:
    """The person chose for whom they act (``self`` or a credit code); the choice is checked like an
    ``enterprise`` parameter would be (:func:`acting_for`), then the sign-in goes on."""
    account = await session.get(Account, req.account_id) if req.account_id else None
    sso = await session.get(LoginSession, req.session_id) if req.session_id else None
    if account is None or sso is None:
        return Step(Expired())
    params = dict(req.params)
    params["chosen"] = "1"
    if choice != "self":
        try:
            params["enterprise"] = parse_credit_code(choice)
        except InvalidIdentifier:
            return Step(Deny("invalid_request", "enterprise is not a valid unified social credit code"), req, client)
    req.params = params
    return await _after_sign_in(session, identity, req=req, client=client, account=account, sso=sso)


async def _signed_in(
    session: AsyncSession,
    identity: Identity,
    *,
    req: AuthorizationRequest,
    client: OAuthClient,
    account: Account,
    outcome: signin.SignedIn,
    address: str | None,
    ua: str | None,
) -> Step:
    amr = list(outcome.amr)
    sso, raw = await sessions.start(session, identity, account=account, amr=amr, user_agent=ua)
    req.session_id = sso.id
    await audit.record(
        session,
        "login.succeeded",
        actor=str(account.id),
        target=str(account.id),
        client_id=client.client_id,
        source_address=address,
        amr=amr,
    )
    step = await _after_sign_in(session, identity, req=req, client=client, account=account, sso=sso)
    step.session_cookie = raw
    return step


def _granted(requested: list[str], client: OAuthClient, account: Account, acting: signin.Acting) -> list[str]:
    return signin.granted_scopes(
        requested,
        client_scopes=client.scopes,
        client_kinds=client.account_kinds,
        account_kind=account.kind,
        acting=acting,
    )


async def _after_sign_in(
    session: AsyncSession,
    identity: Identity,
    *,
    req: AuthorizationRequest,
    client: OAuthClient,
    account: Account,
    sso: LoginSession,
) -> Step:
    """The enterprise stage, then consent where needed, then the code."""
    params = req.params
    requested = parse_scope(params.get("scope"))
    admitted = signin.admits(client.account_kinds, account.kind)
    if admitted and signin.wants_choice(params, account.kind):
        choices = await enterprises_acting(session, account)
        if choices:
            outcome_: Outcome = signin.AskEnterprise(tuple(choices))
            return await _apply(session, identity, req=req, client=client, account=account, sso=sso, outcome=outcome_)
    acting = await acting_for(session, account, params.get("enterprise") or None) if admitted else None
    refused = signin.on_enterprise(
        client_kinds=client.account_kinds,
        account_kind=account.kind,
        acting=acting,
        requested=requested,
        amr=sso.amr or [],
        chosen=bool(params.get("chosen")),
    )
    outcome: Outcome
    if refused is not None:
        outcome = refused
    else:
        assert acting is not None
        granted = _granted(requested, client, account, acting)
        consent = None if client.first_party else await session.get(Consent, (account.id, client.client_id))
        outcome = signin.on_consent_needed(
            granted=granted,
            enterprise=acting.enterprise,
            first_party=client.first_party,
            consented=list(consent.scopes) if consent is not None else None,
            prompt=params.get("prompt"),
        )
    return await _apply(session, identity, req=req, client=client, account=account, sso=sso, outcome=outcome)


async def _apply(
    session: AsyncSession,
    identity: Identity,
    *,
    req: AuthorizationRequest,
    client: OAuthClient,
    account: Account,
    sso: LoginSession,
    outcome: Outcome,
) -> Step:
    """Carry out a post-sign-in outcome: audit a refusal, wait for consent, or issue the code."""
    if isinstance(outcome, Deny) and outcome.audit:
        await audit.record(
            session, outcome.audit, actor=str(account.id), client_id=client.client_id, **outcome.audit_data
        )
    if isinstance(outcome, IssueCode):
        if outcome.consent_basis:
            await _record_consent(session, account, client, outcome.scopes, basis=outcome.consent_basis)
        code = await _issue_code(session, identity, req=req, account=account, sso=sso, outcome=outcome)
        return Step(outcome, req, client, code=code)
    if outcome.stage is Stage.DONE:
        await session.delete(req)
    elif outcome.stage is not None:
        req.stage = outcome.stage.value
    return Step(outcome, req, client)


async def _record_consent(
    session: AsyncSession, account: Account, client: OAuthClient, scopes: list[str], *, basis: str
) -> None:
    """Remember the scopes the person let the client have, and why (``consent`` or ``first_party``)."""
    row = await session.get(Consent, (account.id, client.client_id))
    if row is not None and set(scopes) <= set(row.scopes) and row.basis == basis:
        return
    if row is None:
        row = Consent(account_id=account.id, client_id=client.client_id, scopes=[], basis=basis)
        session.add(row)
    row.scopes = sorted(set(row.scopes) | set(scopes))
    row.basis, row.granted_at = basis, now()
    await audit.record(
        session, "consent.granted", actor=str(account.id), client_id=client.client_id, scopes=scopes, basis=basis
    )


async def _issue_code(
    session: AsyncSession,
    identity: Identity,
    *,
    req: AuthorizationRequest,
    account: Account,
    sso: LoginSession,
    outcome: IssueCode,
) -> str:
    params = req.params
    code = new_opaque_token()
    session.add(
        AuthorizationCode(
            code_hash=token_hash(code),
            client_id=params["client_id"],
            account_id=account.id,
            session_id=sso.id,
            redirect_uri=params["redirect_uri"],
            scope=" ".join(outcome.scopes),
            nonce=params.get("nonce"),
            code_challenge=params["code_challenge"],
            enterprise=outcome.enterprise,
            auth_time=sso.created_at,
            expires_at=now() + timedelta(seconds=identity.settings.authorization_code_ttl_seconds),
        )
    )
    await session.delete(req)
    return code
