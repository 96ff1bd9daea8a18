"""Loading a license for a caller and recording what they did with it: the reads and writes around the
decisions of :mod:`certificates.access` (the holder's ID-number link, grants, the holder's use log)."""

from __future__ import annotations

import logging
import uuid

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from certificates.access import (
    APPROVER,
    SCOPE_READ,
    holder_key,
    holder_of,
    issuing_staff,
    links_by_id_number,
    wallet_key_of,
)
from certificates.context import Context
from certificates.errors import HolderUnresolved, LicenseNotFound
from certificates.licenses import service
from certificates.models import Grant, HolderLink, License, LicenseUse
from gov_common.auth import Principal
from gov_common.policy import Applicant, acts_for_applicant

log = logging.getLogger(__name__)


async def citizen_id_index(session: AsyncSession, ctx: Context, principal: Principal) -> str | None:
    """The blind index of the citizen's ID number: remembered, or asked of identity once and then
    remembered. ``None`` when identity cannot tell now (nothing is remembered; the next read asks again),
    and for an account not verified in person (below level 3): whoever registers with someone else's ID
    number (and name) must not open the licences a department imported for it."""
    if not links_by_id_number(principal):
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
