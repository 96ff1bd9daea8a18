from __future__ import annotations

import uuid
from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from gov_common.http import AwareDateTime
from gov_common.pagination import IsoDate


class ReconciliationRun(BaseModel):
    model_config = ConfigDict(extra="forbid")

    channel: str = Field(default="sandbox", min_length=1, max_length=32)
    business_date: IsoDate


class ItemRead(BaseModel):
    kind: Literal["missing", "extra", "mismatched"]
    entry_kind: Literal["pay", "refund"]
    reference: str
    order_id: uuid.UUID | None
    department: str | None
    region: str | None
    ledger_amount_fen: int | None
    statement_amount_fen: int | None


class DepartmentTotal(BaseModel):
    """What one department collected through the channel that day, as booked (a combined payment's trade is
    split here into its orders' departments)."""

    department: str
    region: str
    paid_fen: int
    refunded_fen: int
    entries: int


class ReportRead(BaseModel):
    """The day's report; ``visible_differences`` lists only the differences the reader's scope covers."""

    id: uuid.UUID
    channel: str
    business_date: date
    created_at: AwareDateTime
    created_by: str
    statement_rows: int
    ledger_rows: int
    matched: int
    statement_total_fen: int
    ledger_total_fen: int
    differences: int = Field(description="how many differences the day has (the reader may see fewer)")
    visible_differences: list[ItemRead]
    by_department: list[DepartmentTotal] = Field(
        description="the day's booked money per collecting department (the reader's scope only)"
    )
