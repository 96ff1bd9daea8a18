"""Regions, departments and staff administration."""

from __future__ import annotations

import uuid
from typing import Annotated

import sqlalchemy as sa
from fastapi import APIRouter, Query, Request, Response

from gov_common.auth import PrincipalDep, scoped
from gov_common.deps import SessionDep
from gov_common.http import created
from gov_common.pagination import Page, read_time_id_cursor, time_id_cursor
from gov_standards.regions import region_covers, region_prefix
from identity.accounts.schemas import AccountRead
from identity.accounts.service import to_read
from identity.deps import IdentityDep
from identity.models import Account, Department, Region
from identity.org import service
from identity.org.schemas import (
    DepartmentCreate,
    DepartmentPage,
    DepartmentRead,
    RegionCreate,
    RegionRead,
    RolesUpdate,
    StaffCreate,
    StaffCreated,
    StaffDirectory,
    StaffName,
    StaffPage,
    TotpEnrolment,
)

router = APIRouter(prefix="/v1", tags=["organisation"])

ACCOUNT_READ = "identity.account.read"
STAFF_ADMIN = "identity.staff.admin"


@router.get(
    "/regions",
    response_model=Page[RegionRead],
    summary="The region tree (GB/T 2260), any signed-in person (one page: the whole tree)",
    dependencies=[scoped(ACCOUNT_READ)],
)
async def list_regions(session: SessionDep) -> Page[RegionRead]:
    rows = (await session.scalars(sa.select(Region).order_by(Region.code))).all()
    return Page(items=[RegionRead(code=r.code, name=r.name, parent=r.parent_code) for r in rows])


@router.post(
    "/regions",
    status_code=201,
    response_model=RegionRead,
    summary="Add a county-level region (platform admin)",
    dependencies=[scoped(STAFF_ADMIN)],
)
async def add_region(
    region_in: RegionCreate, request: Request, response: Response, session: SessionDep, principal: PrincipalDep
) -> RegionRead:
    service.ensure_platform_admin(principal)
    region = await service.add_region(session=session, region_in=region_in)
    created(request, response, f"/v1/regions/{region.code}")
    return RegionRead(code=region.code, name=region.name, parent=region.parent_code)


def _department(d: Department) -> DepartmentRead:
    return DepartmentRead(
        id=d.id, code=d.code, name=d.name, region=d.region_code, parent_id=d.parent_id, created_at=d.created_at
    )


@router.post(
    "/departments",
    status_code=201,
    response_model=DepartmentRead,
    summary="Create a department in your region subtree",
    dependencies=[scoped(STAFF_ADMIN)],
)
async def create_department(
    department_in: DepartmentCreate, request: Request, response: Response, session: SessionDep, principal: PrincipalDep
) -> DepartmentRead:
    department = await service.create_department(session=session, principal=principal, department_in=department_in)
    created(request, response, f"/v1/departments/{department.id}")
    return _department(department)


