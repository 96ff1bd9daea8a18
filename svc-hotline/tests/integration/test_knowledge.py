"""Knowledge revisions on PostgreSQL: the owning department proposes a new version of a published entry;
search keeps answering with the current one until the centre (not the proposer) reviews it; then the new
content answers, the version counts up and the replaced one stays in the history. Attacks: another
department, another city, the proposer reviewing, bad input (problem+json, nothing written)."""

from __future__ import annotations

from typing import Any

Hotline = Any  # the conftest's fixture
HOUSING_FUND = "12450100MB0G4J5J6X"
WATER = "91450100MB0W1A2T3X"
LIUZHOU = "450200"


async def _entry(hotline: Hotline, q: str = "租房怎么提取公积金") -> dict[str, Any]:
    found = await hotline.client.get("/v1/knowledge", params={"q": q})
    return dict(found.json()["hits"][0]["entry"])


def _revision(entry: dict[str, Any], **over: Any) -> dict[str, Any]:
    return {
        "reason": "2027年起提取额度调整",
        "title": entry["title"],
        "body": "自2027年1月1日起，租房提取住房公积金的额度调整为每月最高1800元，可在南宁公积金App办理。",
        "category": entry["category"],
        "keywords": [*entry["keywords"], "提取额度"],
        "owner_department": entry["owner_department"],
        "valid_from": "2026-12-01",
        "valid_until": "2027-12-31",
    } | over


async def _matched(hotline: Hotline, entry_id: str, q: str) -> list[str]:
    """The query's words the entry matched in search (none if it was not found)."""
    hits = (await hotline.client.get("/v1/knowledge", params={"q": q})).json()["hits"]
    return next((list(h["matched"]) for h in hits if h["entry"]["id"] == entry_id), [])


async def _revision_rows(hotline: Hotline) -> int:
    return len(await hotline.sql("SELECT id FROM knowledge_revision"))


async def test_a_revision_replaces_the_entry_only_when_reviewed(hotline: Hotline) -> None:
    entry = await _entry(hotline)
    assert entry["owner_department"] == HOUSING_FUND and entry["version"] == 1
    eid = entry["id"]
    dept = hotline.staff(HOUSING_FUND, subject="fund-editor")
    proposed = await hotline.client.post(f"/v1/knowledge/{eid}/revisions", json=_revision(entry), headers=dept)
    assert proposed.status_code == 201, proposed.text
    rev = proposed.json()
    assert (rev["status"], rev["base_version"], rev["version"], rev["replaced"]) == ("pending", 1, None, None)
    # Until reviewed, the public entry and search answer with the current content.
    public = (await hotline.client.get(f"/v1/knowledge/{eid}")).json()
    assert (public["body"], public["version"]) == (entry["body"], 1)
    assert "额度" not in await _matched(hotline, eid, "提取额度")
    # One revision waits at a time.
    second = await hotline.client.post(f"/v1/knowledge/{eid}/revisions", json=_revision(entry), headers=dept)
    assert second.status_code == 409 and second.json()["type"].endswith("knowledge-revision-pending")
    # The department does not review (the centre does), nor does the proposer, even from the centre.
    rid = rev["id"]
    review = f"/v1/knowledge/{eid}/revisions/{rid}/review"
    own = await hotline.client.post(review, json={"approve": True}, headers=dept)
    assert own.status_code == 403
    self_review = await hotline.client.post(
        review, json={"approve": True}, headers=hotline.operator(subject="fund-editor")
    )
    assert self_review.status_code == 403
    applied = await hotline.client.post(
        review, json={"approve": True, "note": "核对政策原文"}, headers=hotline.supervisor()
    )
    assert applied.status_code == 200, applied.text
    done = applied.json()
    assert (done["status"], done["version"], done["reviewed_by"]) == ("applied", 2, "supervisor-1")
    assert done["replaced"]["version"] == 1 and done["replaced"]["body"] == entry["body"]
    now = (await hotline.client.get(f"/v1/knowledge/{eid}")).json()
    assert (now["version"], now["body"], now["valid_until"]) == (2, _revision(entry)["body"], "2027-12-31")
    assert now["reviewed_at"] is not None and now["usage_count"] == entry["usage_count"]
    assert "额度" in await _matched(hotline, eid, "提取额度")
    again = await hotline.client.post(review, json={"approve": True}, headers=hotline.supervisor())
    assert again.status_code == 409
    # A second revision, sent back: the entry stays at version 2; the history has all three states.
    returned_rev = await hotline.client.post(
        f"/v1/knowledge/{eid}/revisions", json=_revision(now, body="写错的内容草稿"), headers=dept
    )
    back = await hotline.client.post(
        f"/v1/knowledge/{eid}/revisions/{returned_rev.json()['id']}/review",
        json={"approve": False, "note": "与政策不符"},
        headers=hotline.operator(),
    )
    assert (back.json()["status"], back.json()["review_note"]) == ("returned", "与政策不符")
    assert (await hotline.client.get(f"/v1/knowledge/{eid}")).json()["body"] == now["body"]
    history = await hotline.client.get(f"/v1/knowledge/{eid}/revisions", headers=dept)
    assert [(r["status"], r["version"]) for r in history.json()["items"]] == [("applied", 2), ("returned", None)]


