"""Journey 4: a city platform (地市平台) connects to the provincial platform. A platform admin registers it (an
OAuth client at identity, scopes granted at exchange); signed in with client credentials, it pulls the catalog
changes incrementally, pushes a case it handled (idempotent, per-record errors), and its webhook server on
loopback receives the signed deliveries of an item's publication and withdrawal and of a case's acceptance: a failed attempt is retried
under the same id, a server down for the whole schedule gets a dead letter it has redelivered. Exchange refuses
loopback webhook URLs until restarted with EXCHANGE_WEBHOOK_ALLOW_PRIVATE_ADDRESSES. The token is refused
beyond its scopes, its region and its kind."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from harness import Platform
from standardwebhooks.webhooks import Webhook, WebhookVerificationError
from steps_cases import FOOD_FORM, NANNING, NANNING_MARKET, apply, do_step, find_item
from steps_exchange import CitySystem, Delivery, WebhookReceiver, pull_all, register_city_platform, webhook_receiver
from steps_people import Person, citizen, eventually, problem, staff

CATALOG_READ, CASES_WRITE, WEBHOOKS, SHARED_QUERY, DISCOVERY = (
    "exchange.catalog.read",
    "exchange.cases.write",
    "exchange.webhooks.manage",
    "exchange.shared.query",
    "exchange.discovery.read",
)
IDENTIFIER = f"GX/city/{NANNING_MARKET}/e2e-city-platform"
ITEM = "出生登记"  # a Nanning item no other step of this module applies for
ZHANGSAN_ID = "450102199001011231"  # the demo citizen's synthetic ID number
RETRY_AFTER = "[2, 2, 2]"  # seconds between webhook attempts (EXCHANGE_WEBHOOK_BACKOFF_SECONDS) for this journey


def published_codes(client: httpx.Client, region: str) -> set[str]:
    """Implementation codes of every published item of ``region``'s subtree, as the public search lists them."""
    codes: set[str] = set()
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"region": region, "limit": 100} | ({"cursor": cursor} if cursor else {})
        page = client.get("/api/catalog/v1/items", params=params)
        assert page.status_code == 200, page.text
        codes |= {i["implementation_code"] for i in page.json()["items"]}
        cursor = page.json()["next_cursor"]
        if not cursor:
            return codes


def signed_delivery(receiver: WebhookReceiver, secret: str, event_type: str, code: str) -> tuple[Delivery, Any]:
    """The first accepted delivery of ``event_type`` about item ``code``, its signature verified with the
    subscription's secret (Standard Webhooks); the delivery and its CloudEvent."""

    def probe() -> tuple[Delivery, Any] | None:
        for delivery in receiver.deliveries():
            event = Webhook(secret).verify(delivery.body, delivery.headers)
            if event["type"] == event_type and event["data"]["implementation_code"] == code and delivery.answered < 300:
                return delivery, event
        return None

    return eventually(probe, f"the {event_type} webhook of {code}")


def subscribe(city: Person, url: str, *event_types: str) -> httpx.Response:
    return city.post("/api/exchange/v1/webhooks/subscriptions", json={"url": url, "event_types": list(event_types)})


