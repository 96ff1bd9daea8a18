"""``/v1/supervision``: the electronic supervision view (电子监察) for supervisors of a region subtree, the
cases city platforms push (supervised like ours), and supervision orders (督办): issued by supervisors,
answered by the ordered department's staff."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any, Literal

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncSession

from gov_common import idempotency
from gov_common.auth import Principal, PrincipalDep, scoped
from gov_common.deps import SessionDep
from gov_common.http import AwareDateTime, created
from gov_common.pagination import Cursor, Limit, read_time_id_cursor, time_id_cursor
from gov_common.policy import supervisor_of
from gov_standards.china_time import china_date
from workflow.access import SUPERVISION, SUPERVISION_WRITE, visible_orders
from workflow.calendars.service import load as load_calendar
from workflow.deps import ClockDep
from workflow.errors import ExternalCaseNotFound, OutOfScope, TimeTravelDisabled
from workflow.models import Case, ExternalCase, IdempotencyRecord, SupervisionOrder
from workflow.settings import Settings
from workflow.supervision import domain, external, orders, service
from workflow.supervision.schemas import (
    DEPARTMENT_CODE,
    ExternalCasePage,
    ExternalCaseRead,
    OrderCreate,
    OrderPage,
    OrderRead,
    ReplyIn,
)

router = APIRouter(prefix="/v1/supervision", tags=["supervision"], dependencies=[scoped(SUPERVISION)])


async def _supervisor(principal: PrincipalDep) -> Principal:
    if not supervisor_of(principal, principal.region):
        raise OutOfScope("supervisors only", required_role="supervisor")
    return principal


Supervisor = Annotated[Principal, Depends(_supervisor)]
RegionQ = Annotated[str | None, Query(pattern=r"^\d{6}$")]
LevelQ = Annotated[str | None, Query(pattern="^(green|yellow|red)$")]
DepartmentQ = Annotated[str | None, Query(pattern=DEPARTMENT_CODE)]


class CityPlatformFigures(BaseModel):
    total: int
    by_status: dict[str, int]
    open_by_level: dict[str, int]
    completed: int
    on_time_rate: float | None


class OrderFigures(BaseModel):
    issued: int
    open: int
    overdue: int = Field(description="open past the current deadline")
    replied: int
    replied_late: int
    escalated: int = Field(description="escalated at least once")


class CrossRegionRow(BaseModel):
    department: str
    region: str
    cases: int
    closed: int


class CrossRegionFigures(BaseModel):
    """异地代收 counted on both sides."""

    accepted_for_others: list[CrossRegionRow] = Field(
        description="per accepting department (windows in the region subtree): cases accepted for other regions"
    )
    handled_for_others: list[CrossRegionRow] = Field(
        description="per deciding department (in the region subtree): its cases other regions' windows accepted"
    )


class SummaryRead(BaseModel):
    region: str
    department: str | None
    item_code: str | None
    total: int = Field(description="ours and those city platforms (or department systems) pushed")
    by_origin: dict[str, int]
    by_status: dict[str, int] = Field(description="our cases by status (pushed ones: city_platform.by_status)")
    open_by_level: dict[str, int] = Field(description="open cases by warning level, ours and pushed")
    overdue_steps: int
    completed: int = Field(description="decided cases, ours and pushed")
    average_handling_working_days: float | None
    on_time_rate: float | None = Field(description="decided on time / decided with a deadline, ours and pushed")
    city_platform: CityPlatformFigures
    orders: OrderFigures
    cross_region: CrossRegionFigures


class SupervisedCase(BaseModel):
    id: str
    tracking_number: str
    item_code: str
    item_name: str
    region: str
    department: str
    status: str
    sla_level: str
    opened_at: AwareDateTime
    deadline: date
    closed_at: AwareDateTime | None
    on_time: bool | None


class SupervisedPage(BaseModel):
    items: list[SupervisedCase]
    next_cursor: str | None


class EvaluateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    as_of: AwareDatetime | None = None


class EvaluateRead(BaseModel):
    as_of: AwareDateTime
    checked: int
    warned: int
    overdue: int
    city_platform_warned: int
    city_platform_overdue: int
    orders_escalated: int


def _scope(principal: Principal, region: str | None) -> str:
    region = region or principal.region
    if region is None or not supervisor_of(principal, region):
        raise OutOfScope("supervisors see their own region subtree only", region=region)
    return region


@router.get("/summary", response_model=SummaryRead)
async def summary(
    session: SessionDep,
    principal: Supervisor,
    clock: ClockDep,
    region: RegionQ = None,
    department: DepartmentQ = None,
    item_code: str | None = None,
) -> SummaryRead:
    """Counts by status and warning level, open steps past their own deadline, average handling time (working days, clock stops excluded) and
    on-time rate, by region (default: mine), department and item."""
    scope = _scope(principal, region)
    data: dict[str, Any] = await service.summary(
        session,
        conditions=service.scope_filter(scope, department, item_code),
        accepting_conditions=service.accepting_filter(scope, department, item_code),
        external_conditions=external.scope_filter(scope, department, item_code),
        order_conditions=orders.order_filter(scope, department),
        today=china_date(clock.now()),
    )
    return SummaryRead(region=scope, department=department, item_code=item_code, **data)


class BreakdownRow(BaseModel):
    key: str = Field(description="the department's code or the item's implementation code")
    name: str | None
    total: int = Field(description="cases, ours and pushed")
    open_yellow: int
    open_red: int
    completed: int = Field(description="decided cases")
    average_handling_working_days: float | None
    on_time_rate: float | None = Field(description="decided on time / decided with a deadline")


class BreakdownRead(BaseModel):
    region: str
    by: Literal["department", "item"]
    items: list[BreakdownRow] = Field(description="the 100 groups with the most cases, most first")
    next_cursor: str | None = Field(default=None, description="always null: the top groups come whole")


@router.get("/breakdown", response_model=BreakdownRead)
async def breakdown(
    session: SessionDep,
    principal: Supervisor,
    by: Annotated[Literal["department", "item"], Query()] = "department",
    region: RegionQ = None,
    department: DepartmentQ = None,
) -> BreakdownRead:
    """The summary's figures per department or per item (on-time rate, average handling time, open yellow
    and red cases), in my region subtree (or a region of it), optionally one department's items."""
    scope = _scope(principal, region)
    rows = await service.breakdown(
        session,
        by=by,
        conditions=service.scope_filter(scope, department, None),
        external_conditions=external.scope_filter(scope, department, None),
    )
    return BreakdownRead(region=scope, by=by, items=[BreakdownRow(**r) for r in rows])


