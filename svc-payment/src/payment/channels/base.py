"""The interface every channel adapter implements. An adapter talks to its provider over the network
and returns verified facts; it never touches our database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal, Protocol

from payment.domain import Entry

TradeStatus = Literal["waiting", "paid", "closed", "failed", "unknown"]


@dataclass(frozen=True)
class TradeCreated:
    trade_no: str
    pay_url: str


@dataclass(frozen=True)
class TradeState:
    """A trade as the channel reports it, signature already verified."""

    out_trade_no: str
    trade_no: str | None
    status: TradeStatus
    amount_fen: int | None
    currency: str | None
    paid_at: datetime | None


@dataclass(frozen=True)
class Notification(TradeState):
    notify_id: str = ""
    merchant_id: str = ""


@dataclass(frozen=True)
class RefundResult:
    out_refund_no: str
    refund_no: str
    amount_fen: int


class ChannelError(Exception):
    """The channel did not answer, or answered something we cannot trust."""


class NotificationRejected(Exception):
    """A notification that must change nothing: bad signature, wrong merchant, malformed."""

    def __init__(self, reason: str, out_trade_no: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.out_trade_no = out_trade_no


class ChannelAdapter(Protocol):
    name: str

    async def create_trade(
        self, *, out_trade_no: str, amount_fen: int, subject: str, notify_url: str, return_url: str
    ) -> TradeCreated: ...

    async def query(self, out_trade_no: str) -> TradeState: ...

    async def close(self, out_trade_no: str) -> TradeState:
        """Close an unpaid trade so that it can no longer be paid; returns the final state (which is
        ``paid`` when the payment won the race)."""
        ...

    async def refund(self, *, out_trade_no: str, out_refund_no: str, amount_fen: int) -> RefundResult:
        """Refund; the same ``out_refund_no`` twice refunds once."""
        ...

    async def statement(self, day: date) -> list[Entry]:
        """The channel's verified statement of one settlement day."""
        ...

    def parse_notification(self, body: bytes) -> Notification:
        """Verify and read an asynchronous notification; raises :class:`NotificationRejected`."""
        ...

    async def aclose(self) -> None: ...
