"""The sandbox channel: its own keys, its own (in-memory) state, a pay page that works without
JavaScript, asynchronous signed notifications delivered over HTTP with retries, duplicates and stale
copies out of order, a query API, refunds and a daily statement file.

Merchants sign their requests with HMAC-SHA256 over the canonical string; the channel signs every answer,
notification and statement with its Ed25519 key. Tests reach in through the attributes marked
"test hook" to make it misbehave the way real providers sometimes do.
"""

from __future__ import annotations

import asyncio
import csv
import html
import io
import json
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import httpx
from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from gov_standards.china_time import utcnow
from payment.domain import business_date
from payment.signing import ed25519_sign, ed25519_sign_bytes, hmac_verify, private_key

log = logging.getLogger(__name__)

PREFIX = "/sandbox-channel"


@dataclass
class SandboxRefund:
    out_refund_no: str
    refund_no: str
    amount_fen: int
    at: datetime


@dataclass
class SandboxTrade:
    trade_no: str
    merchant_id: str
    out_trade_no: str
    amount_fen: int
    subject: str
    notify_url: str
    return_url: str
    status: str = "WAIT_BUYER_PAY"  # -> TRADE_SUCCESS | TRADE_CLOSED | TRADE_FAILED
    created_at: datetime = field(default_factory=utcnow)
    paid_at: datetime | None = None
    refunds: dict[str, SandboxRefund] = field(default_factory=dict)


