"""Audit trail: logins, failures, lockouts, role and scope changes, key rotation. Rows carry account ids
and client ids, never ID numbers, phone numbers or passwords."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from identity.models import AuditEvent


async def record(
    session: AsyncSession,
    action: str,
    *,
    actor: str | None = None,
    target: str | None = None,
    client_id: str | None = None,
    source_address: str | None = None,
    **details: Any,
) -> None:
    session.add(
        AuditEvent(
            action=action,
            actor=actor,
            target=target,
            client_id=client_id,
            source_address=source_address,
            details=details,
        )
    )
