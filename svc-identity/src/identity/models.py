"""Tables of svc-identity. Only this service reads or writes them.

Personal identifiers live only as ciphertext (``*_enc``) plus a keyed hash (``*_index``); see :mod:`identity.pii`.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from gov_common.db import UtcDateTime, new_metadata
from gov_common.idempotency import IdempotencyRecordMixin
from gov_standards.china_time import utcnow


class Base(DeclarativeBase):
    metadata = new_metadata()
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UtcDateTime(),  # aware UTC on SQLite too, so no reader needs to add the offset
        dict[str, Any]: sa.JSON(),
        list[str]: sa.JSON(),
    }


metadata = Base.metadata


class Region(Base):
    """GB/T 2260 division."""

    __tablename__ = "region"
    code: Mapped[str] = mapped_column(sa.String(6), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    parent_code: Mapped[str | None] = mapped_column(sa.ForeignKey("region.code"))


class Department(Base):
    __tablename__ = "department"
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(sa.String(200))
    # The department's unified social credit code: the id other services know it by (the catalog's
    # department.code, the `department` claim of its staff's tokens).
    code: Mapped[str | None] = mapped_column(sa.String(18), unique=True)
    region_code: Mapped[str] = mapped_column(sa.ForeignKey("region.code"), index=True)
    parent_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("department.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Account(Base):
    """A person who signs in: a citizen (who may also represent or act for enterprises) or a staff member."""

    __tablename__ = "account"
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    kind: Mapped[str] = mapped_column(sa.String(16))  # citizen | staff
    username: Mapped[str] = mapped_column(sa.String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(sa.String(200))
    real_name: Mapped[str] = mapped_column(sa.String(100))
    id_number_enc: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    id_number_index: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    id_number_masked: Mapped[str | None] = mapped_column(sa.String(18))
    phone_enc: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    phone_index: Mapped[str | None] = mapped_column(sa.String(64), index=True)
    phone_masked: Mapped[str | None] = mapped_column(sa.String(11))
    assurance_level: Mapped[int] = mapped_column(default=1)
    region_code: Mapped[str | None] = mapped_column(sa.ForeignKey("region.code"))
    department_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("department.id"))
    department_code: Mapped[str | None] = mapped_column(sa.String(18))  # copy of the department's code
    roles: Mapped[list[str]] = mapped_column(default=list)
    totp_secret_enc: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    totp_last_step: Mapped[int | None] = mapped_column(sa.BigInteger)
    disabled: Mapped[bool] = mapped_column(default=False)
    # When a recovery factor (mobile number, TOTP secret) last changed: a reset by text message waits after it.
    recovery_changed_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Enterprise(Base):
    """A legal person whose representative is confirmed (by the legal-person base data or by staff); only
    these give enterprise scopes and agent grants. Claims not yet confirmed are :class:`EnterpriseRegistration`."""

    __tablename__ = "enterprise"
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(sa.String(200))
    credit_code: Mapped[str] = mapped_column(sa.String(18), unique=True)
    representative_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("account.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AgentGrant(Base):
    """The representative authorises an agent (经办人) to act for the enterprise within scopes until a time."""

    __tablename__ = "agent_grant"
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    enterprise_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("enterprise.id"), index=True)
    agent_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("account.id"), index=True)
    scopes: Mapped[list[str]] = mapped_column(default=list)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    granted_by: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class OAuthClient(Base):
    """A relying party or an external system (city platform, department system)."""

    __tablename__ = "oauth_client"
    client_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    auth_method: Mapped[str] = mapped_column(sa.String(32))  # client_secret_basic | private_key_jwt | none
    secret_hash: Mapped[str | None] = mapped_column(sa.String(128))
    jwks: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    redirect_uris: Mapped[list[str]] = mapped_column(default=list)
    post_logout_redirect_uris: Mapped[list[str]] = mapped_column(default=list)
    grant_types: Mapped[list[str]] = mapped_column(default=list)
    # The API scopes it may ask for (gov_common.scopes.CATALOGUE names, OIDC ones).
    scopes: Mapped[list[str]] = mapped_column(default=list)
    # The kinds of people it serves (citizen, staff): only they get its platform scopes; staff-only admits only staff.
    account_kinds: Mapped[list[str]] = mapped_column(default=lambda: ["citizen"])
    first_party: Mapped[bool] = mapped_column(default=False)
    region_code: Mapped[str | None] = mapped_column(sa.ForeignKey("region.code"))
    # A department's own system (client credentials): its tokens carry `department`, e.g. to import licences.
    department_code: Mapped[str | None] = mapped_column(sa.ForeignKey("department.code"))
    disabled: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SigningKey(Base):
    """Token-signing keys; the private JWK is stored wrapped (AES-GCM). Published while active or retiring."""

    __tablename__ = "signing_key"
    kid: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    alg: Mapped[str] = mapped_column(sa.String(16))
    private_jwk_enc: Mapped[bytes] = mapped_column(sa.LargeBinary)
    public_jwk: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    status: Mapped[str] = mapped_column(sa.String(16))  # active | retiring
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    retire_at: Mapped[datetime | None]


class LoginSession(Base):
    """A single sign-on session (the browser cookie) and the refresh tokens issued under it."""

    __tablename__ = "login_session"
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    account_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("account.id"), index=True)
    amr: Mapped[list[str]] = mapped_column(default=list)
    user_agent: Mapped[str | None] = mapped_column(sa.String(300))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    # Indexed: every service polls the sessions ended in the last minutes (GET /v1/revocations).
    ended_at: Mapped[datetime | None] = mapped_column(index=True)


class AuthorizationRequest(Base):
    """An authorization request waiting for login, second factor or consent (bound to a browser cookie)."""

    __tablename__ = "authorization_request"
    id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    browser_hash: Mapped[str] = mapped_column(sa.String(64))
    params: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    stage: Mapped[str] = mapped_column(sa.String(16), default="login")  # login | totp | consent
    account_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("account.id"))
    session_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("login_session.id"))
    expires_at: Mapped[datetime]


class AuthorizationCode(Base):
    __tablename__ = "authorization_code"
    code_hash: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    client_id: Mapped[str] = mapped_column(sa.ForeignKey("oauth_client.client_id"))
    account_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("account.id"))
    session_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("login_session.id"))
    redirect_uri: Mapped[str] = mapped_column(sa.String(500))
    scope: Mapped[str] = mapped_column(sa.String(2000))
    nonce: Mapped[str | None] = mapped_column(sa.String(200))
    code_challenge: Mapped[str] = mapped_column(sa.String(128))
    enterprise: Mapped[str | None] = mapped_column(sa.String(18))
    auth_time: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    family_id: Mapped[uuid.UUID] = mapped_column(default=uuid.uuid4)


class RefreshToken(Base):
    """Opaque, single use: each refresh rotates it; presenting a used one revokes its whole family."""

    __tablename__ = "refresh_token"
    token_hash: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    family_id: Mapped[uuid.UUID] = mapped_column(index=True)
    client_id: Mapped[str] = mapped_column(sa.ForeignKey("oauth_client.client_id"))
    account_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("account.id"), index=True)
    session_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("login_session.id"), index=True)
    scope: Mapped[str] = mapped_column(sa.String(2000))
    enterprise: Mapped[str | None] = mapped_column(sa.String(18))
    auth_time: Mapped[datetime]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class RevokedAccessToken(Base):
    """Access tokens revoked before expiry (RFC 7009); introspection reports them inactive."""

    __tablename__ = "revoked_access_token"
    jti: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    expires_at: Mapped[datetime]


class UsedAssertion(Base):
    """Client assertion ids (private_key_jwt) already seen, refused on replay until they expire."""

    __tablename__ = "used_assertion"
    client_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    jti: Mapped[str] = mapped_column(sa.String(200), primary_key=True)
    expires_at: Mapped[datetime]


class Consent(Base):
    """The scopes a person let a client have, and on what basis: ``consent`` (the person chose, on the
    consent page) or ``first_party`` (the platform's own client, pre-consented and recorded at sign-in)."""

    __tablename__ = "consent"
    account_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("account.id"), primary_key=True)
    client_id: Mapped[str] = mapped_column(sa.ForeignKey("oauth_client.client_id"), primary_key=True)
    scopes: Mapped[list[str]] = mapped_column(default=list)
    basis: Mapped[str] = mapped_column(sa.String(16), default="consent")
    granted_at: Mapped[datetime] = mapped_column(default=utcnow)


