"""Journey 1 end to end, through the gateway only, on PostgreSQL + Kafka and on the embedded default:
register, sign in (OIDC code + PKCE), find the item by a Chinese search, apply with a form, materials and
a held e-license, supplement when asked, pay the fee in the sandbox channel, staff of the right city accept,
review and approve, receive the license, verify it publicly, download its PDF and rate the service."""

from __future__ import annotations

import bundle_journey
import citizen_journey as journey
import cross_region_journey
from harness import Platform


def journey_on(platform: Platform) -> journey.Citizen:
    setup = journey.prepare(platform)
    try:
        citizen = journey.run_journey(setup)
        journey.check_read_back(setup, citizen)
    finally:
        setup.staff.close()
    return citizen


def test_citizen_journey_on_postgres_and_kafka(platform: Platform) -> None:
    assert platform.backend == "postgres"
    citizen = journey_on(platform)
    print({step: round(seconds, 1) for step, seconds in citizen.timings.items()})


def test_bundle_journey_on_postgres_and_kafka(platform: Platform) -> None:
    """One application for a one-thing bundle of three departments, each handling its case (one asking for a
    supplement that stalls no other), one payment, one status, every licence (tests/e2e/bundle_journey.py);
    on the module's platform, after the journey above."""
    final = bundle_journey.run(platform)
    assert final["status"] == "completed" and {p["status"] for p in final["parts"]} == {"completed"}


def test_cross_region_journey_on_postgres_and_kafka(platform: Platform) -> None:
    """异地代收: a Liuzhou window accepts Nanning's 社会保障卡申领 for a person at the window, Nanning decides,
    Liuzhou hands the result over (tests/e2e/cross_region_journey.py); on the module's platform."""
    trace = cross_region_journey.run(platform)
    assert [e["action"] for e in trace["entries"]][-2:] == ["delivered", "completed"]


def test_citizen_journey_on_the_embedded_default(embedded_platform: Platform) -> None:
    assert embedded_platform.backend == "embedded"
    journey_on(embedded_platform)