@router.get("/cases", response_model=SupervisedPage)
async def cases(
    session: SessionDep,
    principal: Supervisor,
    region: RegionQ = None,
    department: str | None = None,
    item_code: str | None = None,
    level: LevelQ = None,
    limit: Limit = 20,
    cursor: Cursor = None,
) -> SupervisedPage:
    """The cases behind the counts, e.g. ``level=red`` for the overdue ones."""
    scope = _scope(principal, region)
    stmt = sa.select(Case).where(*service.scope_filter(scope, department, item_code))
    if level:
        stmt = stmt.where(Case.sla_level == level)
    after = read_time_id_cursor(cursor)
    if after:
        stmt = stmt.where(sa.tuple_(Case.opened_at, Case.id) > after)
    rows = list(await session.scalars(stmt.order_by(Case.opened_at, Case.id).limit(limit + 1)))
    items = [
        SupervisedCase(
            id=str(c.id),
            tracking_number=c.tracking_number,
            item_code=c.item_code,
            item_name=c.item_name,
            region=c.region,
            department=c.department,
            status=c.status,
            sla_level=c.sla_level,
            opened_at=c.opened_at,
            deadline=c.deadline,
            closed_at=c.closed_at,
            on_time=c.on_time,
        )
        for c in rows[:limit]
    ]
    nxt = time_id_cursor(rows[limit - 1].opened_at, rows[limit - 1].id) if len(rows) > limit else None
    return SupervisedPage(items=items, next_cursor=nxt)


