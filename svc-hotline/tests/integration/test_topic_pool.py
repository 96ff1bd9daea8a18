"""The topic pool on PostgreSQL with the labelled sample set (tests/data/orders.json: 330 orders written
for six themes): the computation groups them with purity ≥ 0.8, names each topic by words of its theme,
and a new order joins the right topic; supervisors read the pool of their region only."""

from __future__ import annotations

import json
import uuid
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hotline.models import WorkOrder
from hotline.topics import service
from hotline.topics.clustering import purity

Hotline = Any  # the conftest's fixture
SAMPLE = json.loads((Path(__file__).parents[1] / "data" / "orders.json").read_text(encoding="utf-8"))
# Words a topic of each theme must be named by (at least one among its keywords); a theme may split into
# topics of its kinds (night construction, loudspeakers, square dancing are all noise).
THEME_WORDS = {
    "noise": {"噪音", "扰民", "噪声", "音响", "施工", "工地", "高音喇叭", "装修", "广场舞", "喧哗", "酒吧"},
    "water": {"停水", "供水", "自来水", "水压", "水质"},
    "social_insurance": {"社保", "养老保险", "医保", "社保卡", "失业保险", "工伤保险", "缴费"},
    "housing_fund": {"公积金", "住房公积金", "提取", "缴存", "贷款"},
    "streetlight": {"路灯", "照明"},
    "elevator": {"电梯"},
}


async def load_sample(hotline: Hotline) -> dict[uuid.UUID, str]:
    labels = {}
    async with hotline.db.transaction() as session:
        for i, o in enumerate(SAMPLE):
            at = datetime.fromisoformat(f"{o['day']}T02:00:00+00:00").astimezone(UTC)
            order = WorkOrder(
                id=uuid.uuid4(), number=f"T-{i:04d}", channel="phone", kind="complaint", category="other",
                region=o["region"], urgency="normal", title=o["title"], content=o["content"], address="",
                caller_phone_masked="", caller_name_masked="", status="closed", created_by="sample",
                created_at=at, updated_at=at, history=[], reopen_count=0, transfer_count=0, return_count=0,
            )  # fmt: skip
            session.add(order)
            labels[order.id] = o["label"]
    return labels


async def test_the_sample_set_is_grouped_named_and_extended(hotline: Hotline) -> None:
    assert len(SAMPLE) >= 300 and len({o["label"] for o in SAMPLE}) == 6
    labels = await load_sample(hotline)
    model = await service.recompute(hotline.db, now=hotline.clock(), window_days=90, max_orders=20000)
    assert model is not None and model.orders == len(SAMPLE)
    rows = await hotline.sql("SELECT id, topic_id FROM work_order")
    assigned = {r.id: r.topic_id for r in rows}
    ids = sorted(labels)
    score = purity([hash(assigned[i]) for i in ids], [labels[i] for i in ids])
    print(f"topic pool: k={model.params['k']} silhouette={model.params['silhouette']} purity={score:.3f}")
    assert score >= 0.8, score
    # Each topic that is mostly (≥ 75 %) one theme is named by words of that theme, and every theme has one.
    topics = await hotline.sql("SELECT id, keywords FROM topic WHERE model_id = :m", m=model.id)
    named = set()
    for topic in topics:
        members = [labels[i] for i in ids if assigned[i] == topic.id]
        theme, count = Counter(members).most_common(1)[0]
        print(f"  {len(members):3d} {theme:16s} {count / len(members):.2f} {topic.keywords}")
        if count / len(members) >= 0.75:
            assert THEME_WORDS[theme] & set(topic.keywords), (theme, topic.keywords)
            named.add(theme)
    assert named == set(THEME_WORDS)
    # A new order joins the topic of its theme.
    hotline.clock.at("2026-12-08")
    new = await hotline.call(content="晚上十二点了楼下酒吧还在放音响，噪音扰民，根本睡不着。", title="酒吧噪音扰民")
    async with hotline.db.transaction() as session:
        assert await service.place_new_orders(session) == 1
    [row] = await hotline.sql("SELECT topic_id FROM work_order WHERE id = :i", i=uuid.UUID(new["id"]))
    members = [labels[i] for i in ids if assigned[i] == row.topic_id]
    assert Counter(members).most_common(1)[0][0] == "noise"
    # The pool through the API: a supervisor of Nanning sees its topics with trend, regions, representatives.
    pool = await hotline.client.get("/v1/topics", headers=hotline.supervisor())
    assert pool.status_code == 200, pool.text
    body = pool.json()
    assert body["orders"] == len(SAMPLE) and body["method"]["k"] == model.params["k"]
    assert sum(t["size"] for t in body["topics"]) == len(SAMPLE) + 1
    top = body["topics"][0]
    assert top["weeks"] and all(r.startswith("4501") for r in top["regions"]) and top["representatives"]
    # Another city's supervisor sees none of Nanning's orders; a citizen does not see the pool.
    other = await hotline.client.get("/v1/topics", headers=hotline.supervisor("450200"))
    assert other.json()["topics"] == []
    assert (await hotline.client.get("/v1/topics", headers=hotline.citizen())).status_code == 403