class LoginThrottle(Base):
    """Consecutive sign-in failures per account (``acct:<id>``), per account's second factor (``totp:<id>``,
    which a right password does not reset) and per source address (``addr:<hash>``)."""

    __tablename__ = "login_throttle"
    key: Mapped[str] = mapped_column(sa.String(100), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    last_failure_at: Mapped[datetime | None]
    locked_until: Mapped[datetime | None]


class IdempotencyRecord(IdempotencyRecordMixin, Base):
    """The first answer of each create sent with an ``Idempotency-Key`` (gov_common.idempotency)."""


class AuditEvent(Base):
    """Append-only: who did what to which record, when and from where. Never personal identifiers."""

    __tablename__ = "audit_event"
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    action: Mapped[str] = mapped_column(sa.String(64), index=True)
    actor: Mapped[str | None] = mapped_column(sa.String(64))
    target: Mapped[str | None] = mapped_column(sa.String(64), index=True)
    client_id: Mapped[str | None] = mapped_column(sa.String(64))
    source_address: Mapped[str | None] = mapped_column(sa.String(64))
    details: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)


class PasswordReset(Base):
    """A self-service password reset: a 6-digit code sent to the account's mobile number."""

    __tablename__ = "password_reset"
    id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    account_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("account.id"), index=True)
    code_hash: Mapped[str] = mapped_column(sa.String(64))
    attempts: Mapped[int] = mapped_column(default=0)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class PhoneChange(Base):
    """A change of the recovery mobile number, started with re-authentication and confirmed by a code sent
    to the new number."""

    __tablename__ = "phone_change"
    id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    account_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("account.id"), index=True)
    phone_enc: Mapped[bytes] = mapped_column(sa.LargeBinary)
    code_hash: Mapped[str] = mapped_column(sa.String(64))
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    confirmed_at: Mapped[datetime | None]


