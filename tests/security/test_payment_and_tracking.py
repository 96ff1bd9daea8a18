"""Issue 15, finding 7 (payment's part: agents exceed their grant) and finding 10's payment items (system
clients read and create orders province-wide; the sandbox channel's signing seed is a constant) and its
application item (public tracking guarded by 4 public characters while tracking numbers are sequential).

These are attacks on svc-payment's and svc-application's own rules, so each service runs in-process on
PostgreSQL (no gateway involved; payment on a loopback port, as its sandbox channel calls it back).

Each test is one attack and the platform's answer."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import ValidationError

from application.consumers import ITEMS
from application.main import create_app as create_application_app
from application.settings import Settings as ApplicationSettings
from gov_common.events import CloudEvent
from gov_common.testing import TestIssuer, free_port, serve_lifespan, serve_on_port
from gov_contracts.catalog import ItemDefinition
from gov_contracts.testing import envelope, implementation_code, item_published
from payment.main import create_app as create_payment_app
from payment.sandbox.keys import sandbox_keys
from payment.settings import Settings as PaymentSettings
from payment.signing import ed25519_sign, private_key

NANNING, LIUZHOU = "450100", "450200"
DEPT = "11450100MBQH0Y21QM"  # Nanning market regulation
FIRM, FIRM_NAME = "91450100MA5K9X2B3J", "南宁示例科技有限公司"
OTHER_FIRM = "91450100MA5KYYYY2Y"
PROBLEM = "application/problem+json"
# The sandbox channel's signing seed as it was written in the code (payment.settings, before the fix).
OLD_CONSTANT_SEED = "c2FuZGJveC1jaGFubmVsLWRldmVsb3BtZW50LXNlZWQ="


# ---------------------------------------------------------------- svc-payment


@dataclass
class Payment:
    client: httpx.AsyncClient
    issuer: TestIssuer
    app: Any

    def person(self, subject: str, *, enterprise: str | None = None, **kwargs: Any) -> dict[str, str]:
        """A citizen's token, or with ``enterprise`` a token acting for that enterprise (its default grant)."""
        if enterprise is None:
            return self.issuer.headers(subject, kind="citizen", **kwargs)
        return self.issuer.headers(subject, kind="enterprise", enterprise=enterprise, **kwargs)

    def system(self, subject: str, *, region: str | None = None) -> dict[str, str]:
        scopes = ["payment.orders.read", "payment.orders.write"]
        return self.issuer.headers(subject, kind="system", scopes=scopes, region=region)

    async def create_order(
        self, applicant: dict[str, Any], *, region: str = NANNING, headers: dict[str, str] | None = None
    ) -> httpx.Response:
        case = uuid.uuid4().hex[:12]
        body = {
            "case_id": f"case-{case}",
            "application_id": f"app-{case}",
            "tracking_number": f"{region}20261203{case[:6]}",
            "item_code": "000112004000-450100",
            "applicant": applicant,
            "department": DEPT,
            "region": region,
            "lines": [{"code": "F01", "name": "工本费", "amount_fen": 1000, "legal_basis": "桂价费"}],
        }
        workflow = headers or self.system("svc-workflow")  # the province's workflow: no region of its own
        return await self.client.post(
            "/v1/orders", json=body, headers={**workflow, "Idempotency-Key": uuid.uuid4().hex}
        )

    async def order(self, applicant: dict[str, Any], **kwargs: Any) -> str:
        resp = await self.create_order(applicant, **kwargs)
        assert resp.status_code == 201, resp.text
        return str(resp.json()["id"])

    async def status(self, order_id: str) -> str:
        resp = await self.client.get(f"/v1/orders/{order_id}", headers=self.system("auditor"))
        assert resp.status_code == 200, resp.text
        return str(resp.json()["status"])

    def pay(self, order_id: str, headers: dict[str, str]) -> Any:
        return self.client.post(f"/v1/orders/{order_id}/payments", json={"channel": "sandbox"}, headers=headers)


