"""Events svc-identity publishes on ``gov.identity.users`` (subject = account id). No raw ID number or phone
number ever travels: only the account id and masked values."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import AwareDatetime

from gov_contracts.base import Event


class _UserEvent(Event):
    topic: ClassVar[str] = "gov.identity.users"
    publisher: ClassVar[str] = "/svc-identity"
    subject_field: ClassVar[str] = "account_id"


class UserRegistered(_UserEvent):
    """``identity.user.registered``: an account was created."""

    type: ClassVar[str] = "identity.user.registered"

    account_id: str
    kind: Literal["citizen", "staff"]
    assurance_level: int
    id_number_masked: str | None = None
    phone_masked: str | None = None
    region: str | None = None
    department: str | None = None
    roles: tuple[str, ...] = ()
    registered_at: AwareDatetime


class UserVerified(_UserEvent):
    """``identity.user.verified``: the account's assurance level rose (2 base data, 3 in person)."""

    type: ClassVar[str] = "identity.user.verified"

    account_id: str
    assurance_level: Literal[2, 3]
    method: Literal["population_base_data", "in_person"]
    verified_by: str | None = None  # the staff account for in-person checks
    verified_at: AwareDatetime
