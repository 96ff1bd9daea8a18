"""Bodies of upward batches."""

from __future__ import annotations

import uuid
from typing import Literal

from pydantic import BaseModel

from gov_common.http import AwareDateTime

Dataset = Literal["item", "case_accept", "case_process", "case_result", "rating", "license"]


class BatchRead(BaseModel):
    batch_id: uuid.UUID
    created_at: AwareDateTime
    count: int
    adapter: str
    receipt: str | None