@router.get(
    "/departments",
    response_model=DepartmentPage,
    summary="Departments (any staff member; filter by region subtree)",
    dependencies=[scoped(STAFF_ADMIN)],
)
async def list_departments(
    session: SessionDep,
    principal: PrincipalDep,
    region: Annotated[str | None, Query(pattern=r"^\d{6}$")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: str | None = None,
) -> DepartmentPage:
    service.ensure_staff(principal)
    query = sa.select(Department).order_by(Department.created_at, Department.id).limit(limit + 1)
    if region:
        query = query.where(Department.region_code.startswith(region_prefix(region)))
    if (after := read_time_id_cursor(cursor)) is not None:
        at, last = after
        query = query.where(
            sa.or_(Department.created_at > at, sa.and_(Department.created_at == at, Department.id > last))
        )
    rows = list((await session.scalars(query)).all())
    more, rows = len(rows) > limit, rows[:limit]
    return DepartmentPage(
        items=[_department(d) for d in rows],
        next_cursor=time_id_cursor(rows[-1].created_at, rows[-1].id) if more else None,
    )


@router.post(
    "/staff",
    status_code=201,
    response_model=StaffCreated,
    summary="Create a staff member (staff admin, own region subtree)",
    dependencies=[scoped(STAFF_ADMIN)],
)
async def create_staff(
    staff_in: StaffCreate,
    request: Request,
    response: Response,
    session: SessionDep,
    identity: IdentityDep,
    principal: PrincipalDep,
) -> StaffCreated:
    account, password, secret = await service.create_staff(
        session=session, pii=identity.pii, principal=principal, staff_in=staff_in
    )
    created(request, response, f"/v1/staff/{account.id}")
    return StaffCreated(
        **to_read(account).model_dump(),
        initial_password=password,
        totp_provisioning_uri=service.provisioning_uri(secret, account.username),
    )


@router.get(
    "/staff",
    response_model=StaffPage,
    summary="Staff in your region subtree (staff admin)",
    dependencies=[scoped(STAFF_ADMIN)],
)
async def list_staff(
    session: SessionDep,
    principal: PrincipalDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: str | None = None,
) -> StaffPage:
    scope = service.admin_region(principal)
    query = sa.select(Account).where(Account.kind == "staff").order_by(Account.created_at, Account.id).limit(limit + 1)
    if scope is not None:
        query = query.where(Account.region_code.startswith(region_prefix(scope)))
    if (after := read_time_id_cursor(cursor)) is not None:
        at, last = after
        query = query.where(sa.or_(Account.created_at > at, sa.and_(Account.created_at == at, Account.id > last)))
    rows = list((await session.scalars(query)).all())
    more, rows = len(rows) > limit, rows[:limit]
    return StaffPage(
        items=[to_read(a) for a in rows], next_cursor=time_id_cursor(rows[-1].created_at, rows[-1].id) if more else None
    )


@router.get(
    "/staff-directory",
    response_model=StaffDirectory,
    summary="Names of staff by account id (staff only; those of your region's branch, e.g. a case trace's actors)",
    dependencies=[scoped(ACCOUNT_READ)],
)
async def staff_directory(
    session: SessionDep,
    principal: PrincipalDep,
    id: Annotated[list[uuid.UUID], Query(min_length=1, max_length=50, description="account ids (up to 50)")],
) -> StaffDirectory:
    """Staff read their colleagues' names where a case's trace names them by account id: staff whose region
    is the caller's, below it or above it (never a sibling region's). An id that is not such a staff
    member (a citizen, another branch, disabled, unknown) is left out, the same way for each."""
    service.ensure_staff(principal)
    if not principal.region:
        return StaffDirectory(items=[])
    rows = await session.scalars(
        sa.select(Account).where(Account.id.in_(set(id)), Account.kind == "staff", Account.disabled.is_(False))
    )
    mine = principal.region
    return StaffDirectory(
        items=[
            StaffName(id=a.id, name=a.real_name, department=a.department_code, region=a.region_code)
            for a in rows
            if region_covers(mine, a.region_code) or region_covers(a.region_code, mine)
        ]
    )


@router.get(
    "/staff/{staff_id}",
    response_model=AccountRead,
    summary="One staff member of your region subtree (staff admin); another region's reads as not found",
    dependencies=[scoped(STAFF_ADMIN)],
)
async def get_staff(staff_id: uuid.UUID, session: SessionDep, principal: PrincipalDep) -> AccountRead:
    return to_read(await service.staff_to_read(session, principal, staff_id))


@router.put(
    "/staff/{staff_id}/roles",
    response_model=AccountRead,
    summary="Set a staff member's roles (staff admin, own subtree; privileged accounts: platform admin)",
    dependencies=[scoped(STAFF_ADMIN)],
)
async def set_roles(
    staff_id: uuid.UUID, roles_in: RolesUpdate, session: SessionDep, principal: PrincipalDep
) -> AccountRead:
    account = await service.staff_in_scope(session, principal, staff_id)
    await service.set_roles(session=session, principal=principal, account=account, roles=roles_in.roles)
    return to_read(account)


@router.post(
    "/staff/{staff_id}/totp",
    response_model=TotpEnrolment,
    summary="Issue a new TOTP secret (staff admin, own subtree; privileged accounts: platform admin)",
    dependencies=[scoped(STAFF_ADMIN)],
)
async def reset_totp(
    staff_id: uuid.UUID, session: SessionDep, identity: IdentityDep, principal: PrincipalDep
) -> TotpEnrolment:
    account = await service.staff_in_scope(session, principal, staff_id)
    secret = await service.reset_totp(session=session, pii=identity.pii, principal=principal, account=account)
    return TotpEnrolment(totp_provisioning_uri=service.provisioning_uri(secret, account.username))
