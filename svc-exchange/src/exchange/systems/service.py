"""Rules of the registry: the documented system identifier, the scope an operation names."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from exchange.errors import InvalidIdentifier
from exchange.identifiers import SYSTEM_IDENTIFIER
from exchange.models import ExternalSystem
from gov_common.auth import Principal


def parse_identifier(identifier: str) -> dict[str, str]:
    match = SYSTEM_IDENTIFIER.match(identifier)
    if not match:
        raise InvalidIdentifier(
            "expected <instance>/<level>/<member credit code>/<system>, e.g. GX/city/11450100MB1234567X/portal"
        )
    return match.groupdict()


def operation_scope(op: dict[str, Any]) -> str | None:
    """The one scope an OpenAPI operation names in its ``security`` (:func:`gov_common.auth.scoped`)."""
    named = [s for requirement in op.get("security", []) for s in requirement.get("oauth2", [])]
    return named[0] if len(named) == 1 else None


async def registered_system(session: Any, principal: Principal) -> ExternalSystem | None:
    if principal.kind != "system":
        return None
    client_id = principal.client_id or principal.subject
    system: ExternalSystem | None = await session.scalar(
        sa.select(ExternalSystem).where(ExternalSystem.client_id == client_id)
    )
    return system if system is not None and system.active else None
