"""Rules of the registry: the documented system identifier, the scope an operation names."""

from __future__ import annotations

from typing import Any

from exchange.errors import InvalidIdentifier
from exchange.identifiers import SYSTEM_IDENTIFIER


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
