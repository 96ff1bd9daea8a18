"""一件事: the cases of one bundle application know their bundle (application.submitted's ``bundle_id``), and
whoever may see one of them lists its sibling cases, each as its status only (another department's case
shows no applicant data); a case of no bundle has none; someone who may not see the case gets 404."""

from __future__ import annotations

import uuid
from typing import Any

from ..conftest import LIUZHOU, LZ_MARKET, submitted

ACCEPT = {"action": "accept", "opinion": "予以受理"}


async def test_staff_see_the_sibling_cases_of_a_bundle(env: Any) -> None:
    bundle = str(uuid.uuid4())
    first, second, third = [
        await env.submit(submitted().model_copy(update={"bundle_id": bundle, "bundle_code": "YJS-TEST"}))
        for _ in range(3)
    ]
    alone = await env.submit(submitted())
    await env.act(second.id, "accept", "acceptor", ACCEPT)

    staff = env.staff("reviewer")
    case = (await env.client.get(f"/v1/cases/{first.id}", headers=staff)).json()
    assert case["bundle_id"] == bundle
    siblings = await env.client.get(f"/v1/cases/{first.id}/siblings", headers=staff)
    assert siblings.status_code == 200, siblings.text
    items = siblings.json()["items"]
    assert {c["id"]: c["status"] for c in items} == {str(second.id): "reviewing", str(third.id): "accepting"}
    assert all(c["applicant"] is None for c in items), "status only"
    assert (await env.client.get(f"/v1/cases/{alone.id}/siblings", headers=staff)).json()["items"] == []

    # The applicant sees their own bundle's; another person, or staff of another region's department, nothing.
    mine = await env.client.get(f"/v1/cases/{first.id}/siblings", headers=env.citizen("citizen-1"))
    assert mine.status_code == 200 and len(mine.json()["items"]) == 2
    for stranger in (env.citizen("citizen-2"), env.staff("reviewer", region=LIUZHOU, department=LZ_MARKET)):
        resp = await env.client.get(f"/v1/cases/{first.id}/siblings", headers=stranger)
        assert resp.status_code == 404 and resp.headers["content-type"] == "application/problem+json"