@pytest.fixture
async def payment(pg_url: str, tmp_path: Path) -> AsyncIterator[Payment]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    settings = PaymentSettings(
        database_url=pg_url,
        data_dir=tmp_path,
        environment="test",
        sandbox_enabled=True,
        notify_base_url=base,
        return_url=f"{base}/done",
        sandbox_base_url=f"{base}/sandbox-channel",
        public_base_url=base,
        worker_enabled=False,
        log_json=False,
    )
    app = create_payment_app(settings)
    issuer = TestIssuer()
    issuer.install(app)
    async with serve_on_port(app, port) as url, httpx.AsyncClient(base_url=url, timeout=30) as client:
        yield Payment(client=client, issuer=issuer, app=app)


CITIZEN_1 = {"subject": "citizen-1", "kind": "citizen"}
FIRMS_ORDER = {"subject": "agent-1", "kind": "enterprise", "enterprise": FIRM}  # agent-1 applied for FIRM


async def test_another_citizens_order_is_unreadable_and_unpayable(payment: Payment) -> None:
    """A citizen reads, pays and cancels another citizen's order by its id: 404 each time (its existence
    is not confirmed), it is in none of their lists, and the order stays unpaid. (A guard: payment already
    refused this; its enterprise counterpart below did not hold.)"""
    oid = await payment.order(CITIZEN_1)
    stranger = payment.person("citizen-2")
    answers = [
        await payment.client.get(f"/v1/orders/{oid}", headers=stranger),
        await payment.client.get(f"/v1/orders/{oid}/receipt", headers=stranger),
        await payment.pay(oid, stranger),
        await payment.client.post(f"/v1/orders/{oid}/cancel", headers=stranger),
    ]
    assert [r.status_code for r in answers] == [404] * 4
    assert all(r.headers["content-type"] == PROBLEM for r in answers)
    assert (await payment.client.get("/v1/orders", headers=stranger)).json()["items"] == []
    assert await payment.status(oid) == "created"


async def test_an_order_belongs_to_the_enterprise_not_to_the_agent_who_applied(payment: Payment) -> None:
    """Payment used to recognise the applicant by subject alone. Now: another enterprise's agent neither
    reads nor pays the firm's order (404); the person who applied as the firm's agent, signed in for
    themself (their grant may have ended), neither (404); another agent of the firm, within the grant,
    reads and pays it."""
    oid = await payment.order(FIRMS_ORDER)
    for attacker in (payment.person("agent-9", enterprise=OTHER_FIRM), payment.person("agent-1")):
        assert (await payment.client.get(f"/v1/orders/{oid}", headers=attacker)).status_code == 404
        assert (await payment.pay(oid, attacker)).status_code == 404
        assert (await payment.client.get("/v1/orders", headers=attacker)).json()["items"] == []
    assert await payment.status(oid) == "created"

    colleague = payment.person("agent-2", enterprise=FIRM)
    seen = await payment.client.get(f"/v1/orders/{oid}", headers=colleague)
    assert seen.status_code == 200 and seen.json()["applicant"]["enterprise"] == FIRM
    assert [o["id"] for o in (await payment.client.get("/v1/orders", headers=colleague)).json()["items"]] == [oid]
    paid = await payment.pay(oid, colleague)
    assert paid.status_code == 200 and paid.json()["status"] == "pending"


async def test_an_agent_without_payment_orders_pay_cannot_pay(payment: Payment) -> None:
    """The representative granted an agent reading only (``payment.orders.read``): the agent's pay and
    cancel are refused with 403 ``insufficient_scope`` naming the scope, and the order is untouched. A
    citizen whose token lacks the scope is refused the same way."""
    oid = await payment.order(FIRMS_ORDER)
    reader = payment.person("agent-3", enterprise=FIRM, scopes=["payment.orders.read"])
    assert (await payment.client.get(f"/v1/orders/{oid}", headers=reader)).status_code == 200
    for refused in (
        await payment.pay(oid, reader),
        await payment.client.post(f"/v1/orders/{oid}/cancel", headers=reader),
    ):
        assert refused.status_code == 403 and refused.headers["content-type"] == PROBLEM
        assert refused.json()["type"].endswith(":insufficient-scope")
        assert 'scope="payment.orders.pay"' in refused.headers["www-authenticate"]
    assert await payment.status(oid) == "created"

    own = await payment.order(CITIZEN_1)
    no_pay = payment.person("citizen-1", scopes=["payment.orders.read"])
    assert (await payment.pay(own, no_pay)).status_code == 403
    assert await payment.status(own) == "created"


