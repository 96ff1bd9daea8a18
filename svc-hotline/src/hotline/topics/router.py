"""The topic pool (主题池), for the centre and supervisors of a region: topics with their keywords, size,
weekly trend, regions and representative orders."""

from __future__ import annotations

import uuid
from typing import Annotated

import sqlalchemy as sa
from fastapi import APIRouter

from gov_common.auth import Principal, scoped
from gov_common.deps import SessionDep
from gov_standards.regions import region_prefix
from hotline import access
from hotline.errors import OutOfScope, TopicNotFound
from hotline.models import Topic, WorkOrder
from hotline.topics import service
from hotline.topics.schemas import Representative, TopicPool, TopicRead

router = APIRouter(prefix="/v1", tags=["topics"])
Supervisor = Annotated[Principal, scoped(access.SUPERVISION_READ)]


async def _read(session: SessionDep, topic: Topic, prefix: str) -> TopicRead:
    figures = await service.topic_figures(session, topic, region_prefix=prefix)
    ids = [uuid.UUID(i) for i in topic.representatives]
    rows = await session.execute(
        sa.select(WorkOrder.id, WorkOrder.number, WorkOrder.title).where(
            WorkOrder.id.in_(ids), WorkOrder.region.like(prefix + "%")
        )
    )
    return TopicRead(
        id=topic.id,
        label=topic.label,
        keywords=topic.keywords,
        size=figures["size"],
        weeks=figures["weeks"],
        regions=figures["regions"],
        representatives=[Representative(id=r.id, number=r.number, title=r.title) for r in rows],
    )


def _prefix(principal: Principal) -> str:
    if not access.is_centre_staff(principal) or not principal.region:
        raise OutOfScope("12345 operators and supervisors only")
    return region_prefix(principal.region)


@router.get("/topics", response_model=TopicPool, summary="The current topic pool of the caller's region")
async def topics(session: SessionDep, principal: Supervisor) -> TopicPool:
    prefix = _prefix(principal)
    model = await service.current_model(session)
    if model is None:
        return TopicPool(computed_at=None, orders=0, method={}, topics=[])
    rows = list(await session.scalars(sa.select(Topic).where(Topic.model_id == model.id)))
    read = [await _read(session, t, prefix) for t in rows]
    read = sorted((t for t in read if t.size), key=lambda t: -t.size)
    return TopicPool(computed_at=model.computed_at, orders=model.orders, method=model.params, topics=read)


@router.get("/topics/{topic_id}", response_model=TopicRead, summary="One topic")
async def topic(topic_id: uuid.UUID, session: SessionDep, principal: Supervisor) -> TopicRead:
    prefix = _prefix(principal)
    found = await session.get(Topic, topic_id)
    if found is None:
        raise TopicNotFound()
    return await _read(session, found, prefix)