@router.post("/evaluations", response_model=EvaluateRead)
async def evaluate(
    body: EvaluateIn, request: Request, session: SessionDep, principal: Supervisor, clock: ClockDep
) -> EvaluateRead:
    """Run the warning sweep now (it also runs in the background). ``as_of`` evaluates at another time:
    only where ``WORKFLOW_ALLOW_TIME_TRAVEL`` is on, which production refuses."""
    settings: Settings = request.app.state.runtime.settings
    as_of = clock.now()
    if body.as_of is not None:
        if not settings.allow_time_travel:
            raise TimeTravelDisabled()
        as_of = body.as_of
    region = _scope(principal, None)
    calendar = await load_calendar(session)
    sweep = await service.evaluate(
        session, calendar=calendar, now=as_of, warn_share=settings.sla_warning_share, region=region
    )
    return EvaluateRead(
        as_of=as_of,
        checked=sweep.checked,
        warned=sweep.warned,
        overdue=sweep.overdue,
        city_platform_warned=sweep.external_warned,
        city_platform_overdue=sweep.external_overdue,
        orders_escalated=sweep.escalated,
    )


@router.get("/external-cases", response_model=ExternalCasePage)
async def external_cases(
    session: SessionDep,
    principal: Supervisor,
    region: RegionQ = None,
    department: DepartmentQ = None,
    item_code: str | None = None,
    level: LevelQ = None,
    limit: Limit = 20,
    cursor: Cursor = None,
) -> ExternalCasePage:
    """Cases city platforms (and department systems) pushed through exchange, with their deadline, state
    changes and warning level, oldest first; ``level=red`` for the overdue ones."""
    scope = _scope(principal, region)
    stmt = sa.select(ExternalCase).where(*external.scope_filter(scope, department, item_code))
    if level:
        stmt = stmt.where(ExternalCase.sla_level == level, ExternalCase.closed_at.is_(None))
    after = read_time_id_cursor(cursor)
    if after:
        stmt = stmt.where(sa.tuple_(ExternalCase.received_at, ExternalCase.id) > after)
    rows = list(await session.scalars(stmt.order_by(ExternalCase.received_at, ExternalCase.id).limit(limit + 1)))
    nxt = time_id_cursor(rows[limit - 1].received_at, rows[limit - 1].id) if len(rows) > limit else None
    return ExternalCasePage(items=[ExternalCaseRead.model_validate(c) for c in rows[:limit]], next_cursor=nxt)


@router.get("/external-cases/{case_id}", response_model=ExternalCaseRead)
async def external_case(case_id: uuid.UUID, session: SessionDep, principal: Supervisor) -> ExternalCaseRead:
    """One pushed case; a supervisor outside its region subtree gets 404."""
    case = await session.get(ExternalCase, case_id)
    if case is None or not supervisor_of(principal, case.region):
        raise ExternalCaseNotFound()
    return ExternalCaseRead.model_validate(case)


# --- supervision orders (督办) ----------------------------------------------------------------------------

orders_router = APIRouter(prefix="/v1/supervision/orders", tags=["supervision"])
OrderReader = Annotated[Principal, scoped(SUPERVISION)]
OrderWriter = Annotated[Principal, scoped(SUPERVISION_WRITE)]


Labels = dict[uuid.UUID, tuple[str | None, str | None]]


async def case_labels(session: AsyncSession, found: list[SupervisionOrder]) -> Labels:
    """The tracking number and item name of the cases (ours and pushed) ``found`` are on, in at most two
    queries, so that a list of orders reads without one case read per order."""
    labels: Labels = {}
    for table, ids in (
        (Case, {o.case_id for o in found if o.case_id}),
        (ExternalCase, {o.external_case_id for o in found if o.external_case_id}),
    ):
        if ids:
            rows = await session.execute(
                sa.select(table.id, table.tracking_number, table.item_name).where(table.id.in_(ids))
            )
            labels.update({row.id: (row.tracking_number, row.item_name) for row in rows})
    return labels


def order_read(order: SupervisionOrder, today: Any, labels: Labels) -> OrderRead:
    tracking_number, item_name = labels.get(order.case_id or order.external_case_id or uuid.UUID(int=0), (None, None))
    return OrderRead.model_validate(
        {
            **{c.key: getattr(order, c.key) for c in SupervisionOrder.__table__.columns},
            "overdue": domain.is_overdue(order.status, order.deadline, today),
            "tracking_number": tracking_number,
            "item_name": item_name,
        }
    )


