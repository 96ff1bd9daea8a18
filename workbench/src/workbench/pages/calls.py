"""The workbench's calls to the platform (through the gateway, with the staff member's token) and who the
signed-in staff member is."""

from __future__ import annotations

import re
from typing import Any

from fastapi import Request

from gov_web.app import api, json_or_none, session_of

__all__ = ["BACK_RE", "UUID_RE", "api", "back_to", "json_or_none", "staff"]

UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
# Where a claim, release or action may send the staff member back to: the inbox or a case page.
BACK_RE = re.compile(r"^/(\?[\w%&=+.-]*)?$|^/cases/[0-9a-f-]{36}$")


async def staff(request: Request) -> dict[str, Any]:
    """The signed-in staff member's account (name, roles, department, region), read once per session."""
    ws = session_of(request)
    held = ws.get("staff")
    if isinstance(held, dict) and held.get("sub") == ws.subject:
        return held
    me = await json_or_none(request, "/api/identity/v1/me") or {}
    held = {
        "sub": ws.subject,
        "name": me.get("real_name") or me.get("username") or "",
        "username": me.get("username") or "",
        "roles": list(me.get("roles") or []),
        "department": me.get("department") or "",
        "region": me.get("region") or "",
    }
    ws.set("staff", held)
    return held


def back_to(value: object, default: str = "/") -> str:
    """A local page to return to after a form: the inbox (with its filters) or a case page."""
    return value if isinstance(value, str) and BACK_RE.match(value) else default
