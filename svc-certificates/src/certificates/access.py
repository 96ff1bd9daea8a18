"""Who may read or act on a license, in the terms of the one access policy (:mod:`gov_common.policy`):

- its holder: the citizen, or a person acting for the holder enterprise whose token holds the operation's
  scope (``certificates.licenses.read`` to read, ``certificates.licenses.share`` to grant others use);
- staff of the issuing department whose region covers the license's (case roles read; approvers act);
- a department or application the holder granted it to, until the grant expires or is revoked.

A license imported by its department's own system names no account, only the holder's ID number: it is
the citizen's whose ID number it is, once verified in person (identity tells once per account; the link is
remembered by its blind index in ``holder_link``, never the number itself). Only a department's own system imports, and only the
license types its department's published items produce.

Anyone else gets 404, so that a license's existence does not leak. Every read by someone other than the
holder is written to the holder's use log. Each operation's scope is checked before, by ``scoped()``."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from certificates.context import Context
from certificates.errors import HolderUnresolved, LicenseNotFound, NotADepartmentSystem
from certificates.licenses import service
from certificates.models import Grant, HolderLink, License, LicenseUse
from gov_common.auth import Principal
from gov_common.errors import Forbidden
from gov_common.policy import CASE_ROLES, Applicant, acts_for_applicant, staff_in, system_in

log = logging.getLogger(__name__)

SCOPE_READ = "certificates.licenses.read"
SCOPE_SHARE = "certificates.licenses.share"
SCOPE_ISSUE = "certificates.licenses.issue"
SCOPE_IMPORT = "certificates.licenses.import"
APPROVER = frozenset({"approver"})


def holder_key(ctx: Context, principal: Principal) -> str:
    """The wallet a holder's token opens: the account (citizen) or the enterprise's blind index (a person
    acting for it; the route's scope says how far)."""
    if principal.kind == "citizen":
        return principal.subject
    if principal.kind == "enterprise" and principal.enterprise:
        return ctx.master_key.blind_index(principal.enterprise)
    raise Forbidden("the wallet is for citizens and people acting for an enterprise")


def holder_of(ctx: Context, lic: License) -> Applicant:
    """The license's holder as the access policy describes an applicant."""
    if lic.holder_id_type == "credit_code":
        return Applicant(kind="enterprise", subject=None, enterprise=service.holder_id(ctx, lic))
    return Applicant(kind="citizen", subject=lic.holder_subject)


# Level 3: the person was verified in person at a service hall (identity's acr). Level 2 (name and ID number
# match the population base) is knowledge, not possession: whoever knows them reaches it.
IN_PERSON_LEVEL = 3


async def citizen_id_index(session: AsyncSession, ctx: Context, principal: Principal) -> str | None:
    """The blind index of the citizen's ID number: remembered, or asked of identity once and then
    remembered. ``None`` when identity cannot tell now (nothing is remembered; the next read asks again),
    and for an account not verified in person (below level 3): whoever registers with someone else's ID
    number (and name) must not open the licences a department imported for it."""
    if principal.assurance_level < IN_PERSON_LEVEL:
        return None
    subject = principal.subject
    link = await session.get(HolderLink, subject)
    if link is not None:
        return link.id_index
    try:
        holder = await ctx.identity.holder(subject)
    except HolderUnresolved:
        log.warning("identity did not name citizen %s: their wallet shows licenses issued to the account only", subject)
        return None
    if holder.id_type != "citizen_id":
        return None
    index = ctx.master_key.blind_index(holder.id_number)
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    # two first reads at once: one stores the link, the other finds it stored
    await session.execute(
        insert(HolderLink).values(subject=subject, id_index=index, linked_at=service.now()).on_conflict_do_nothing()
    )
    return index


async def is_holder(session: AsyncSession, ctx: Context, lic: License, principal: Principal, *, scope: str) -> bool:
    """Whether ``principal`` acts for ``lic``'s holder with ``scope``: its citizen (by account, or by ID
    number for a license imported without one) or a person acting for its enterprise."""
    if acts_for_applicant(principal, holder_of(ctx, lic), scope=scope):
        return True
    if lic.holder_subject is not None or lic.holder_id_type != "citizen_id":
        return False
    if not acts_for_applicant(principal, Applicant(kind="citizen", subject=principal.subject), scope=scope):
        return False  # not a citizen, or without the scope: no need to ask identity
    return lic.holder_id_index == await citizen_id_index(session, ctx, principal)


async def owned_by(session: AsyncSession, ctx: Context, principal: Principal) -> sa.ColumnElement[bool]:
    """The licenses in ``principal``'s wallet: a citizen's by account or ID number, an enterprise's."""
    if principal.kind != "citizen":
        return sa.and_(License.holder_id_index == holder_key(ctx, principal), License.holder_id_type == "credit_code")
    mine: sa.ColumnElement[bool] = License.holder_subject == principal.subject
    index = await citizen_id_index(session, ctx, principal)
    if index is not None:
        mine = sa.or_(mine, sa.and_(License.holder_subject.is_(None), License.holder_id_index == index))
    return sa.and_(mine, License.holder_id_type == "citizen_id")


async def wallet_keys(session: AsyncSession, ctx: Context, principal: Principal) -> list[str]:
    """The holder keys uses of ``principal``'s licenses are logged under (see :func:`wallet_key_of`)."""
    key = holder_key(ctx, principal)
    if principal.kind != "citizen":
        return [key]
    index = await citizen_id_index(session, ctx, principal)
    return [key] if index is None else [key, index]


def importing_department(principal: Principal) -> tuple[str, str]:
    """The department and region a department's own system imports licenses for (its token's
    ``department`` and ``region``), else ``NotADepartmentSystem``."""
    if (
        principal.department is None
        or principal.region is None
        or not system_in(principal, scope=SCOPE_IMPORT, region=principal.region)
    ):
        raise NotADepartmentSystem(client_id=principal.client_id)
    return principal.department, principal.region


def issuing_staff(principal: Principal, lic: License, *, roles: Iterable[str] = CASE_ROLES) -> bool:
    """Staff of ``lic``'s issuing department holding one of ``roles``, whose region covers the license's.
    Licenses issued before regions were recorded (certificates_0003) are their department's alone."""
    region = lic.region or principal.region
    return staff_in(principal, department=lic.issuer_code, region=region, roles=roles)


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
            Grant.expires_at > service.now(),
        )
        .order_by(Grant.created_at.desc())
        .limit(1)
    )


