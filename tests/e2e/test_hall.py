"""Journey: a day at a hall, through the gateway on PostgreSQL and Kafka. A citizen books an appointment at
application's hall; the hall service learns of it from ``application.appointment.booked``; the citizen
checks in at a kiosk (a registered client-credentials device, ID card read) and gets a ticket ahead of the
walk-ins who came earlier; a window calls, serves and finishes it, and the window's device relays the
citizen's rating to evaluation (``hall_device``); a walk-in is transferred to another queue and served
there; another does not come (a no-show); the public screen stream shows every call in order; the day's
figures are the ones computed here by hand from the tickets."""

from __future__ import annotations

import json
import threading
import uuid
from datetime import date, datetime, timedelta
from typing import Any

import httpx
from harness import Platform
from identity_flows import client_credentials
from steps_cases import NANNING, NANNING_MARKET
from steps_people import Person, browser, citizen, eventually, problem, staff

from gov_standards.china_time import CHINA_TZ, utcnow

ZHANGSAN_ID = "450102199001011231"  # the demo citizen's synthetic ID number
STRANGER_ID = "450102198506151235"  # a valid ID number of nobody on the platform


def register_client(admin: Person, name: str, scopes: list[str]) -> tuple[str, str]:
    """A client-credentials system of Nanning registered at identity: (client_id, secret)."""
    body = {
        "name": name,
        "auth_method": "client_secret_basic",
        "grant_types": ["client_credentials"],
        "scopes": scopes,
        "region": NANNING,
    }
    created = admin.post("/api/identity/v1/clients", json=body)
    assert created.status_code == 201, created.text
    return created.json()["client_id"], created.json()["client_secret"]


def system(platform: Platform, client_id: str, secret: str, scope: str) -> Person:
    client = browser(platform)
    return Person(client_id, client, client_credentials(client, client_id, secret, scope))


def open_today(admin: Person, citizen_: Person, hall_id: str, today: date) -> dict[str, Any]:
    """The next bookable slot of today at application's hall; on a day off the platform calendar is made
    to open today first (a make-up working day, as the workflow's calendar API allows)."""

    def next_slot() -> dict[str, Any] | None:
        slots = citizen_.get(f"/api/application/v1/halls/{hall_id}/slots", params={"day": today.isoformat()})
        assert slots.status_code == 200, slots.text
        soon = utcnow() + timedelta(seconds=20)
        return next(
            (s for s in slots.json()["items"] if datetime.fromisoformat(s["start"]) > soon and s["available"]), None
        )

    found = next_slot()
    if found is None:
        year = admin.get(f"/api/workflow/v1/calendar/{today.year}")
        current = year.json() if year.status_code == 200 else {"holidays": [], "makeup_workdays": []}
        body = {
            "holidays": [d for d in current["holidays"] if d != today.isoformat()],
            "makeup_workdays": sorted({*current["makeup_workdays"], today.isoformat()})
            if today.weekday() >= 5
            else current["makeup_workdays"],
            "source": "e2e: the hall opens today",
        }
        changed = admin.client.put(f"/api/workflow/v1/calendar/{today.year}", json=body, headers=admin.auth)
        assert changed.status_code in (200, 201), changed.text
        found = eventually(next_slot, "today to open at application's hall (the calendar through Kafka)")
    return found


class ScreenWatcher(threading.Thread):
    """Reads a hall's public screen stream through the gateway (no token) until it has ``count`` calls."""

    def __init__(self, gateway: str, hall_id: str, count: int) -> None:
        super().__init__(daemon=True)
        self.url, self.count = f"{gateway}/api/hall/v1/halls/{hall_id}/screen/stream", count
        self.calls: list[dict[str, Any]] = []
        self.connected = threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            with (
                httpx.Client(timeout=httpx.Timeout(10, read=60)) as client,
                client.stream("GET", self.url, headers={"Accept": "text/event-stream"}) as stream,
            ):
                assert stream.status_code == 200 and stream.headers["content-type"].startswith("text/event-stream")
                self.connected.set()
                event = None
                for line in stream.iter_lines():
                    if line.startswith("event:"):
                        event = line.split(":", 1)[1].strip()
                    elif line.startswith("data:") and event == "call":
                        self.calls.append(json.loads(line.split(":", 1)[1]))
                        if len(self.calls) == self.count:
                            return
                    elif line == "":
                        event = None
        except BaseException as exc:  # reported by the test
            self.error = exc
            self.connected.set()


