"""Opaque cursors: base64url JSON of the last row's sort key."""

from __future__ import annotations

import base64
import json
from typing import Any

from catalog.errors import InvalidCursor


def encode(key: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(key, separators=(",", ":")).encode()).decode().rstrip("=")


def decode(cursor: str | None, **fields: type) -> dict[str, Any] | None:
    """The key in ``cursor``, whose ``fields`` must have the given types; ``None`` without a cursor."""
    if not cursor:
        return None
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except ValueError as exc:
        raise InvalidCursor() from exc
    if not isinstance(key, dict) or any(type(key.get(f)) is not t for f, t in fields.items()):
        raise InvalidCursor()
    return key