def _log_use(
    session: AsyncSession, lic: License, principal: Principal, *, basis: str, grant: Grant | None, purpose: str | None
) -> None:
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
            used_at=service.now(),
        )
    )


async def authorise_read(
    session: AsyncSession, ctx: Context, *, principal: Principal, license_id: uuid.UUID, purpose: str | None
) -> License:
    """The license if ``principal`` may read it (logging a third-party use), else ``LicenseNotFound``."""
    lic = await session.get(License, license_id)
    if lic is None:
        raise LicenseNotFound()
    if await is_holder(session, ctx, lic, principal, scope=SCOPE_READ):
        return lic
    grant: Grant | None = None
    if issuing_staff(principal, lic):
        basis = "issuer"
    else:
        if principal.kind == "staff" and principal.department:
            grant = await _active_grant(session, lic, "department", principal.department)
        elif principal.kind == "system":
            grant = await _active_grant(session, lic, "application", principal.client_id or principal.subject)
        if grant is None:
            raise LicenseNotFound()
        basis = "grant"
    _log_use(session, lic, principal, basis=basis, grant=grant, purpose=purpose)
    await session.flush()
    return lic


async def authorise_issuer(
    session: AsyncSession, *, principal: Principal, license_id: uuid.UUID, action: str
) -> License:
    """The license if ``principal`` is an approver of its issuing department covering its region (the
    action is logged as a use), else ``LicenseNotFound``."""
    lic = await session.get(License, license_id)
    if lic is None or not issuing_staff(principal, lic, roles=APPROVER):
        raise LicenseNotFound()
    if lic.region is None:
        lic.region = principal.region  # a license from before 0003 takes the region of the issuer acting on it
    _log_use(session, lic, principal, basis="issuer", grant=None, purpose=action)
    await session.flush()
    return lic