def test_a_day_at_the_hall(platform: Platform) -> None:
    admin, root = staff(platform, "nn-staff-admin"), staff(platform, "gx-platform-admin")
    acceptor, supervisor = staff(platform, "nn-acceptor"), staff(platform, "nn-supervisor")
    zhangsan = citizen(platform, "zhangsan")
    today = utcnow().astimezone(CHINA_TZ).date()

    # Application's hall takes appointments in 5-minute slots all day; the hall service's hall is linked to it.
    app_hall = admin.post(
        "/api/application/v1/halls",
        json={
            "name": "南宁市民中心（e2e）",
            "region": NANNING,
            "address": "民族大道",
            "periods": [["00:00", "23:59"]],
            "slot_minutes": 5,
            "windows": [{"name": "预约窗口", "capacity_per_slot": 5}],
        },
    )
    assert app_hall.status_code == 201, app_hall.text
    body = {
        "name": "南宁市民中心（e2e）",
        "region": NANNING,
        "address": "民族大道",
        "appointment_hall_id": app_hall.json()["id"],
        "queues": [
            {"code": "A", "name": "综合受理", "priority_groups": ["elderly"], "no_show_minutes": 30},
            {"code": "B", "name": "企业开办", "department": NANNING_MARKET},
        ],
        "windows": [
            {"name": "1号窗口", "queues": ["A"], "department": NANNING_MARKET},
            {"name": "2号窗口", "queues": ["B"], "department": NANNING_MARKET},
        ],
    }
    problem(acceptor.post("/api/hall/v1/halls", json=body), 403)  # hall staff do not set halls up
    created = admin.post("/api/hall/v1/halls", json=body)
    assert created.status_code == 201, created.text
    hall = created.json()
    hall_id = hall["id"]
    w1, w2 = (next(w["id"] for w in hall["windows"] if w["name"] == n) for n in ("1号窗口", "2号窗口"))

    # The kiosk and the window's rating device are registered clients of identity; the kiosk is bound to the hall.
    kiosk_id, kiosk_secret = register_client(root, "e2e kiosk", ["hall.tickets.take"])
    device_id, device_secret = register_client(root, "e2e window device", ["evaluation.ratings.relay"])
    registered = admin.post(f"/api/hall/v1/halls/{hall_id}/kiosks", json={"client_id": kiosk_id, "name": "一楼自助机"})
    assert registered.status_code == 201, registered.text
    kiosk = system(platform, kiosk_id, kiosk_secret, "hall.tickets.take")
    device = system(platform, device_id, device_secret, "evaluation.ratings.relay")

    # The citizen books the next slot of today.
    slot = open_today(root, zhangsan, app_hall.json()["id"], today)
    booked = zhangsan.post(
        "/api/application/v1/appointments",
        key=str(uuid.uuid4()),
        json={"hall_id": app_hall.json()["id"], "slot_start": slot["start"]},
    )
    assert booked.status_code == 201, booked.text
    reference = booked.json()["reference"]

    # Walk-ins take tickets at the front desk before the citizen arrives.
    walk1 = acceptor.post(f"/api/hall/v1/halls/{hall_id}/tickets", key=str(uuid.uuid4()), json={"queue": "A"})
    walk2 = acceptor.post(f"/api/hall/v1/halls/{hall_id}/tickets", key=str(uuid.uuid4()), json={"queue": "A"})
    assert walk1.status_code == walk2.status_code == 201, walk1.text
    walk1_id, walk2_id = walk1.json()["id"], walk2.json()["id"]

    watcher = ScreenWatcher(platform.gateway, hall_id, 4)
    watcher.start()
    assert watcher.connected.wait(30) and watcher.error is None, watcher.error

    # At the kiosk: ID card read, appointment reference typed; the hall knows it once the event has arrived.
    check_in = {"reference": reference, "queue": "A", "real_name": {"method": "id_card", "id_number": ZHANGSAN_ID}}

    def checked_in() -> dict[str, Any] | None:
        answer = kiosk.post("/api/hall/v1/kiosk/check-ins", json=check_in)
        if answer.status_code == 404:
            return None  # application.appointment.booked has not reached the hall yet
        assert answer.status_code == 201, answer.text
        return dict(answer.json())

    at_kiosk = eventually(checked_in, "the appointment to reach the hall service")
    ticket = at_kiosk["ticket"]
    assert at_kiosk["real_name_method"] == "id_card" and ticket["source"] == "appointment"
    assert ticket["ahead"] == 0, ticket  # ahead of the two walk-ins who came first
    problem(kiosk.post(f"/api/hall/v1/halls/{hall_id}/tickets", json={"queue": "A"}), 403)  # a kiosk is no desk
    mine = zhangsan.get("/api/hall/v1/tickets").json()["items"]
    assert [t["id"] for t in mine] == [ticket["id"]]
    # Someone else's ID card at zhangsan's appointment: identity says it is not the holder's (issue 21).
    stranger = {**check_in, "real_name": {"method": "id_card", "id_number": STRANGER_ID}}
    assert str(problem(kiosk.post("/api/hall/v1/kiosk/check-ins", json=stranger), 403)["type"]).endswith(
        ":not-the-appointment-holder"
    )

    # 自助打印: the kiosk lists zhangsan's licences (the demo 营业执照) and prints one, from certificates.
    card = {"method": "id_card", "id_number": ZHANGSAN_ID}
    listed = kiosk.post("/api/hall/v1/kiosk/licences", json={"real_name": card})
    assert listed.status_code == 200, listed.text
    licence = next(item for item in listed.json()["items"] if item["type_name"] == "营业执照")
    printed = kiosk.post("/api/hall/v1/kiosk/prints", json={"real_name": card, "license_id": licence["id"]})
    assert printed.status_code == 200, printed.text
    assert printed.headers["content-type"] == "application/pdf" and printed.content.startswith(b"%PDF")
    # The stranger's card: no licences, and zhangsan's licence is not printed for them.
    other_card = {"method": "id_card", "id_number": STRANGER_ID}
    assert kiosk.post("/api/hall/v1/kiosk/licences", json={"real_name": other_card}).json()["items"] == []
    refused = kiosk.post("/api/hall/v1/kiosk/prints", json={"real_name": other_card, "license_id": licence["id"]})
    assert str(problem(refused, 404)["type"]).endswith(":document-not-found")
    # zhangsan sees the print in the use log of their wallet.
    uses = zhangsan.get("/api/certificates/v1/wallet/uses").json()["items"]
    assert any(u["basis"] == "kiosk_print" and u["license_id"] == licence["id"] for u in uses), uses

    # Window 1 calls: the appointment first; serves it; the device relays the citizen's rating.
    problem(acceptor.post(f"/api/hall/v1/windows/{w1}/call-next"), 403)  # not signed in yet
    assert acceptor.post(f"/api/hall/v1/windows/{w1}/sign-in").status_code == 200
    called = acceptor.post(f"/api/hall/v1/windows/{w1}/call-next").json()["ticket"]
    assert called["id"] == ticket["id"] and called["window"] == "1号窗口"
    assert acceptor.post(f"/api/hall/v1/windows/{w1}/tickets/{ticket['id']}/start").status_code == 200
    finished = acceptor.post(f"/api/hall/v1/windows/{w1}/tickets/{ticket['id']}/finish")
    assert finished.status_code == 200, finished.text
    prompt = finished.json()["rating"]
    assert prompt == {
        "channel": "hall_device",
        "department": NANNING_MARKET,
        "region": NANNING,
        "window": w1,
        "rater_subject": zhangsan_subject(zhangsan),
    }
    rated = device.post(
        "/api/evaluation/v1/ratings/relayed",
        key=str(uuid.uuid4()),
        json={**prompt, "level": 5, "reasons": ["fast"], "comment": ""},
    )
    assert rated.status_code == 201, rated.text
    assert rated.json()["channel"] == "hall_device" and rated.json()["window"] == w1

    # Then the walk-ins in arrival order: the first belongs to queue B and is transferred; the second is a no-show.
    assert acceptor.post(f"/api/hall/v1/windows/{w1}/call-next").json()["ticket"]["id"] == walk1_id
    moved = acceptor.post(f"/api/hall/v1/windows/{w1}/tickets/{walk1_id}/transfer", json={"queue": "B"})
    assert moved.status_code == 200 and moved.json()["ticket"]["queue"] == "B", moved.text
    assert acceptor.post(f"/api/hall/v1/windows/{w1}/call-next").json()["ticket"]["id"] == walk2_id
    skipped = acceptor.post(f"/api/hall/v1/windows/{w1}/tickets/{walk2_id}/skip")
    assert skipped.json()["ticket"]["status"] == "expired" and skipped.json()["ticket"]["expired_reason"] == "skipped"
    assert acceptor.post(f"/api/hall/v1/windows/{w2}/sign-in").status_code == 200  # moves to window 2
    assert acceptor.post(f"/api/hall/v1/windows/{w2}/call-next").json()["ticket"]["id"] == walk1_id
    assert acceptor.post(f"/api/hall/v1/windows/{w2}/tickets/{walk1_id}/finish").status_code == 200

    # The screen showed each call in order.
    watcher.join(60)
    assert watcher.error is None and not watcher.is_alive(), watcher.error
    numbers = {t: acceptor.get(f"/api/hall/v1/tickets/{t}").json() for t in (ticket["id"], walk1_id, walk2_id)}
    assert [(c["number"], c["window"]) for c in watcher.calls] == [
        (numbers[ticket["id"]]["number"], "1号窗口"),
        (numbers[walk1_id]["number"], "1号窗口"),
        (numbers[walk2_id]["number"], "1号窗口"),
        (numbers[walk1_id]["number"], "2号窗口"),
    ]
    page = httpx.get(f"{platform.gateway}/api/hall/v1/halls/{hall_id}/screen", timeout=30)
    assert (
        page.status_code == 200
        and "南宁市民中心" in page.text
        and "frame-ancestors 'none'" in page.headers["content-security-policy"]
    )

    # The figures, by hand from the tickets.
    def seconds(a: str, b: str) -> int:
        return int((datetime.fromisoformat(b) - datetime.fromisoformat(a)).total_seconds())

    tickets = list(numbers.values())
    waits = [seconds(t["issued_at"], t["first_called_at"]) for t in tickets]
    services = [seconds(t["served_at"], t["finished_at"]) for t in tickets if t["status"] == "finished"]
    figures = supervisor.get(f"/api/hall/v1/halls/{hall_id}/figures", params={"day": today.isoformat()})
    assert figures.status_code == 200, figures.text
    got = figures.json()
    assert got["total"] == {
        "issued": 3,
        "finished": 2,
        "no_shows": 1,
        "no_show_rate": round(1 / 3, 4),
        "average_wait_seconds": round(sum(waits) / 3, 1),
        "average_service_seconds": round(sum(services) / 2, 1),
    }
    assert got["queues"]["B"]["issued"] == 1 and got["queues"]["A"]["issued"] == 2  # walk1 counts where it ended
    assert got["windows"]["1号窗口"]["no_shows"] == 1 and got["windows"]["2号窗口"]["finished"] == 1
    punctual = datetime.fromisoformat(numbers[ticket["id"]]["issued_at"]) <= datetime.fromisoformat(slot["start"])
    assert got["appointments"] == 1 and got["appointment_punctuality"] == (1.0 if punctual else 0.0)
    problem(zhangsan.get(f"/api/hall/v1/halls/{hall_id}/figures", params={"day": today.isoformat()}), 403)


def zhangsan_subject(person: Person) -> str:
    me = person.get("/api/identity/v1/me")
    assert me.status_code == 200, me.text
    return str(me.json()["id"])