async def test_owner_hand_over_and_expiry(hotline: Hotline) -> None:
    entry = await _entry(hotline)
    eid = entry["id"]
    dept = hotline.staff(HOUSING_FUND, subject="fund-editor")
    # A department does not hand its entry to another department; the centre may.
    other = await hotline.client.post(
        f"/v1/knowledge/{eid}/revisions", json=_revision(entry, owner_department=WATER), headers=dept
    )
    assert other.status_code == 403
    moved = await hotline.client.post(
        f"/v1/knowledge/{eid}/revisions",
        json=_revision(entry, owner_department=WATER, valid_until="2026-12-06"),
        headers=hotline.operator(),
    )
    assert moved.status_code == 201
    await hotline.client.post(
        f"/v1/knowledge/{eid}/revisions/{moved.json()['id']}/review",
        json={"approve": True},
        headers=hotline.supervisor(),
    )
    # Expired (valid until yesterday): gone from the public, still there for its new owner and the centre.
    assert (await hotline.client.get(f"/v1/knowledge/{eid}")).status_code == 404
    listed = await hotline.client.get(f"/v1/knowledge/{eid}/revisions", headers=hotline.staff(WATER))
    assert listed.status_code == 200 and listed.json()["items"][0]["owner_department"] == WATER
    old_owner = await hotline.client.get(f"/v1/knowledge/{eid}/revisions", headers=dept)
    assert old_owner.status_code == 404


async def test_revision_attacks_and_bad_input(hotline: Hotline) -> None:
    entry = await _entry(hotline)
    eid = entry["id"]
    dept = hotline.staff(HOUSING_FUND)
    # Another department, another city's centre, a citizen, no token: nothing written.
    for headers, status in (
        (hotline.staff(WATER), 403),
        (hotline.operator(LIUZHOU), 403),
        (hotline.citizen(), 403),
        ({}, 401),
    ):
        resp = await hotline.client.post(f"/v1/knowledge/{eid}/revisions", json=_revision(entry), headers=headers)
        assert resp.status_code == status, (headers, resp.text)
        assert resp.headers["content-type"].startswith("application/problem+json")
    assert (await hotline.client.get(f"/v1/knowledge/{eid}/revisions", headers=hotline.staff(WATER))).status_code == 403
    # Bad input: problem+json, nothing written.
    bad_bodies = [
        _revision(entry, valid_until="2026-01-01"),
        _revision(entry, reason=""),
        _revision(entry, owner_department="../x"),
        _revision(entry, keywords=["x" * 31]),
        _revision(entry) | {"status": "applied"},
        _revision(entry, valid_from=1765000000),
    ]
    for body in bad_bodies:
        resp = await hotline.client.post(f"/v1/knowledge/{eid}/revisions", json=body, headers=dept)
        assert resp.status_code == 422, body
        assert resp.headers["content-type"].startswith("application/problem+json")
    taken = await hotline.client.get("/v1/knowledge", params={"q": "噪音"})
    other_title = next(h["entry"]["title"] for h in taken.json()["hits"] if h["entry"]["id"] != eid)
    dup = await hotline.client.post(
        f"/v1/knowledge/{eid}/revisions", json=_revision(entry, title=other_title), headers=dept
    )
    assert dup.status_code == 409
    missing = await hotline.client.post(
        "/v1/knowledge/00000000-0000-0000-0000-000000000000/revisions", json=_revision(entry), headers=dept
    )
    assert missing.status_code == 404
    assert await _revision_rows(hotline) == 0
    # A revision id of another entry is not reviewed through this one.
    rev = await hotline.client.post(f"/v1/knowledge/{eid}/revisions", json=_revision(entry), headers=dept)
    other_entry = await _entry(hotline, "噪音")
    crossed = await hotline.client.post(
        f"/v1/knowledge/{other_entry['id']}/revisions/{rev.json()['id']}/review",
        json={"approve": True},
        headers=hotline.supervisor(),
    )
    assert crossed.status_code == 404
    assert (await hotline.client.get(f"/v1/knowledge/{eid}")).json()["version"] == 1
