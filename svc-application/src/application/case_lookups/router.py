"""A case looked up for the person in front of a hall kiosk (自助终端查询办件): the hall service, a platform
system with ``application.cases.lookup``, sends the tracking number and the ID number the kiosk's real-name
check read; the answer is the public status (no personal data), and only when that person is the case's
applicant: the last four characters we keep must match, then identity's ID number of the applicant's
account (``identity.holder.read``) must equal it. A wrong person, an unknown number, an enterprise's case or
a hall case without an account all get the same 404. The ID number is compared, never kept or logged."""

from __future__ import annotations

import hmac
from typing import Annotated

import sqlalchemy as sa
from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field, field_validator

from application.applications import service
from application.applications.schemas import HistoryEntry, PublicStatus
from application.case_lookups.holders import HolderSettings, IdentityHolders
from application.deps import get_context
from application.domain import ID_NUMBER_RE, id_tail, is_tracking_number
from application.models import Application
from gov_common.auth import Principal, scoped
from gov_common.deps import ReadSessionDep
from gov_common.errors import Forbidden, NotFound
from gov_standards.identifiers import parse_id_number

SCOPE = "application.cases.lookup"
router = APIRouter(prefix="/v1", tags=["case lookups"])
System = Annotated[Principal, scoped(SCOPE)]


class CaseNotMatched(NotFound):
    slug, title = "case-not-matched", "No case with this tracking number has this person as its applicant"


class LookedUpCase(PublicStatus):
    """The public status, and for the hall service the case's id at workflow (what certificates names a
    licence's case by), so that its kiosk prints the case's result licence for the applicant."""

    case_id: str | None = Field(description="the case at workflow; null until accepted")


class CaseLookup(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    tracking_number: str = Field(min_length=20, max_length=20)
    id_number: str = Field(pattern=ID_NUMBER_RE.pattern, description="as the kiosk's real-name check read it")

    @field_validator("id_number")
    @classmethod
    def _a_real_id_number(cls, value: str) -> str:
        return parse_id_number(value).value


def holders_of(request: Request) -> IdentityHolders:
    """The identity client of this app (tests put their own on ``app.state.case_lookup_holders``)."""
    holders: IdentityHolders | None = getattr(request.app.state, "case_lookup_holders", None)
    if holders is None:
        settings = get_context(request).settings
        fields = HolderSettings.model_fields
        holders = IdentityHolders(HolderSettings(**{name: getattr(settings, name) for name in fields}))
        request.app.state.case_lookup_holders = holders
    return holders


@router.post(
    "/case-lookups",
    response_model=LookedUpCase,
    summary="A case's public status for the person a hall kiosk checked (platform systems; 404 unless the applicant)",
)
async def look_up(lookup: CaseLookup, request: Request, session: ReadSessionDep, system: System) -> LookedUpCase:
    if system.kind != "system":
        raise Forbidden("this operation is for platform systems")
    app = None
    if is_tracking_number(lookup.tracking_number):
        query = sa.select(Application).where(Application.tracking_number == lookup.tracking_number)
        app = await session.scalar(query)
    if (
        app is None
        or app.applicant_kind != "citizen"
        or not app.applicant_subject
        or not hmac.compare_digest(app.id_tail, id_tail(lookup.id_number))
    ):
        raise CaseNotMatched()
    if not await holders_of(request).holds(app.applicant_subject, lookup.id_number):
        raise CaseNotMatched()
    history = await service.history_of(session, app.id)
    return LookedUpCase(
        tracking_number=lookup.tracking_number,
        case_id=app.case_id,
        item_name=app.item_name,
        department_name=app.department_name,
        status=app.status,
        submitted_at=app.submitted_at,
        updated_at=app.updated_at,
        history=[HistoryEntry(status=h.to_status, at=h.at) for h in history if h.to_status != "draft"],
    )