async def test_a_nanning_system_cannot_read_or_create_liuzhou_orders(payment: Payment) -> None:
    """A system client registered for Nanning (token claim ``region``) reads a Liuzhou order by its id
    (404), lists orders (Liuzhou's are not among them) and creates one in Liuzhou (403, nothing
    created); in Nanning it does all of that."""
    liuzhou = await payment.order(CITIZEN_1, region=LIUZHOU)
    nanning_system = payment.system("nanning-platform", region=NANNING)
    assert (await payment.client.get(f"/v1/orders/{liuzhou}", headers=nanning_system)).status_code == 404
    created = await payment.create_order(CITIZEN_1, region=LIUZHOU, headers=nanning_system)
    assert created.status_code == 403 and created.headers["content-type"] == PROBLEM
    every = await payment.client.get("/v1/orders", headers=payment.system("province"))
    assert [o["region"] for o in every.json()["items"]] == [LIUZHOU], "nothing was created"

    nanning = await payment.order(CITIZEN_1, headers=nanning_system)
    assert (await payment.client.get(f"/v1/orders/{nanning}", headers=nanning_system)).status_code == 200
    listed = await payment.client.get("/v1/orders", headers=nanning_system)
    assert [o["id"] for o in listed.json()["items"]] == [nanning]


async def test_a_notification_signed_with_the_old_constant_seed_pays_nothing(payment: Payment) -> None:
    """The sandbox's signing seed was a constant in the code: anyone could sign "paid" for any pending
    order. Now each installation makes its own; a notification signed with the old seed is rejected
    (400) and the order stays pending."""
    oid = await payment.order(CITIZEN_1)
    assert (await payment.pay(oid, payment.person("citizen-1"))).status_code == 200
    sandbox = payment.app.state.sandbox
    trade = next(t for t in sandbox.trades.values() if t.out_trade_no == oid.replace("-", ""))
    fields: dict[str, Any] = {
        "notify_id": uuid.uuid4().hex,
        "notify_type": "trade_status_sync",
        "notify_time": datetime.now(UTC).isoformat(),
        "merchant_id": trade.merchant_id,
        "out_trade_no": trade.out_trade_no,
        "trade_no": trade.trade_no,
        "trade_status": "TRADE_SUCCESS",
        "amount_fen": trade.amount_fen,
        "currency": "CNY",
        "paid_at": datetime.now(UTC).isoformat(),
        "sign_type": "ED25519",
    }
    fields["sign"] = ed25519_sign(fields, private_key(OLD_CONSTANT_SEED))
    forged = await payment.client.post("/v1/channels/sandbox/notify", json=fields)
    assert forged.status_code == 400 and forged.json()["type"].endswith(":invalid-notification")
    assert await payment.status(oid) == "pending"


def test_each_installation_has_its_own_sandbox_keys_and_production_runs_no_sandbox(tmp_path: Path) -> None:
    """Two installations share no sandbox key (and none is the old constant); an installation keeps its
    own across restarts; production refuses to start with the sandbox on, naming the setting."""
    first = sandbox_keys(PaymentSettings(data_dir=tmp_path / "a"))
    second = sandbox_keys(PaymentSettings(data_dir=tmp_path / "b"))
    assert first.signing_seed != second.signing_seed and first.merchant_key != second.merchant_key
    assert OLD_CONSTANT_SEED not in (first.signing_seed, second.signing_seed)
    assert sandbox_keys(PaymentSettings(data_dir=tmp_path / "a")) == first
    with pytest.raises(ValidationError, match="PAYMENT_SANDBOX_ENABLED"):
        PaymentSettings(environment="production", sandbox_enabled=True, data_dir=tmp_path)
    with pytest.raises(ValidationError, match="PAYMENT_SANDBOX_SIGNING_SEED"):
        PaymentSettings(sandbox_signing_seed="too-short", data_dir=tmp_path)


# ---------------------------------------------------------------- svc-application: public tracking