def test_a_city_platform_pulls_pushes_and_receives_webhooks(platform: Platform) -> None:
    admin = staff(platform, "gx-platform-admin")
    system = register_city_platform(
        admin,
        IDENTIFIER,
        NANNING,
        NANNING_MARKET,
        client_scopes=[CATALOG_READ, CASES_WRITE, WEBHOOKS, SHARED_QUERY, DISCOVERY],
        granted=[CATALOG_READ, CASES_WRITE, WEBHOOKS],
    )
    city = system.sign_in(platform, " ".join([CATALOG_READ, CASES_WRITE, WEBHOOKS, SHARED_QUERY, DISCOVERY]))
    found = city.get("/api/exchange/v1/discovery")
    assert found.status_code == 200, found.text
    assert found.json()["system"] == IDENTIFIER and found.json()["scopes"] == [CASES_WRITE, CATALOG_READ, WEBHOOKS]
    assert {"/v1/catalog/changes", "/v1/cases:push"} <= {op["path"] for op in found.json()["operations"]}

    # The first pull brings the region's catalog (once exchange has read the catalog's demo publications).
    nanning = published_codes(city.client, NANNING)

    def first_pull() -> tuple[list[dict[str, Any]], int] | None:
        changes, cursor = pull_all(city, 0)
        return (changes, cursor) if nanning <= {c["implementation_code"] for c in changes} else None

    changes, cursor = eventually(first_pull, "the demo catalog of Nanning in the first pull")
    assert cursor == max(c["seq"] for c in changes) and all(c["region"].startswith("4501") for c in changes)
    assert all(c["operation"] == "published" and "process" not in c["item"]["definition"] for c in changes)

    # The receivers listen on loopback, which exchange refuses by default (a system must not make it call
    # into the platform's network): restarted allowing it, and with retries seconds apart instead of minutes.
    with webhook_receiver(fail_first=1) as receiver, webhook_receiver(fail_first=4) as down:
        refused = problem(subscribe(city, receiver.url, "catalog.item.published"), 422)
        assert str(refused["type"]).endswith(":webhook-url-not-allowed"), refused
        platform.restart(
            "exchange", EXCHANGE_WEBHOOK_ALLOW_PRIVATE_ADDRESSES="true", EXCHANGE_WEBHOOK_BACKOFF_SECONDS=RETRY_AFTER
        )
        subscribed = subscribe(
            city, receiver.url, "catalog.item.published", "catalog.item.withdrawn", "workflow.case.accepted"
        )
        assert subscribed.status_code == 201 and subscribed.json()["secret"].startswith("whsec_"), subscribed.text
        secret = subscribed.json()["secret"]
        second = subscribe(city, down.url, "catalog.item.withdrawn")  # a server that is down for a while
        assert second.status_code == 201, second.text

        code, version, definition = publish_a_new_version(admin, city)
        changed = eventually(lambda: pull_all(city, cursor)[0], "the new version in the next pull")
        (change,) = changed  # the new version and nothing else
        assert (change["implementation_code"], change["version"], change["operation"]) == (code, version, "published")
        assert change["seq"] > cursor and change["item"]["definition"]["name"] == ITEM
        cursor = change["seq"]
        assert pull_all(city, cursor) == ([], cursor)  # pulled up to date: nothing more

        # The publication's webhook: the first attempt got a 503, the retry carries the same id.
        delivery, event = signed_delivery(receiver, secret, "catalog.item.published", code)
        assert event["data"]["version"] == version and delivery.headers["x-gov-event-type"] == event["type"]
        attempts = [d for d in receiver.deliveries() if d.headers["webhook-id"] == delivery.headers["webhook-id"]]
        assert [d.answered for d in attempts][:2] == [503, 204], [d.answered for d in attempts]
        tampered = delivery.body.replace(ITEM.encode(), "食品经营许可".encode())
        with pytest.raises(WebhookVerificationError):
            Webhook(secret).verify(tampered, delivery.headers)

        def delivered() -> list[dict[str, Any]] | None:
            # exchange records the 204 after the receiver has answered it: poll for that moment
            record = city.get("/api/exchange/v1/webhooks/deliveries", params={"status": "delivered"})
            assert record.status_code == 200, record.text
            return [d for d in record.json()["items"] if d["id"] == delivery.headers["webhook-id"]] or None

        (kept,) = eventually(delivered, "the delivery recorded as delivered")
        assert kept["attempts"] == 2 and kept["last_status_code"] == 204 and kept["event_type"] == event["type"]

        # A status change of the item: the publisher withdraws it; the pull and a webhook both tell.
        withdrawn = admin.post(f"/api/catalog/v1/items/{code}/withdraw")
        assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "withdrawn", withdrawn.text
        (gone,) = eventually(lambda: pull_all(city, cursor)[0], "the withdrawal in the next pull")
        assert (gone["implementation_code"], gone["operation"], gone["item"]) == (code, "withdrawn", None)
        _, event = signed_delivery(receiver, secret, "catalog.item.withdrawn", code)
        assert event["data"]["region"] == NANNING
        dead_letter_then_redeliver(city, down, second.json()["secret"], code)
        case_accepted_webhook(platform, receiver, secret)

    push_cases(platform, city, code)
    refuse_beyond_scopes(platform, admin, system, city, code, definition)


