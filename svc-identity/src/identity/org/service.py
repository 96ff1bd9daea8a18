"""Regions, departments and staff. A staff admin acts only inside their own region subtree; only a
platform admin grants the privileged roles or acts on an account holding one; no administrator acts on
their own account through administration (their own changes go through /v1/me, with re-authentication)."""

from __future__ import annotations

import hmac
import secrets
import uuid

import pyotp
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from gov_common.auth import Principal
from gov_common.errors import Forbidden
from gov_standards.china_time import utcnow as now
from gov_standards.regions import parent_of, region_covers
from identity import audit
from identity.accounts.service import checked_phone, publish_registered, set_phone
from identity.errors import (
    AccountNotFound,
    DepartmentExists,
    DepartmentNotFound,
    NotOnYourself,
    OutsideRegion,
    PrivilegedAccount,
    RegionExists,
    RegionNotFound,
    RoleNotGrantable,
    UnknownRole,
    UsernameTaken,
)
from identity.models import Account, Department, Region
from identity.org.schemas import DepartmentCreate, RegionCreate, StaffCreate
from identity.passwords import hash_password
from identity.pii import PersonalData
from identity.policy import PRIVILEGED_ROLES, ROLES

TOTP_ISSUER = "广西政务服务 (gov-platform)"


def is_platform_admin(principal: Principal) -> bool:
    return principal.kind == "staff" and "platform_admin" in principal.roles


def ensure_platform_admin(principal: Principal) -> None:
    if not is_platform_admin(principal):
        raise Forbidden("this needs the platform_admin role", required_roles=["platform_admin"])


def ensure_staff(principal: Principal) -> None:
    if principal.kind != "staff":
        raise Forbidden("this operation is for staff")


def admin_region(principal: Principal) -> str | None:
    """The subtree an administrator manages; None means everywhere (platform admin)."""
    if is_platform_admin(principal):
        return None
    if principal.kind != "staff" or "staff_admin" not in principal.roles or not principal.region:
        raise Forbidden("staff administration needs the staff_admin role", required_roles=["staff_admin"])
    return principal.region


def ensure_within(principal: Principal, region: str) -> None:
    scope = admin_region(principal)
    if scope is not None and not region_covers(scope, region):
        raise OutsideRegion(f"region {region} is outside your region {scope}", region=region, your_region=scope)


def checked_roles(principal: Principal, roles: list[str]) -> list[str]:
    unknown = sorted(set(roles) - ROLES)
    if unknown:
        raise UnknownRole(f"unknown roles: {', '.join(unknown)}", roles=unknown)
    privileged = sorted(set(roles) & PRIVILEGED_ROLES)
    if privileged and not is_platform_admin(principal):
        raise RoleNotGrantable("only a platform admin grants these roles", roles=privileged)
    return sorted(set(roles))


async def add_region(*, session: AsyncSession, region_in: RegionCreate) -> Region:
    parent = parent_of(region_in.code)
    if parent is None or await session.get(Region, parent) is None:
        raise RegionNotFound(f"the parent region of {region_in.code} is not known")
    if await session.get(Region, region_in.code) is not None:
        raise RegionExists(f"region {region_in.code} exists")
    region = Region(code=region_in.code, name=region_in.name, parent_code=parent)
    session.add(region)
    await session.flush()
    return region


async def create_department(
    *, session: AsyncSession, principal: Principal, department_in: DepartmentCreate
) -> Department:
    ensure_within(principal, department_in.region)
    if await session.get(Region, department_in.region) is None:
        raise RegionNotFound()
    if department_in.parent_id is not None:
        parent = await session.get(Department, department_in.parent_id)
        if parent is None or parent.region_code != department_in.region:
            raise DepartmentNotFound("the parent department is not in this region")
    code = department_in.code
    if await session.scalar(sa.select(Department.id).where(Department.code == code)):
        raise DepartmentExists("a department with this credit code exists")
    department = Department(
        code=code,
        name=department_in.name,
        region_code=department_in.region,
        parent_id=department_in.parent_id,
        created_at=now(),
    )
    session.add(department)
    await session.flush()
    await audit.record(
        session, "department.created", actor=principal.subject, target=str(department.id), region=department.region_code
    )
    return department


