"""Cursor pagination for every list: ``limit`` and an opaque ``cursor`` (base64url JSON of the last row's
sort key), so that a page boundary never shifts when rows are added; and the date and time types of list
filters."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Callable
from datetime import date, datetime
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel, BeforeValidator, ConfigDict

from gov_common.errors import ProblemError

Limit = Annotated[int, Query(ge=1, le=100, description="page size")]
Cursor = Annotated[str | None, Query(max_length=500, description="next_cursor of the previous page")]


def _iso_8601(value: Any) -> Any:
    """Pydantic reads a number (or a string of digits) as a Unix time: ``to=0`` would quietly mean 1970-01-01.
    Our dates and times are ISO 8601, as documented."""
    digits = value.strip().lstrip("+-").replace(".", "", 1) if isinstance(value, str) else ""
    if isinstance(value, int | float) or digits.isdigit():
        raise ValueError("give an ISO 8601 date or time, not a number")
    return value


IsoDate = Annotated[date, BeforeValidator(_iso_8601)]
IsoDateTime = Annotated[datetime, BeforeValidator(_iso_8601)]


T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    """The one shape of every list answer: ``items`` and the cursor of the next page (``null`` on the last
    page, and always for a short list the service answers whole)."""

    # Both always present in the answer (a client need not tell "absent" from null).
    model_config = ConfigDict(json_schema_serialization_defaults_required=True)

    items: list[T]
    next_cursor: str | None = None


class InvalidCursor(ProblemError):
    slug, status, title = "invalid-cursor", 400, "The cursor is not valid"


def encode_cursor(key: dict[str, Any]) -> str:
    """An opaque cursor for ``key`` (JSON values; datetimes and UUIDs as strings)."""
    raw = json.dumps(key, separators=(",", ":"), ensure_ascii=False, default=str).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None, **fields: Callable[[Any], Any]) -> dict[str, Any] | None:
    """The key in ``cursor``, each of ``fields`` read with its parser (``str`` and ``int`` demand that exact
    JSON type; others, e.g. ``datetime.fromisoformat`` or ``uuid.UUID``, convert); ``None`` without a cursor.
    Anything else raises :class:`InvalidCursor`."""
    if not cursor:
        return None
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if not isinstance(key, dict) or set(key) != set(fields):
            raise ValueError("unexpected cursor fields")
        out: dict[str, Any] = {}
        for name, parse in fields.items():
            value = key[name]
            if parse in (str, int):
                if type(value) is not parse:
                    raise ValueError(f"{name} has the wrong type")
                out[name] = value
            else:
                out[name] = parse(value)
        return out
    except (ValueError, TypeError, UnicodeDecodeError) as exc:
        raise InvalidCursor() from exc


def time_id_cursor(at: datetime, row_id: uuid.UUID) -> str:
    """The cursor after a row in a list ordered by (time, id), the usual keyset of our lists."""
    return encode_cursor({"t": at.isoformat(), "i": str(row_id)})


def read_time_id_cursor(cursor: str | None) -> tuple[datetime, uuid.UUID] | None:
    """The (time, id) in a cursor made by :func:`time_id_cursor`; ``None`` without one."""
    key = decode_cursor(cursor, t=_aware_time, i=uuid.UUID)
    return (key["t"], key["i"]) if key else None


def _aware_time(value: str) -> datetime:
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise ValueError("a cursor time needs its offset")
    return moment