class EnterpriseRegistration(Base):
    """A person's claim to represent a legal person that the legal-person base could not confirm: pending
    until staff verify it; it gives nothing meanwhile and blocks nobody (several may be pending)."""

    __tablename__ = "enterprise_registration"
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    credit_code: Mapped[str] = mapped_column(sa.String(18), index=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    region_code: Mapped[str] = mapped_column(sa.String(6), index=True)
    applicant_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("account.id"), index=True)
    status: Mapped[str] = mapped_column(sa.String(16), default="pending")  # pending | verified | rejected
    decided_by: Mapped[str | None] = mapped_column(sa.String(64))
    decided_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class EnterpriseDispute(Base):
    """A person's claim that they, not the recorded representative, represent an enterprise; staff decide."""

    __tablename__ = "enterprise_dispute"
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    enterprise_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("enterprise.id"), index=True)
    region_code: Mapped[str] = mapped_column(sa.String(6), index=True)
    claimant_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("account.id"), index=True)
    representative_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("account.id"))  # the one disputed
    reason: Mapped[str] = mapped_column(sa.String(1000))
    base_check: Mapped[str] = mapped_column(sa.String(16))  # what the legal-person base said of the claimant
    status: Mapped[str] = mapped_column(sa.String(16), default="open")  # open | upheld | dismissed
    decided_by: Mapped[str | None] = mapped_column(sa.String(64))
    decided_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
