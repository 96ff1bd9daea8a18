"""Who may read a license: its holder; staff of the issuing department (the cases they handle); and a
department or application the holder granted it to, until the grant expires or is revoked. Anyone else
gets 404, so that a license's existence does not leak. Every read by someone other than the holder is
written to the holder's use log."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from certificates.context import Context
from certificates.errors import LicenseNotFound
from certificates.licenses.service import now
from certificates.models import Grant, License, LicenseUse
from gov_common.auth import Principal
from gov_common.errors import Forbidden

# An agent acts on the enterprise's licenses only as far as the representative granted (identity's
# ENTERPRISE_SCOPES); the scope is in the agent's token.
SCOPE_READ = "license:read"


def holder_key(ctx: Context, principal: Principal) -> str:
    """The wallet a holder token opens: the account (citizen) or the enterprise's blind index (an agent
    holding ``license:read``)."""
    if principal.kind == "citizen":
        return principal.subject
    if principal.kind == "enterprise" and principal.enterprise:
        if not principal.has_scopes(SCOPE_READ):
            raise Forbidden("the enterprise has not granted you its licenses", required_scope=SCOPE_READ)
        return ctx.master_key.blind_index(principal.enterprise)
    raise Forbidden("the wallet is for citizens and enterprise agents")


def license_holder_key(ctx: Context, lic: License, principal: Principal) -> bool:
    if principal.kind == "citizen":
        return lic.holder_id_type == "citizen_id" and lic.holder_subject == principal.subject
    if principal.kind == "enterprise" and principal.enterprise and principal.has_scopes(SCOPE_READ):
        return lic.holder_id_type == "credit_code" and lic.holder_id_index == ctx.master_key.blind_index(
            principal.enterprise
        )
    return False


def wallet_key_of(lic: License) -> str:
    """The holder key recorded on grants and uses of ``lic``."""
    if lic.holder_id_type == "credit_code":
        return lic.holder_id_index
    return lic.holder_subject or lic.holder_id_index


async def _active_grant(session: AsyncSession, lic: License, kind: str, grantee: str) -> Grant | None:
    return await session.scalar(
        sa.select(Grant)
        .where(
            Grant.license_id == lic.id,
            Grant.grantee_kind == kind,
            Grant.grantee == grantee,
            Grant.revoked_at.is_(None),
            Grant.expires_at > now(),
        )
        .order_by(Grant.created_at.desc())
        .limit(1)
    )


async def authorise_read(
    session: AsyncSession, ctx: Context, *, principal: Principal, license_id: uuid.UUID, purpose: str | None
) -> License:
    """The license if ``principal`` may read it (logging a third-party use), else ``LicenseNotFound``."""
    lic = await session.get(License, license_id)
    if lic is None:
        raise LicenseNotFound()
    if license_holder_key(ctx, lic, principal):
        return lic
    grant: Grant | None = None
    basis: str | None = None
    if principal.kind == "staff" and principal.department:
        if principal.department == lic.issuer_code and principal.roles & {"acceptor", "reviewer", "approver"}:
            basis = "issuer"
        else:
            grant = await _active_grant(session, lic, "department", principal.department)
    elif principal.kind == "system":
        client = principal.client_id or principal.subject
        grant = await _active_grant(session, lic, "application", client)
    if grant is not None:
        basis = "grant"
    if basis is None:
        raise LicenseNotFound()
    session.add(
        LicenseUse(
            license_id=lic.id,
            holder_key=wallet_key_of(lic),
            user_kind=principal.kind,
            user_subject=principal.subject,
            user_department=principal.department,
            user_client=principal.client_id,
            basis=basis,
            grant_id=grant.id if grant else None,
            purpose=(purpose or (grant.purpose if grant else "case handling"))[:300],
            used_at=now(),
        )
    )
    await session.flush()
    return lic