def _item() -> CloudEvent:
    """``catalog.item.published`` of an item an enterprise applies for online without materials."""
    definition = ItemDefinition.model_validate(
        {
            "basic_code": "000112004000",
            "name": "食品经营许可",
            "item_type": "01",
            "legal_basis": ["《中华人民共和国食品安全法》第三十五条"],
            "region": NANNING,
            "department": {"code": DEPT, "name": "南宁市市场监督管理局"},
            "service_object": "both",
            "time_limit": {"statutory_days": 20, "promised_days": 10},
            "materials": [{"name": "其他说明", "required": False}],
            "form_schema": {"type": "object", "properties": {"business_name": {"type": "string"}}},
            "process": {"steps": [{"kind": "accept", "name": "受理", "role": "acceptor", "share_percent": 100}]},
            "onsite_visits": 0,
            "online_stages": [1, 2, 3, 4, 5, 6, 7],
            "delivery": ["electronic"],
            "contact": {"consultation_phone": "0771-12345", "complaint_phone": "12345"},
        }
    )
    # fully online: no visit, every stage online (level IV, as catalog computes it)
    return envelope(
        item_published(definition, code=implementation_code(definition), online_level="IV", fully_online=True)
    )


@pytest.fixture
async def application(pg_url: str, tmp_path: Path) -> AsyncIterator[tuple[httpx.AsyncClient, TestIssuer, str]]:
    settings = ApplicationSettings(database_url=pg_url, data_dir=tmp_path, environment="test", log_json=False)
    app = create_application_app(settings)
    issuer = TestIssuer()
    issuer.install(app)
    async with serve_lifespan(app) as client:
        event = _item()
        async with app.state.runtime.db.transaction() as session:
            await ITEMS(session, event)
        yield client, issuer, event.subject


async def test_enterprise_tracking_cannot_be_enumerated(application: tuple[httpx.AsyncClient, TestIssuer, str]) -> None:
    """Tracking numbers are sequential (region, day, sequence: 办件编号) and the old check was the last 4
    characters of the enterprise's public credit code. An attacker holding the tracking number and those
    4 characters gets nothing (the check no longer exists); walking the neighbouring numbers with a
    guessed code gets the same 404 for taken and free numbers, then 429. Only the query code the
    applicant was given opens the progress, and the answer holds no personal data."""
    client, issuer, item = application
    agent = issuer.headers("agent-1", kind="enterprise", enterprise=FIRM)
    submitted = []
    for _ in range(2):
        resp = await client.post(
            "/v1/applications",
            json={
                "item_code": item,
                "applicant": {"name": FIRM_NAME},
                "form": {"business_name": "老友粉"},
                "submit": True,
            },
            headers={**agent, "Idempotency-Key": uuid.uuid4().hex},
        )
        assert resp.status_code == 201, resp.text
        submitted.append(resp.json())
    first, second = submitted
    assert int(second["tracking_number"]) == int(first["tracking_number"]) + 1, "sequential, as documented"
    number = second["tracking_number"]

    old_check = await client.get("/v1/status", params={"tracking_number": number, "check": FIRM[-4:]})
    assert old_check.status_code == 422 and old_check.headers["content-type"] == PROBLEM
    assert "食品经营许可" not in old_check.text
    code = second["query_code"]  # what the applicant was given with the number

    guess = "23456789"
    walk = [str(int(number) + step) for step in (-1, 1, 2, 3)]  # the first application and free numbers
    answers = [await client.get("/v1/status", params={"tracking_number": n, "query_code": guess}) for n in walk]
    assert [a.status_code for a in answers] == [404] * 4
    assert len({(a.json()["type"], a.json().get("detail")) for a in answers}) == 1

    opened = await client.get("/v1/status", params={"tracking_number": number, "query_code": code})
    assert opened.status_code == 200 and opened.json()["status"] == "submitted"
    for personal in (FIRM, FIRM[-4:], FIRM_NAME, "agent-1"):
        assert personal not in opened.text
    assert not {"applicant", "form", "id", "query_code"} & set(opened.json())

    # Per address (and per number) the attempts are limited: the guessing stops answering at all.
    limited = [
        (await client.get("/v1/status", params={"tracking_number": number, "query_code": guess})).status_code
        for _ in range(10)
    ]
    assert limited[-1] == 429 and 200 not in limited
    blocked = await client.get("/v1/status", params={"tracking_number": number, "query_code": code})
    assert blocked.status_code == 429 and blocked.headers["retry-after"] == "60"
