"""Journey 1 end to end, through the gateway only, on PostgreSQL + Kafka and on the embedded default:
register, sign in (OIDC code + PKCE), find the item by a Chinese search, apply with a form, materials and
a held e-license, supplement when asked, pay the fee in the sandbox channel, staff of the right city accept,
review and approve, receive the license, verify it publicly, download its PDF and rate the service."""

from __future__ import annotations

import citizen_journey as journey
import httpx
from harness import Platform


def check_journey_result(platform: Platform, citizen: journey.Citizen) -> None:
    """What the citizen's history shows afterwards, read back through the gateway."""
    with httpx.Client(base_url=platform.gateway, timeout=60) as gw:
        auth = journey.bearer(citizen.token)
        history = gw.get(f"/api/application/v1/applications/{citizen.ids['application']}/history", headers=auth)
        assert [h["status"] for h in history.json()] == [
            "draft",
            "submitted",
            "supplement_requested",
            "supplemented",
            "accepted",
            "approved",
            "completed",
        ]
        mine = gw.get("/api/application/v1/applications", headers=auth).json()["items"]
        assert [a["id"] for a in mine] == [citizen.ids["application"]]
        orders = gw.get("/api/payment/v1/orders", params={"case_id": citizen.ids["case"]}, headers=auth).json()
        assert [(o["id"], o["status"]) for o in orders["items"]] == [(citizen.ids["order"], "paid")]
        wallet = gw.get("/api/certificates/v1/wallet/licenses", headers=auth).json()["items"]
        assert sorted(lic["type_name"] for lic in wallet) == sorted([journey.LICENSE_MATERIAL, journey.RESULT_LICENSE])
        ratings = gw.get("/api/evaluation/v1/ratings", headers=auth).json()["items"]
        assert [r["id"] for r in ratings] == [citizen.ids["rating"]]


def test_citizen_journey_on_postgres_and_kafka(platform: Platform) -> None:
    setup = journey.prepare(platform)
    try:
        citizen = journey.run_journey(setup)
    finally:
        setup.staff.close()
    print({step: round(seconds, 1) for step, seconds in citizen.timings.items()})
    check_journey_result(platform, citizen)


def test_citizen_journey_on_the_embedded_default(embedded_platform: Platform) -> None:
    assert embedded_platform.backend == "embedded"
    setup = journey.prepare(embedded_platform)
    try:
        citizen = journey.run_journey(setup)
    finally:
        setup.staff.close()
    check_journey_result(embedded_platform, citizen)
