"""Browse and figures (public): life events, departments, the share of items fully online (网上可办率),
and the JSON Schemas of the events this service publishes."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from catalog.deps import region_param
from catalog.search import service
from gov_common.deps import SessionDep
from gov_common.pagination import Page
from gov_contracts import catalog as contract
from gov_standards.regions import GUANGXI as PROVINCE

router = APIRouter(prefix="/v1", tags=["browse"])


class LifeEventRead(BaseModel):
    life_event: str
    item_count: int
    bundle_count: int


class DepartmentRead(BaseModel):
    code: str
    name: str
    item_count: int
    fully_online_count: int


class OnlineRateRow(BaseModel):
    key: str
    label: str | None
    item_count: int
    fully_online_count: int
    online_rate: float


class OnlineRate(BaseModel):
    region: str
    by: Literal["region", "department"]
    item_count: int
    fully_online_count: int
    online_rate: float
    rows: list[OnlineRateRow]


@router.get("/life-events", response_model=Page[LifeEventRead], summary="Browse by life event (one page: all)")
async def life_events(session: SessionDep, region: Annotated[str | None, Query()] = None) -> Page[LifeEventRead]:
    rows = await service.life_events(session=session, region=region_param(region))
    return Page(items=[LifeEventRead(life_event=n, item_count=i, bundle_count=b) for n, i, b in rows])


@router.get("/departments", response_model=Page[DepartmentRead], summary="Browse by department (one page: all)")
async def departments(session: SessionDep, region: Annotated[str | None, Query()] = None) -> Page[DepartmentRead]:
    rows = await service.departments(session=session, region=region_param(region))
    return Page(items=[DepartmentRead(code=c, name=n, item_count=t, fully_online_count=o) for c, n, t, o in rows])


def _rate(online: int, total: int) -> float:
    return round(online / total, 4) if total else 0.0


@router.get("/stats/online-rate", response_model=OnlineRate, summary="Share of items fully online (网上可办率)")
async def online_rate(
    session: SessionDep,
    region: Annotated[str, Query(description="region subtree to count")] = PROVINCE,
    by: Literal["region", "department"] = "region",
) -> OnlineRate:
    rows = await service.online_rate(session=session, region=region_param(region) or PROVINCE, by=by)
    total, online = sum(r[2] for r in rows), sum(r[3] for r in rows)
    return OnlineRate(
        region=region,
        by=by,
        item_count=total,
        fully_online_count=online,
        online_rate=_rate(online, total),
        rows=[
            OnlineRateRow(key=k, label=lb, item_count=t, fully_online_count=o, online_rate=_rate(o, t))
            for k, lb, t, o in rows
        ],
    )


class EventSchemas(BaseModel):
    topic: str
    types: dict[str, dict[str, Any]] = Field(description="each event type and the JSON Schema of its data")


@router.get("/events/schemas", response_model=EventSchemas, summary="JSON Schemas of the events svc-catalog publishes")
async def event_schemas() -> EventSchemas:
    models = (contract.ItemPublished, contract.ItemWithdrawn, contract.BundlePublished, contract.BundleWithdrawn)
    return EventSchemas(topic=contract.ItemPublished.topic, types={m.type: m.model_json_schema() for m in models})