@orders_router.post(
    "",
    status_code=201,
    response_model=OrderRead,
    summary="Issue a supervision order (supervisors of the region or above)",
    openapi_extra=idempotency.KEY_OPTIONAL,
)
async def issue_order(
    order_in: OrderCreate,
    request: Request,
    session: SessionDep,
    principal: OrderWriter,
    clock: ClockDep,
    idempotency_key: idempotency.OptionalKey,
) -> JSONResponse:
    """The deadline is ``working_days`` working days after today on the platform's calendar (调休 included).
    A case outside the supervisor's region subtree is not found; a department outside it is refused."""
    if not supervisor_of(principal, principal.region):
        raise OutOfScope("supervisors only", required_role="supervisor")
    claim = await idempotency.claim(
        session, IdempotencyRecord, principal=principal.subject, scope="supervision.orders.create",
        key=idempotency_key, body=order_in.model_dump(mode="json"),
    )  # fmt: skip
    if claim.replay:
        return created(request, claim.response(), f"/v1/supervision/orders/{claim.record.body['id']}")
    now = clock.now()
    calendar = await load_calendar(session)
    order = await orders.issue(session, principal=principal, order_in=order_in, calendar=calendar, now=now)
    body = order_read(order, china_date(now), await case_labels(session, [order])).model_dump(mode="json")
    return created(
        request, idempotency.remember(claim, status_code=201, body=body), f"/v1/supervision/orders/{order.id}"
    )


@orders_router.get("", response_model=OrderPage, summary="Supervision orders I may see, oldest first")
async def list_orders(
    session: SessionDep,
    principal: OrderReader,
    clock: ClockDep,
    status: Annotated[Literal["open", "replied"] | None, Query()] = None,
    overdue: bool | None = None,
    case_id: uuid.UUID | None = None,
    limit: Limit = 20,
    cursor: Cursor = None,
) -> OrderPage:
    """Supervisors: every order in their region subtree; staff: the orders on their department in their
    region subtree. ``case_id`` narrows to one case (ours or pushed)."""
    conditions = visible_orders(principal)
    if conditions is None:
        raise OutOfScope("only staff and supervisors see supervision orders")
    today = china_date(clock.now())
    stmt = sa.select(SupervisionOrder).where(*conditions)
    if status:
        stmt = stmt.where(SupervisionOrder.status == status)
    if overdue is not None:
        late = sa.and_(SupervisionOrder.status == domain.ORDER_OPEN, SupervisionOrder.deadline < today)
        stmt = stmt.where(late if overdue else sa.not_(late))
    if case_id:
        stmt = stmt.where(sa.or_(SupervisionOrder.case_id == case_id, SupervisionOrder.external_case_id == case_id))
    after = read_time_id_cursor(cursor)
    if after:
        stmt = stmt.where(sa.tuple_(SupervisionOrder.issued_at, SupervisionOrder.id) > after)
    rows = list(await session.scalars(stmt.order_by(SupervisionOrder.issued_at, SupervisionOrder.id).limit(limit + 1)))
    nxt = time_id_cursor(rows[limit - 1].issued_at, rows[limit - 1].id) if len(rows) > limit else None
    labels = await case_labels(session, rows[:limit])
    return OrderPage(items=[order_read(o, today, labels) for o in rows[:limit]], next_cursor=nxt)


@orders_router.get("/{order_id}", response_model=OrderRead, summary="One supervision order")
async def get_order(order_id: uuid.UUID, session: SessionDep, principal: OrderReader, clock: ClockDep) -> OrderRead:
    order = await orders.visible_order(session, principal, order_id)
    return order_read(order, china_date(clock.now()), await case_labels(session, [order]))


@orders_router.post("/{order_id}/reply", response_model=OrderRead, summary="Reply (staff of the ordered department)")
async def reply_order(
    order_id: uuid.UUID, reply_in: ReplyIn, session: SessionDep, principal: OrderWriter, clock: ClockDep
) -> OrderRead:
    """Once; a reply after the first deadline is recorded as late (escalated orders included)."""
    now = clock.now()
    order = await orders.visible_order(session, principal, order_id, lock=True)
    order = await orders.reply(session, principal=principal, order=order, text=reply_in.reply, now=now)
    return order_read(order, china_date(now), await case_labels(session, [order]))
