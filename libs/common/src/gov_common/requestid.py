"""Request ids: taken from ``X-Request-ID`` when the caller (the gateway) sent one, made up otherwise,
echoed on the response and available to logs through a context variable (gov_common.telemetry.RequestObserver
sets and echoes it for every request)."""

from __future__ import annotations

import logging
import re
import uuid
from contextvars import ContextVar

HEADER = "x-request-id"
_request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
_VALID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
access_log = logging.getLogger("gov.access")


def current_request_id() -> str | None:
    return _request_id.get()


def incoming_or_new(value: str | None) -> str:
    """The caller's request id when it is well-formed, a fresh one otherwise (ids end up in logs)."""
    if value and _VALID.match(value):
        return value
    return uuid.uuid4().hex