def case_accepted_webhook(platform: Platform, receiver: WebhookReceiver, secret: str) -> None:
    """A status change of a case in the city's region: a citizen applies through the provincial platform and
    Nanning's acceptor accepts; the city platform's server receives the signed workflow.case.accepted."""
    zhangsan = citizen(platform, "zhangsan")
    item = find_item(zhangsan.client, "食品经营许可")
    submitted = apply(zhangsan, item["implementation_code"], "张三", FOOD_FORM, id_number=ZHANGSAN_ID)
    tracking = submitted["tracking_number"]
    case = do_step(staff(platform, "nn-acceptor"), tracking, "accept", "accept", "材料齐全，予以受理")
    assert case["status"] == "reviewing"

    def accepted() -> dict[str, Any] | None:
        for delivery in receiver.deliveries():
            event = Webhook(secret).verify(delivery.body, delivery.headers)
            if event["type"] == "workflow.case.accepted" and event["data"]["tracking_number"] == tracking:
                return dict(event)
        return None

    event = eventually(accepted, f"the workflow.case.accepted webhook of {tracking}")
    assert event["data"]["region"].startswith("4501") and event["subject"] == case["id"]
    assert ZHANGSAN_ID not in json.dumps(event, ensure_ascii=False), "no ID number leaves the province"


def dead_letter_then_redeliver(city: Person, down: WebhookReceiver, secret: str, code: str) -> None:
    """The server that was down got every attempt of the schedule and a 503 each time: the delivery is a dead
    letter, which the city platform sends again once its server is back."""

    def dead() -> list[dict[str, Any]]:
        page = city.get("/api/exchange/v1/webhooks/deliveries", params={"status": "dead"})
        assert page.status_code == 200, page.text
        return [d for d in page.json()["items"] if d["event_type"] == "catalog.item.withdrawn"]

    (letter,) = eventually(dead, "the withdrawal's delivery to the server that is down to be dead-lettered")
    assert letter["attempts"] == 1 + len(json.loads(RETRY_AFTER)) and letter["last_error"] == "HTTP 503", letter
    assert [d.answered for d in down.deliveries()] == [503] * letter["attempts"]
    again = city.post(f"/api/exchange/v1/webhooks/deliveries/{letter['id']}/redeliver")
    assert again.status_code == 200 and again.json()["status"] == "pending", again.text
    delivery, _ = signed_delivery(down, secret, "catalog.item.withdrawn", code)
    assert delivery.headers["webhook-id"] == letter["id"]
    assert dead() == []


def publish_a_new_version(admin: Person, city: Person) -> tuple[str, int, dict[str, Any]]:
    """The catalog is changed through its staff API: the next version of a Nanning item is drafted, submitted
    and published by a platform admin (the demo's catalog editor belongs to a provincial department and may
    not touch a Nanning department's item). Its code, new version and definition."""
    item = find_item(city.client, ITEM)
    current = city.client.get(f"/api/catalog/v1/items/{item['implementation_code']}").json()
    definition = current["definition"] | {"appointment": not current["definition"]["appointment"]}
    code = item["implementation_code"]
    draft = admin.post(f"/api/catalog/v1/items/{code}/versions", json={"definition": definition})
    assert draft.status_code == 201, draft.text
    version = int(draft.json()["version"])
    assert version == current["version"] + 1
    assert admin.post(f"/api/catalog/v1/items/{code}/versions/{version}/submit").status_code == 200
    published = admin.post(f"/api/catalog/v1/items/{code}/versions/{version}/publish")
    assert published.status_code == 200 and published.json()["status"] == "published", published.text
    return code, version, definition


