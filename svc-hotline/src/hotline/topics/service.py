"""The topic pool: a full computation over the recent orders (:func:`recompute`, in the worker, the
segmentation and clustering in a separate process), and new orders placed in the nearest topic between two
computations (:func:`place_new_orders`). Topics are read with their size, weekly trend, regions and
representative orders (numbers and titles only: never a caller)."""

from __future__ import annotations

import asyncio
import multiprocessing
import uuid
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from gov_common.db import Database
from gov_standards.china_time import china_date
from hotline import text
from hotline.models import Topic, TopicModel, WorkOrder
from hotline.topics.clustering import Clustering, Params, cluster, place

PARAMS = Params()


def order_words(title: str, content: str) -> list[str]:
    return text.words(f"{title} {content}")


def _compute(rows: list[tuple[uuid.UUID, str, str]], params: Params) -> tuple[list[uuid.UUID], Clustering]:
    ids = [r[0] for r in rows]
    docs = [order_words(title, content) for _, title, content in rows]
    return ids, cluster(docs, params)


async def recompute(
    db: Database, *, now: datetime, window_days: int, max_orders: int, params: Params = PARAMS
) -> TopicModel | None:
    """Cluster the orders of the last ``window_days`` days (at most ``max_orders``, newest first) into a new
    current model; None when there are too few orders to cluster."""
    async with db.transaction() as session:
        rows = [
            (r.id, r.title, r.content)
            for r in await session.execute(
                sa.select(WorkOrder.id, WorkOrder.title, WorkOrder.content)
                .where(WorkOrder.created_at >= now - timedelta(days=window_days))
                .order_by(WorkOrder.created_at.desc())
                .limit(max_orders)
            )
        ]
    if len(rows) < max(10, params.k_min * 3):
        return None
    # In a process of its own: segmentation, scikit-learn's import and the clustering hold the GIL for seconds,
    # which a thread would take from the requests this process serves.
    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as pool:
        ids, result = await asyncio.get_running_loop().run_in_executor(pool, _compute, rows, params)
    if not result.clusters:
        return None
    async with db.transaction() as session:
        model = TopicModel(
            id=uuid.uuid4(),
            computed_at=now,
            orders=len(ids),
            params=asdict(params) | {"k": result.k, "silhouette": result.silhouette},
            idf=result.idf,
        )
        session.add(model)
        await session.flush()
        for c in result.clusters:
            topic = Topic(
                id=uuid.uuid4(),
                model_id=model.id,
                label="·".join(c.keywords[:3]),
                keywords=c.keywords,
                centroid=c.centroid,
                size=len(c.members),
                representatives=[str(ids[i]) for i in c.representatives],
            )
            session.add(topic)
            await session.flush()
            members = [ids[i] for i in c.members]
            for start in range(0, len(members), 500):
                await session.execute(
                    sa.update(WorkOrder).where(WorkOrder.id.in_(members[start : start + 500])).values(topic_id=topic.id)
                )
    return model


async def current_model(session: AsyncSession) -> TopicModel | None:
    return await session.scalar(sa.select(TopicModel).order_by(TopicModel.computed_at.desc()).limit(1))


async def place_new_orders(session: AsyncSession, *, limit: int = 500, params: Params = PARAMS) -> int:
    """Place orders recorded since the current model in their nearest topic; returns how many were looked at."""
    model = await current_model(session)
    if model is None:
        return 0
    topics = list(await session.scalars(sa.select(Topic).where(Topic.model_id == model.id)))
    centroids = {t.id: t.centroid for t in topics}
    rows = list(
        await session.execute(
            sa.select(WorkOrder.id, WorkOrder.title, WorkOrder.content)
            .where(WorkOrder.topic_id.is_(None), WorkOrder.created_at >= model.computed_at)
            .order_by(WorkOrder.created_at)
            .limit(limit)
        )
    )
    sentinel = uuid.UUID(int=0)  # looked at, near no topic: not looked at again until the next computation
    for row in rows:
        words = await asyncio.to_thread(order_words, row.title, row.content)
        found = place(words, model.idf, centroids, min_similarity=params.min_similarity)
        await session.execute(sa.update(WorkOrder).where(WorkOrder.id == row.id).values(topic_id=found or sentinel))
    return len(rows)


async def topic_figures(session: AsyncSession, topic: Topic, *, region_prefix: str) -> dict[str, Any]:
    """Size, orders per ISO week and per region of ``topic``'s orders inside ``region_prefix``."""
    rows = list(
        await session.execute(
            sa.select(WorkOrder.created_at, WorkOrder.region).where(
                WorkOrder.topic_id == topic.id, WorkOrder.region.like(region_prefix + "%")
            )
        )
    )
    weeks: Counter[str] = Counter()
    regions: Counter[str] = Counter()
    for created_at, region in rows:
        year, week, _ = china_date(created_at).isocalendar()
        weeks[f"{year}-W{week:02d}"] += 1
        regions[region] += 1
    return {"size": len(rows), "weeks": dict(sorted(weeks.items())), "regions": dict(regions.most_common())}