def new_totp_secret() -> str:
    return pyotp.random_base32()


def totp_step(secret: str, code: str, last_step: int | None) -> int | None:
    """The time step ``code`` belongs to (±1 step of drift), or None; a step already used is refused."""
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now())
    for step in (current, current - 1, current + 1):
        if hmac.compare_digest(totp.generate_otp(step), code) and (last_step is None or step > last_step):
            return step
    return None


def provisioning_uri(secret: str, username: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=TOTP_ISSUER)


async def create_staff(
    *,
    session: AsyncSession,
    pii: PersonalData,
    principal: Principal,
    staff_in: StaffCreate,
    password: str | None = None,
    totp_secret: str | None = None,
) -> tuple[Account, str, str]:
    """A staff account with a generated initial password and TOTP secret (returned once)."""
    ensure_within(principal, staff_in.region)
    roles = checked_roles(principal, staff_in.roles)
    department = await session.get(Department, staff_in.department_id)
    if department is None or department.region_code != staff_in.region:
        raise DepartmentNotFound("the department is not in this region")
    if await session.scalar(sa.select(Account.id).where(Account.username == staff_in.username)):
        raise UsernameTaken("the user name is taken")
    password = password or secrets.token_urlsafe(12) + "-1a"
    secret = totp_secret or new_totp_secret()
    account = Account(
        kind="staff",
        username=staff_in.username,
        password_hash=hash_password(password),
        real_name=staff_in.real_name,
        assurance_level=3,
        region_code=staff_in.region,
        department_id=department.id,
        department_code=department.code,
        roles=roles,
        totp_secret_enc=pii.encrypt(secret, kind="totp"),
        created_at=now(),
    )
    if staff_in.phone:
        set_phone(account, checked_phone(staff_in.phone), pii)
    session.add(account)
    await session.flush()
    await publish_registered(session, account)
    await audit.record(
        session, "staff.created", actor=principal.subject, target=str(account.id), roles=roles, region=staff_in.region
    )
    return account, password, secret


async def staff_to_read(session: AsyncSession, principal: Principal, staff_id: uuid.UUID) -> Account:
    """A staff account an administrator may read: in their subtree (their own too); another region's, a
    citizen's or none is the same 404."""
    scope = admin_region(principal)
    account = await session.get(Account, staff_id)
    if (
        account is None
        or account.kind != "staff"
        or (scope is not None and not region_covers(scope, account.region_code))
    ):
        raise AccountNotFound()
    return account


async def staff_in_scope(session: AsyncSession, principal: Principal, staff_id: uuid.UUID) -> Account:
    """The staff account an administrator may act on: in their subtree, not their own, and (when it holds a
    privileged role) only for a platform admin."""
    account = await session.get(Account, staff_id, with_for_update=True)
    if account is None or account.kind != "staff":
        raise AccountNotFound()
    ensure_within(principal, account.region_code or "")
    if str(account.id) == principal.subject:
        raise NotOnYourself()
    privileged = sorted(set(account.roles or []) & PRIVILEGED_ROLES)
    if privileged and not is_platform_admin(principal):
        raise PrivilegedAccount(roles=privileged)
    return account


async def set_roles(*, session: AsyncSession, principal: Principal, account: Account, roles: list[str]) -> Account:
    new = checked_roles(principal, roles)
    old = sorted(account.roles or [])
    # Taking a privileged role away is as privileged as granting it.
    if (set(old) ^ set(new)) & PRIVILEGED_ROLES and not is_platform_admin(principal):
        raise RoleNotGrantable("only a platform admin changes these roles")
    account.roles = new
    await session.flush()
    await audit.record(
        session, "staff.roles_changed", actor=principal.subject, target=str(account.id), before=old, after=new
    )
    return account


async def reset_totp(*, session: AsyncSession, pii: PersonalData, principal: Principal, account: Account) -> str:
    secret = new_totp_secret()
    account.totp_secret_enc = pii.encrypt(secret, kind="totp")
    account.totp_last_step = None
    account.recovery_changed_at = now()
    await audit.record(session, "staff.totp_reset", actor=principal.subject, target=str(account.id))
    return secret
