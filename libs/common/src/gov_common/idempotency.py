"""``Idempotency-Key`` on creating writes: the same key with the same body gets the first answer again;
the same key with another body is a 409. Where the first answer is kept is the service's choice (on the
created row, or a table of answers); this module gives the shared pieces."""

from __future__ import annotations

import hashlib
import json
from typing import Annotated, Any

from fastapi import Header

from gov_common.errors import Conflict, ProblemError

IdempotencyKey = Annotated[
    str | None,
    Header(alias="Idempotency-Key", max_length=200, description="repeat this create safely with the same key"),
]


class IdempotencyKeyRequired(ProblemError):
    slug, status, title = "idempotency-key-required", 400, "Send an Idempotency-Key header"


class IdempotencyKeyReused(Conflict):
    slug, title = "idempotency-key-reused", "This Idempotency-Key was used with another request"


def request_hash(body: Any) -> str:
    """A stable digest of a request body (key order and spacing do not matter)."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def check_replay(stored_hash: str | None, body_hash: str) -> None:
    """Raise :class:`IdempotencyKeyReused` unless the stored request had this body."""
    if stored_hash != body_hash:
        raise IdempotencyKeyReused()
