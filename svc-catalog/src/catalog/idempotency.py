"""``Idempotency-Key`` on creating writes: the same key and body from the same caller returns the first
result; the same key with another body is refused."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from catalog.errors import IdempotencyKeyReused


def request_hash(body: Any) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()


def check_replay(stored_hash: str | None, body_hash: str) -> None:
    if stored_hash != body_hash:
        raise IdempotencyKeyReused("this Idempotency-Key was used with a different request body")
