"""What a hall's screens (大屏) show: the calls in the order made and the waiting count per queue. Read from
the database, so a screen connected to any replica sees every replica's calls."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from hall.domain import Status
from hall.models import Call, HallQueue, Ticket

# A call's sequence number is taken before its transaction commits, so a later number can become visible
# first; the stream looks this far back and skips what it has sent.
LOOKBACK = 200


@dataclass(frozen=True)
class CallShown:
    seq: int
    number: str
    window: str
    call: int
    called_at: str

    def data(self) -> dict[str, object]:
        return {"number": self.number, "window": self.window, "call": self.call, "called_at": self.called_at}


async def calls_after(session: AsyncSession, *, hall_id: uuid.UUID, after: int, limit: int = 100) -> list[CallShown]:
    rows = await session.scalars(
        sa.select(Call).where(Call.hall_id == hall_id, Call.seq > after).order_by(Call.seq).limit(limit)
    )
    return [CallShown(c.seq, c.number, c.window_name, c.call, c.called_at.isoformat()) for c in rows]


async def last_calls(session: AsyncSession, *, hall_id: uuid.UUID, count: int = 8) -> list[CallShown]:
    rows = await session.scalars(sa.select(Call).where(Call.hall_id == hall_id).order_by(Call.seq.desc()).limit(count))
    return [CallShown(c.seq, c.number, c.window_name, c.call, c.called_at.isoformat()) for c in rows]


async def waiting_counts(session: AsyncSession, *, hall_id: uuid.UUID, day: date) -> dict[str, int]:
    rows = await session.execute(
        sa.select(HallQueue.code, sa.func.count(Ticket.id))
        .select_from(HallQueue)
        .outerjoin(
            Ticket,
            sa.and_(Ticket.queue_id == HallQueue.id, Ticket.status == Status.WAITING.value, Ticket.day == day),
        )
        .where(HallQueue.hall_id == hall_id)
        .group_by(HallQueue.code)
        .order_by(HallQueue.code)
    )
    return {code: int(n) for code, n in rows.all()}
