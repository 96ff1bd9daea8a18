"""A case's public status for the person a kiosk checked, from svc-application (``POST /v1/case-lookups``,
scope ``application.cases.lookup``), asked with the hall's own token (:mod:`hall.platform`). Application
answers only when the checked ID number is the case's applicant's."""

from __future__ import annotations

from pydantic import ValidationError

from hall.kiosks.schemas import CaseStatus
from hall.platform import Platform, PlatformCallFailed

SCOPE = "application.cases.lookup"


async def status_for(platform: Platform, *, tracking_number: str, id_number: str) -> CaseStatus | None:
    """The case's public status if the person with ``id_number`` applied for it, else ``None``."""
    resp = await platform.post(
        "application",
        "/v1/case-lookups",
        scope=SCOPE,
        json={"tracking_number": tracking_number, "id_number": id_number},
    )
    if resp.status_code in (404, 422):
        return None
    if resp.status_code != 200:
        raise PlatformCallFailed(f"application answered the case lookup with {resp.status_code}")
    try:
        return CaseStatus.model_validate_json(resp.content)
    except ValidationError as exc:
        raise PlatformCallFailed("application's case lookup answer was not understood") from exc