class SandboxChannel:
    def __init__(
        self,
        *,
        signing_seed: str,
        merchants: dict[str, str],
        public_url: str,
        notify_retries: int = 6,
        notify_backoff_seconds: float = 0.5,
        duplicate_notifications: int = 2,
    ) -> None:
        self.key = private_key(signing_seed)
        self.merchants = merchants
        self.public_url = public_url.rstrip("/")
        self.notify_retries = notify_retries
        self.notify_backoff_seconds = notify_backoff_seconds
        self.trades: dict[tuple[str, str], SandboxTrade] = {}
        self._lock = asyncio.Lock()
        self._tasks: set[asyncio.Task[None]] = set()
        self._client: httpx.AsyncClient | None = None
        # Test hooks.
        self.deliver_notifications = True
        self.duplicate_notifications = duplicate_notifications
        self.stale_notification_after = True  # also send an old WAIT_BUYER_PAY notice after the success one
        self.statement_tamper: Callable[[list[dict[str, Any]]], list[dict[str, Any]]] | None = None
        self.notifications_sent = 0

    # ---- money movements -------------------------------------------------------------------------

    def _by_trade_no(self, trade_no: str) -> SandboxTrade | None:
        return next((t for t in self.trades.values() if t.trade_no == trade_no), None)

    async def pay(self, trade_no: str) -> SandboxTrade | None:
        """The payer confirmed on the pay page; returns the trade, or None when it cannot be paid."""
        async with self._lock:
            trade = self._by_trade_no(trade_no)
            if trade is None or trade.status != "WAIT_BUYER_PAY":
                return None
            trade.status, trade.paid_at = "TRADE_SUCCESS", utcnow()
        self.notify(trade)
        return trade

    async def decline(self, trade_no: str) -> SandboxTrade | None:
        async with self._lock:
            trade = self._by_trade_no(trade_no)
            if trade is None or trade.status != "WAIT_BUYER_PAY":
                return None
            trade.status = "TRADE_FAILED"
        self.notify(trade)
        return trade

    # ---- notifications ---------------------------------------------------------------------------

    def notification(self, trade: SandboxTrade, status: str | None = None) -> dict[str, Any]:
        fields: dict[str, Any] = {
            "notify_id": secrets.token_hex(16),
            "notify_type": "trade_status_sync",
            "notify_time": utcnow().isoformat(),
            "merchant_id": trade.merchant_id,
            "out_trade_no": trade.out_trade_no,
            "trade_no": trade.trade_no,
            "trade_status": status or trade.status,
            "amount_fen": trade.amount_fen,
            "currency": "CNY",
            "paid_at": trade.paid_at.isoformat()
            if trade.paid_at and (status or trade.status) == "TRADE_SUCCESS"
            else "",
            "sign_type": "ED25519",
        }
        fields["sign"] = ed25519_sign(fields, self.key)
        return fields

    def notify(self, trade: SandboxTrade) -> None:
        """Deliver the trade's new state asynchronously (several times; maybe a stale copy later)."""
        if not self.deliver_notifications:
            return
        bodies = [self.notification(trade) for _ in range(max(1, self.duplicate_notifications))]
        if self.stale_notification_after and trade.status == "TRADE_SUCCESS":
            bodies.append(self.notification(trade, "WAIT_BUYER_PAY"))
        for body in bodies:
            task = asyncio.create_task(self._deliver(trade.notify_url, body))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _deliver(self, url: str, body: dict[str, Any]) -> None:
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=5)
        for attempt in range(self.notify_retries):
            try:
                resp = await self._client.post(url, json=body)
                self.notifications_sent += 1
                if resp.status_code == 200 and resp.json().get("code") == "SUCCESS":
                    return
            except (httpx.HTTPError, ValueError) as exc:
                log.info("sandbox notification to %s failed (attempt %d): %s", url, attempt + 1, exc)
            await asyncio.sleep(self.notify_backoff_seconds * 2**attempt)

    async def wait_idle(self, timeout: float = 10) -> None:
        """Wait until every notification in flight is delivered or given up (tests)."""
        if self._tasks:
            await asyncio.wait_for(asyncio.gather(*list(self._tasks), return_exceptions=True), timeout)

    async def aclose(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    # ---- statement -------------------------------------------------------------------------------

    def statement_rows(self, merchant_id: str, day: date) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        for trade in self.trades.values():
            if trade.merchant_id != merchant_id:
                continue
            if trade.paid_at is not None and business_date(trade.paid_at) == day:
                rows.append(
                    {
                        "type": "PAY",
                        "reference": trade.out_trade_no,
                        "trade_no": trade.trade_no,
                        "amount_fen": trade.amount_fen,
                        "currency": "CNY",
                        "time": trade.paid_at.isoformat(),
                    }
                )
            for refund in trade.refunds.values():
                if business_date(refund.at) == day:
                    rows.append(
                        {
                            "type": "REFUND",
                            "reference": refund.out_refund_no,
                            "trade_no": refund.refund_no,
                            "amount_fen": refund.amount_fen,
                            "currency": "CNY",
                            "time": refund.at.isoformat(),
                        }
                    )
        rows.sort(key=lambda r: str(r["time"]))
        return self.statement_tamper(rows) if self.statement_tamper else rows

    # ---- HTTP ------------------------------------------------------------------------------------

    def _answer(self, fields: dict[str, Any], status: int = 200) -> JSONResponse:
        fields = {**fields, "sign_type": "ED25519"}
        fields["sign"] = ed25519_sign(fields, self.key)
        return JSONResponse(fields, status_code=status)

    def _authenticate(self, fields: dict[str, Any]) -> str | None:
        merchant_id = str(fields.get("merchant_id", ""))
        key = self.merchants.get(merchant_id)
        return merchant_id if key is not None and hmac_verify(fields, key) else None

    def _state(self, trade: SandboxTrade) -> dict[str, Any]:
        return {
            "code": "SUCCESS",
            "out_trade_no": trade.out_trade_no,
            "trade_no": trade.trade_no,
            "trade_status": trade.status,
            "amount_fen": trade.amount_fen,
            "currency": "CNY",
            "paid_at": trade.paid_at.isoformat() if trade.paid_at else "",
        }

    def router(self) -> APIRouter:
        router = APIRouter(prefix=PREFIX, tags=["sandbox channel"], include_in_schema=False)

        async def signed_request(request: Request) -> tuple[str | None, dict[str, Any]]:
            try:
                fields = json.loads(await request.body())
            except ValueError:
                return None, {}
            if not isinstance(fields, dict):
                return None, {}
            return self._authenticate(fields), fields

        @router.post("/gateway/trade.create")
        async def create(request: Request) -> Response:
            merchant, f = await signed_request(request)
            if merchant is None:
                return self._answer({"code": "INVALID_SIGNATURE"}, 401)
            try:
                amount = int(f["amount_fen"])
                out_trade_no = str(f["out_trade_no"])
                notify_url, return_url = str(f["notify_url"]), str(f["return_url"])
            except (KeyError, ValueError):
                return self._answer({"code": "INVALID_PARAMETER"}, 400)
            if amount <= 0 or f.get("currency", "CNY") != "CNY":
                return self._answer({"code": "INVALID_PARAMETER"}, 400)
            async with self._lock:
                trade = self.trades.get((merchant, out_trade_no))
                if trade is not None and trade.status in ("TRADE_SUCCESS", "TRADE_CLOSED"):
                    return self._answer({"code": "TRADE_HAS_FINISHED", "trade_status": trade.status}, 409)
                if trade is not None and trade.status == "WAIT_BUYER_PAY" and trade.amount_fen != amount:
                    return self._answer({"code": "OUT_TRADE_NO_USED"}, 409)
                if trade is None or trade.status == "TRADE_FAILED":
                    trade = SandboxTrade(
                        trade_no="SBX" + secrets.token_hex(12).upper(),
                        merchant_id=merchant,
                        out_trade_no=out_trade_no,
                        amount_fen=amount,
                        subject=str(f.get("subject", ""))[:128],
                        notify_url=notify_url,
                        return_url=return_url,
                    )
                    self.trades[(merchant, out_trade_no)] = trade
            return self._answer(
                {"code": "SUCCESS", "trade_no": trade.trade_no, "pay_url": f"{self.public_url}/pay/{trade.trade_no}"}
            )

        @router.post("/gateway/trade.query")
        async def query(request: Request) -> Response:
            merchant, f = await signed_request(request)
            if merchant is None:
                return self._answer({"code": "INVALID_SIGNATURE"}, 401)
            trade = self.trades.get((merchant, str(f.get("out_trade_no"))))
            if trade is None:
                return self._answer({"code": "TRADE_NOT_EXIST", "out_trade_no": str(f.get("out_trade_no"))}, 404)
            return self._answer(self._state(trade))

        @router.post("/gateway/trade.close")
        async def close(request: Request) -> Response:
            merchant, f = await signed_request(request)
            if merchant is None:
                return self._answer({"code": "INVALID_SIGNATURE"}, 401)
            async with self._lock:
                trade = self.trades.get((merchant, str(f.get("out_trade_no"))))
                if trade is None:
                    return self._answer({"code": "TRADE_NOT_EXIST", "out_trade_no": str(f.get("out_trade_no"))}, 404)
                if trade.status in ("WAIT_BUYER_PAY", "TRADE_FAILED"):
                    trade.status = "TRADE_CLOSED"
            return self._answer(self._state(trade))

        @router.post("/gateway/trade.refund")
        async def refund(request: Request) -> Response:
            merchant, f = await signed_request(request)
            if merchant is None:
                return self._answer({"code": "INVALID_SIGNATURE"}, 401)
            try:
                amount, out_refund_no = int(f["refund_fen"]), str(f["out_refund_no"])
            except (KeyError, ValueError):
                return self._answer({"code": "INVALID_PARAMETER"}, 400)
            async with self._lock:
                trade = self.trades.get((merchant, str(f.get("out_trade_no"))))
                if trade is None or trade.status != "TRADE_SUCCESS":
                    return self._answer({"code": "TRADE_NOT_PAID"}, 409)
                done = trade.refunds.get(out_refund_no)
                if done is None:
                    if amount <= 0 or amount > trade.amount_fen - sum(r.amount_fen for r in trade.refunds.values()):
                        return self._answer({"code": "REFUND_AMOUNT_EXCEEDED"}, 409)
                    done = SandboxRefund(out_refund_no, "SBR" + secrets.token_hex(12).upper(), amount, utcnow())
                    trade.refunds[out_refund_no] = done
            return self._answer(
                {
                    "code": "SUCCESS",
                    "out_refund_no": done.out_refund_no,
                    "refund_no": done.refund_no,
                    "refund_fen": done.amount_fen,
                }
            )

        @router.get("/gateway/statement")
        async def statement(request: Request) -> Response:
            fields = dict(request.query_params)
            merchant = self._authenticate(fields)
            if merchant is None:
                return self._answer({"code": "INVALID_SIGNATURE"}, 401)
            try:
                day = date.fromisoformat(fields.get("date", ""))
            except ValueError:
                return self._answer({"code": "INVALID_PARAMETER"}, 400)
            out = io.StringIO()
            writer = csv.DictWriter(
                out, fieldnames=["type", "reference", "trade_no", "amount_fen", "currency", "time"], lineterminator="\n"
            )
            writer.writeheader()
            writer.writerows(self.statement_rows(merchant, day))
            body = out.getvalue().encode()
            return Response(
                body,
                media_type="text/csv; charset=utf-8",
                headers={
                    "X-Sandbox-Signature": ed25519_sign_bytes(body, self.key),
                    "Content-Disposition": f'attachment; filename="statement-{merchant}-{day}.csv"',
                },
            )

        @router.get("/pay/{trade_no}", response_class=HTMLResponse)
        async def pay_page(trade_no: str) -> HTMLResponse:
            trade = self._by_trade_no(trade_no)
            if trade is None:
                return HTMLResponse("<!doctype html><title>Not found</title><p>No such trade.</p>", 404)
            yuan = f"{trade.amount_fen // 100}.{trade.amount_fen % 100:02d}"
            # Relative, so the form posts back to wherever the browser reached the page (the gateway's path).
            action = html.escape(trade.trade_no)
            payable = trade.status == "WAIT_BUYER_PAY"
            buttons = (
                '<button name="action" value="pay">确认支付 Pay</button> '
                '<button name="action" value="decline">取消 Decline</button>'
                if payable
                else f"<p>Status: {html.escape(trade.status)}</p>"
            )
            page = (
                '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>Sandbox checkout</title></head>'
                f"<body><h1>沙箱收银台 Sandbox checkout</h1><p>{html.escape(trade.subject)}</p>"
                f"<p>Amount: ¥{yuan} (CNY)</p><p>Trade: {html.escape(trade.trade_no)}</p>"
                f'<form method="post" action="{action}">{buttons}</form></body></html>'
            )
            return HTMLResponse(page)

        @router.post("/pay/{trade_no}")
        async def pay_submit(trade_no: str, action: str = Form(...)) -> Response:
            trade = self._by_trade_no(trade_no)
            if trade is None:
                return HTMLResponse("<!doctype html><title>Not found</title><p>No such trade.</p>", 404)
            done = await (self.pay(trade_no) if action == "pay" else self.decline(trade_no))
            if done is None:
                return HTMLResponse("<!doctype html><title>Closed</title><p>This trade cannot be paid.</p>", 409)
            return RedirectResponse(trade.return_url, status_code=303)

        return router
