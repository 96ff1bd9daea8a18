"""Our adapter for the sandbox channel: signs requests with the merchant key, trusts only answers,
notifications and statements that carry the channel's Ed25519 signature."""

from __future__ import annotations

import csv
import io
import json
import secrets
from datetime import date, datetime
from typing import Any

import httpx

from payment.channels.base import (
    ChannelError,
    Notification,
    NotificationRejected,
    RefundResult,
    TradeCreated,
    TradeState,
    TradeStatus,
)
from payment.domain import Entry
from payment.signing import ed25519_verify, ed25519_verify_bytes, hmac_sign, public_key

_STATUS: dict[str, TradeStatus] = {
    "WAIT_BUYER_PAY": "waiting",
    "TRADE_SUCCESS": "paid",
    "TRADE_CLOSED": "closed",
    "TRADE_FAILED": "failed",
}


def _time(value: Any) -> datetime | None:
    if not value:
        return None
    moment = datetime.fromisoformat(str(value))
    if moment.tzinfo is None:
        raise ValueError("time without offset")
    return moment


class SandboxAdapter:
    name = "sandbox"

    def __init__(
        self,
        *,
        base_url: str,
        merchant_id: str,
        merchant_key: str,
        channel_public_key: str,
        timeout: float = 10.0,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.merchant_id = merchant_id
        self.merchant_key = merchant_key
        self.channel_key = public_key(channel_public_key)
        self._client = client or httpx.AsyncClient(timeout=timeout)

    async def aclose(self) -> None:
        await self._client.aclose()

    def _signed(self, fields: dict[str, Any]) -> dict[str, Any]:
        fields = {"merchant_id": self.merchant_id, "nonce": secrets.token_hex(8), **fields}
        fields["sign"] = hmac_sign(fields, self.merchant_key)
        return fields

    async def _call(self, method: str, fields: dict[str, Any], *, ok: tuple[int, ...] = (200,)) -> dict[str, Any]:
        try:
            resp = await self._client.post(f"{self.base_url}/gateway/{method}", json=self._signed(fields))
            answer = resp.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise ChannelError(f"sandbox {method} failed: {type(exc).__name__}") from exc
        if not isinstance(answer, dict) or not ed25519_verify(answer, self.channel_key):
            raise ChannelError(f"sandbox {method}: the answer is not signed by the channel")
        if resp.status_code not in ok:
            raise ChannelError(f"sandbox {method}: {answer.get('code')}")
        return answer

    def _state(self, answer: dict[str, Any], out_trade_no: str) -> TradeState:
        if answer.get("code") == "TRADE_NOT_EXIST":
            return TradeState(out_trade_no, None, "unknown", None, None, None)
        if answer.get("out_trade_no") != out_trade_no:
            raise ChannelError("sandbox answered about another trade")
        return TradeState(
            out_trade_no=out_trade_no,
            trade_no=str(answer["trade_no"]),
            status=_STATUS.get(str(answer.get("trade_status")), "unknown"),
            amount_fen=int(answer["amount_fen"]),
            currency=str(answer["currency"]),
            paid_at=_time(answer.get("paid_at")),
        )

    async def create_trade(
        self, *, out_trade_no: str, amount_fen: int, subject: str, notify_url: str, return_url: str
    ) -> TradeCreated:
        answer = await self._call(
            "trade.create",
            {
                "out_trade_no": out_trade_no,
                "amount_fen": amount_fen,
                "currency": "CNY",
                "subject": subject,
                "notify_url": notify_url,
                "return_url": return_url,
            },
        )
        return TradeCreated(trade_no=str(answer["trade_no"]), pay_url=str(answer["pay_url"]))

    async def query(self, out_trade_no: str) -> TradeState:
        return self._state(await self._call("trade.query", {"out_trade_no": out_trade_no}, ok=(200, 404)), out_trade_no)

    async def close(self, out_trade_no: str) -> TradeState:
        return self._state(await self._call("trade.close", {"out_trade_no": out_trade_no}, ok=(200, 404)), out_trade_no)

    async def refund(self, *, out_trade_no: str, out_refund_no: str, amount_fen: int) -> RefundResult:
        answer = await self._call(
            "trade.refund", {"out_trade_no": out_trade_no, "out_refund_no": out_refund_no, "refund_fen": amount_fen}
        )
        if answer.get("out_refund_no") != out_refund_no or int(answer["refund_fen"]) != amount_fen:
            raise ChannelError("sandbox refund answer does not match the request")
        return RefundResult(out_refund_no=out_refund_no, refund_no=str(answer["refund_no"]), amount_fen=amount_fen)

    async def statement(self, day: date) -> list[Entry]:
        params = self._signed({"date": day.isoformat()})
        try:
            resp = await self._client.get(f"{self.base_url}/gateway/statement", params=params)
        except httpx.HTTPError as exc:
            raise ChannelError(f"sandbox statement failed: {type(exc).__name__}") from exc
        signature = resp.headers.get("x-sandbox-signature", "")
        if resp.status_code != 200 or not ed25519_verify_bytes(resp.content, signature, self.channel_key):
            raise ChannelError("sandbox statement is missing or not signed by the channel")
        entries = []
        for row in csv.DictReader(io.StringIO(resp.content.decode())):
            kind = {"PAY": "pay", "REFUND": "refund"}.get(row["type"])
            if kind is None or row["currency"] != "CNY":
                raise ChannelError(f"sandbox statement has an unknown row type or currency: {row['type']}")
            entries.append(Entry(kind=kind, reference=row["reference"], amount_fen=int(row["amount_fen"])))
        return entries

    def parse_notification(self, body: bytes) -> Notification:
        try:
            fields = json.loads(body)
        except ValueError as exc:
            raise NotificationRejected("malformed body") from exc
        if not isinstance(fields, dict):
            raise NotificationRejected("malformed body")
        out_trade_no = fields.get("out_trade_no")
        out_trade_no = out_trade_no if isinstance(out_trade_no, str) else None
        if not ed25519_verify(fields, self.channel_key):
            raise NotificationRejected("bad signature", out_trade_no)
        if fields.get("merchant_id") != self.merchant_id:
            raise NotificationRejected("another merchant", out_trade_no)
        try:
            return Notification(
                out_trade_no=str(fields["out_trade_no"]),
                trade_no=str(fields["trade_no"]),
                status=_STATUS.get(str(fields.get("trade_status")), "unknown"),
                amount_fen=int(fields["amount_fen"]),
                currency=str(fields["currency"]),
                paid_at=_time(fields.get("paid_at")),
                notify_id=str(fields.get("notify_id", "")),
                merchant_id=str(fields["merchant_id"]),
            )
        except (KeyError, ValueError, TypeError) as exc:
            raise NotificationRejected("malformed fields", out_trade_no) from exc
