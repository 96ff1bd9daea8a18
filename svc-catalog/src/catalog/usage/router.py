"""Usage statistics: front-ends report their anonymous running totals (``catalog.usage.report``, as a
system), staff read them (``catalog.usage.read``), and anyone reads the popular items of a region (高频事项)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from catalog.deps import region_param
from catalog.errors import RegionOutOfScope
from catalog.usage import service
from gov_common.auth import Principal, scoped
from gov_common.deps import ReadSessionDep, SessionDep
from gov_common.errors import Forbidden
from gov_common.pagination import Page
from gov_common.policy import PLATFORM_ADMIN, SUPERVISOR
from gov_standards.regions import region_covers

router = APIRouter(prefix="/v1", tags=["usage"])

REPORT = "catalog.usage.report"
READ = "catalog.usage.read"
# Staff who read the figures: supervisors, catalog editors and publishers (they keep the guides people read),
# platform administrators.
READERS = frozenset({SUPERVISOR, "catalog_editor", "catalog_publisher", PLATFORM_ADMIN})
MAX_ROWS = 1000
Count = Annotated[int, Field(ge=0, le=2**53)]


class ItemCountIn(BaseModel):
    code: str = Field(min_length=1, max_length=64, pattern=r"^[0-9A-Za-z_.\-]+$")
    name: str = Field(min_length=1, max_length=200)
    region: str = Field(pattern=r"^45\d{4}$", description="the item's region (GB/T 2260)")
    views: Count
    applications: Count


class UsageReport(BaseModel):
    """The reporting front-end's running totals (not increments) for the items and terms that changed."""

    items: list[ItemCountIn] = Field(default_factory=list, max_length=MAX_ROWS)
    search_terms: dict[Annotated[str, Field(min_length=1, max_length=50)], Count] = Field(
        default_factory=dict, max_length=MAX_ROWS
    )


class UsageReportResult(BaseModel):
    source: str = Field(description="the reporting client")
    items: int
    search_terms: int
    dropped_terms: int = Field(description="terms not kept because they may identify a person")


class ItemUsageRead(BaseModel):
    code: str
    name: str
    region: str
    views: int
    applications: int


class TermUsageRead(BaseModel):
    term: str
    searches: int


class UsageStatistics(BaseModel):
    region: str
    views: int
    applications: int
    searches: int
    sources: int = Field(description="how many front-ends reported")
    min_term_searches: int = Field(description="a term is listed once searched for this often")
    top_items: list[ItemUsageRead] = Field(description="the most used items, by views plus ten per application")
    search_terms: list[TermUsageRead]


class PopularItem(BaseModel):
    code: str
    name: str
    region: str
    score: int = Field(description="guide views plus ten per application")


@router.put("/usage-reports", response_model=UsageReportResult, summary="Report a front-end's usage totals")
async def report_usage(
    body: UsageReport, session: SessionDep, principal: Annotated[Principal, scoped(REPORT)]
) -> UsageReportResult:
    if principal.kind != "system" or not principal.client_id:
        raise Forbidden("usage is reported by front-end systems (client credentials)")
    items = [service.ItemCount(**item.model_dump()) for item in body.items]
    result = await service.record_report(
        session, source=principal.client_id, items=items, terms=dict(body.search_terms)
    )
    return UsageReportResult(source=principal.client_id, **vars(result))


@router.get("/usage-statistics", response_model=UsageStatistics, summary="Usage statistics (用户管理中心)")
async def usage_statistics(
    session: ReadSessionDep,
    principal: Annotated[Principal, scoped(READ)],
    region: Annotated[str | None, Query(description="region subtree (default: your region)")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> UsageStatistics:
    if principal.kind != "staff" or not (principal.roles & READERS):
        raise Forbidden("usage statistics are for supervisors and catalog staff", required_roles=sorted(READERS))
    wanted = region_param(region) or principal.region
    if not wanted or not region_covers(principal.region, wanted):
        raise RegionOutOfScope(f"your region {principal.region} does not cover {wanted}", region=wanted)
    figures = await service.statistics(session, region=wanted, limit=limit)
    return UsageStatistics(min_term_searches=service.MIN_TERM_SEARCHES, **figures)


@router.get("/stats/popular-items", response_model=Page[PopularItem], summary="High-frequency items (高频事项)")
async def popular_items(
    session: ReadSessionDep,
    region: Annotated[str, Query(description="the visitor's region: its items and those above it")],
    limit: Annotated[int, Query(ge=1, le=50)] = 8,
) -> Page[PopularItem]:
    region_param(region)
    rows = await service.popular_items(session, region=region, limit=limit)
    return Page(items=[PopularItem(**row) for row in rows])
