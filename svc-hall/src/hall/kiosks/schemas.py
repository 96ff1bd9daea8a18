from __future__ import annotations

import uuid
from datetime import date
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from gov_common.http import AwareDateTime
from hall.tickets.schemas import CheckIn, TicketCreate, TicketRead


class KioskCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    client_id: str = Field(
        min_length=3, max_length=200, pattern=r"^[A-Za-z0-9._-]+$", description="its client at identity"
    )
    name: str = Field(min_length=1, max_length=100)


class KioskRead(BaseModel):
    id: uuid.UUID
    hall_id: uuid.UUID
    client_id: str
    name: str
    active: bool
    registered_at: AwareDateTime


class RealName(BaseModel):
    model_config = ConfigDict(extra="forbid")
    method: Literal["id_card", "face"]
    id_number: str = Field(pattern=r"^\d{17}[\dX]$", description="read from the card; never stored")
    evidence: str | None = Field(default=None, max_length=4000, description="the face-match provider's token")


class KioskTicketCreate(TicketCreate):
    real_name: RealName | None = None


class KioskCheckIn(CheckIn):
    real_name: RealName


class KioskTicket(BaseModel):
    ticket: TicketRead
    real_name_method: str | None


class KioskCaseLookup(BaseModel):
    """The tracking number (办件编号) the person gives and the real-name check of that person."""

    model_config = ConfigDict(extra="forbid")
    tracking_number: str = Field(pattern=r"^\d{20}$", description="the case's tracking number (办件编号)")
    real_name: RealName


class CaseHistoryEntry(BaseModel):
    status: str
    at: AwareDateTime


class CaseStatus(BaseModel):
    """The case's public status as application answers it (no personal data)."""

    tracking_number: str
    item_name: str
    department_name: str
    status: str
    submitted_at: AwareDateTime | None
    updated_at: AwareDateTime
    history: list[CaseHistoryEntry]
    case_id: str | None = Field(default=None, exclude=True)  # workflow's, for prints; never shown to the kiosk


class KioskCase(BaseModel):
    case: CaseStatus
    real_name_method: str


class KioskPerson(BaseModel):
    """The real-name check of the person in front of the kiosk (every request carries it: no session)."""

    model_config = ConfigDict(extra="forbid")
    real_name: RealName


class PrintableLicence(BaseModel):
    """A licence of the checked person, as certificates lists it for printing: no holder's name or number."""

    id: str
    type_name: str
    identifier: str
    issuer_name: str
    case_id: str | None = Field(exclude=True)  # workflow's: matched against a case look-up, never shown
    valid_from: date
    valid_until: date | None
    issued_at: AwareDateTime


class KioskLicences(BaseModel):
    items: list[PrintableLicence]
    next_cursor: str | None = Field(default=None, description="always null: a person's licences come whole")
    real_name_method: str


class KioskPrintAsk(KioskPerson):
    """What to print: one of the person's licences (by its id, from ``/v1/kiosk/licences``), or the result
    licence of a case the person applied for (by its tracking number)."""

    license_id: uuid.UUID | None = None
    tracking_number: str | None = Field(default=None, pattern=r"^\d{20}$", description="the case's 办件编号")

    @model_validator(mode="after")
    def _one_document(self) -> Self:
        if (self.license_id is None) == (self.tracking_number is None):
            raise ValueError("name either license_id or tracking_number")
        return self