def push_cases(platform: Platform, city: Person, item_code: str) -> None:
    """The city platform reports a case it handled; a repeat changes nothing; a later status updates it; bad
    records come back one by one while the good ones are kept."""
    supervisor = staff(platform, "nn-supervisor")

    def external() -> dict[str, Any]:
        stats = supervisor.get("/api/exchange/v1/statistics/cases")
        assert stats.status_code == 200, stats.text
        return dict(stats.json())

    before = external()
    pushed_before, completed_before = (
        before["by_origin"].get("external_system", 0),
        before["by_status"].get("completed", 0),
    )
    case = {
        "case_id": "NN-CITY-2026-000123",
        "tracking_number": "450100-CITY-000123",
        "item_code": item_code,
        "item_name": ITEM,
        "region": "450102",
        "department": NANNING_MARKET,
        "status": "accepted",
        "status_at": "2026-11-20T09:30:00+08:00",
        "received_at": "2026-11-20T09:00:00+08:00",
    }
    pushed = city.post("/api/exchange/v1/cases:push", json={"cases": [case]})
    assert pushed.status_code == 200, pushed.text
    assert pushed.json() == {"created": 1, "updated": 0, "unchanged": 0, "rejected": 0, "errors": []}
    again = city.post("/api/exchange/v1/cases:push", json={"cases": [case]})
    assert again.status_code == 200 and again.json()["unchanged"] == 1 and again.json()["created"] == 0, again.text
    stats = external()
    assert stats["by_origin"]["external_system"] == pushed_before + 1, stats

    done = case | {"status": "completed", "status_at": "2026-11-22T16:00:00+08:00"}
    late = case | {"case_id": "NN-CITY-2026-000124"}
    bad = case | {"case_id": "NN-CITY-2026-000125", "status": "lost", "received_at": "2026-11-20T09:00:00"}
    liuzhou = case | {"case_id": "LZ-2026-000001", "region": "450200"}
    mixed = city.post("/api/exchange/v1/cases:push", json={"cases": [done, bad, late, liuzhou]})
    assert mixed.status_code == 200, mixed.text
    result = mixed.json()
    assert (result["created"], result["updated"], result["unchanged"], result["rejected"]) == (1, 1, 0, 2), result
    first, second = result["errors"]
    assert (first["index"], first["case_id"]) == (1, "NN-CITY-2026-000125")
    assert {e["field"] for e in first["errors"]} == {"status", "received_at"}, first
    assert (second["index"], second["case_id"], second["errors"][0]["code"]) == (
        3,
        "LZ-2026-000001",
        "region_not_allowed",
    )
    # An older report of a case arriving after a newer one changes nothing.
    stale = city.post("/api/exchange/v1/cases:push", json={"cases": [case]})
    assert stale.json()["unchanged"] == 1, stale.text
    stats = external()
    assert stats["by_origin"]["external_system"] == pushed_before + 2, stats
    assert stats["by_status"]["completed"] == completed_before + 1, stats


def refuse_beyond_scopes(
    platform: Platform, admin: Person, system: CitySystem, city: Person, code: str, definition: dict[str, Any]
) -> None:
    # identity does not issue a scope the client was never given
    asked = city.client.post(
        "/api/identity/token",
        data={"grant_type": "client_credentials", "scope": "exchange.national.read"},
        auth=(system.client_id, system.client_secret),
    )
    assert asked.status_code == 400 and asked.json()["error"] == "invalid_scope", asked.text
    # a scope the client holds at identity but exchange did not grant in the registry
    shared = city.get("/api/exchange/v1/datasets/legal-person-base/records/91450100MA5KXXXX0B")
    assert problem(shared, 403)["required_scope"] == SHARED_QUERY
    # a token asked for the catalog pull only does not push
    reader = system.sign_in(platform, CATALOG_READ)
    body = problem(reader.post("/api/exchange/v1/cases:push", json={"cases": [{"case_id": "x"}]}), 403)
    assert body["required_scope"] == CASES_WRITE
    # outside its region, and what only staff or platform admins do
    assert problem(city.get("/api/exchange/v1/catalog/changes", params={"region": "450200"}), 403)["region"] == "450200"
    problem(city.post(f"/api/catalog/v1/items/{code}/versions", json={"definition": definition}), 403)
    problem(city.get("/api/exchange/v1/systems"), 403)
    problem(city.get("/api/exchange/v1/statistics/cases"), 403)
    # a suspended system is refused everything until the admin resumes it
    suspended = admin.client.patch(
        f"/api/exchange/v1/systems/{system.registry['id']}", headers=admin.auth, json={"active": False}
    )
    assert suspended.status_code == 200 and suspended.json()["active"] is False, suspended.text
    assert str(problem(city.get("/api/exchange/v1/catalog/changes"), 403)["type"]).endswith(":system-not-registered")
    admin.client.patch(f"/api/exchange/v1/systems/{system.registry['id']}", headers=admin.auth, json={"active": True})
    assert city.get("/api/exchange/v1/catalog/changes", params={"since": 2**62}).status_code == 200
    assert city.get("/api/exchange/v1/webhooks/subscriptions").json()["items"][0]["active"] is True
