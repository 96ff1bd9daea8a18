"""Bodies of the access audit as owners and auditors read it."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from gov_common.http import AwareDateTime


class AuditEntryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    seq: int
    at: AwareDateTime
    request_id: str
    actor: str
    consumer_department: str | None
    dataset_code: str | None
    owner_department: str | None
    method: str
    path: str
    request_hash: str
    response_hash: str
    prev_hash: str
    hash: str


class AuditPage(BaseModel):
    items: list[AuditEntryRead]
    next_cursor: str | None


class ChainVerification(BaseModel):
    valid: bool
    entries: int
    broken_at: int | None
    head: str
