"""Case notices (受理通知书, 不予受理通知书, 补正材料通知书): listed per case and downloaded as sealed PDFs by the
case's applicant and by staff of the case's department in its region (and supervisors of the region); anyone
else finds none (an empty list, a 404), so that a notice's existence does not leak."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Response

from certificates.access import SCOPE_READ
from certificates.context import Context, get_context
from certificates.errors import NoticeNotFound
from certificates.models import Notice, SealKey
from certificates.notices import service
from certificates.notices.schemas import NoticeRead
from certificates.pdf import render_notice_pdf
from gov_common.attachments import attachment_headers, download_response
from gov_common.auth import Principal, scoped
from gov_common.deps import SessionDep
from gov_common.pagination import Page
from gov_common.policy import Applicant, acts_for_applicant, staff_in, supervisor_of

router = APIRouter(tags=["notices"])
CtxDep = Annotated[Context, Depends(get_context)]
Reader = Annotated[Principal, scoped(SCOPE_READ)]


def may_read(principal: Principal, notice: Notice) -> bool:
    applicant = Applicant(
        kind=notice.applicant_kind, subject=notice.applicant_subject, enterprise=notice.applicant_enterprise
    )
    return (
        acts_for_applicant(principal, applicant, scope=SCOPE_READ)
        or staff_in(principal, department=notice.department_code, region=notice.region)
        or supervisor_of(principal, notice.region)
    )


def verify_url(ctx: Context, notice: Notice) -> str:
    return f"{ctx.settings.public_base_url}/v1/verify/{notice.number}"


def notice_read(ctx: Context, notice: Notice) -> NoticeRead:
    doc = notice.document
    return NoticeRead(
        id=str(notice.id),
        number=notice.number,
        kind=notice.kind,
        title=str(doc["title"]),
        case_id=notice.case_id,
        application_id=notice.application_id,
        tracking_number=notice.tracking_number,
        department={"code": notice.department_code, "name": str(doc["issuer"]["name"])},
        issued_at=notice.issued_at,
        facts=dict(doc["facts"]),
        kid=notice.kid,
        signature=notice.sm2_signature,
        verify_url=verify_url(ctx, notice),
    )


@router.get(
    "/v1/cases/{case_id}/notices",
    response_model=Page[NoticeRead],
    summary="A case's sealed notices, oldest first (its applicant, staff of its department; one page)",
)
async def case_notices(case_id: uuid.UUID, session: SessionDep, ctx: CtxDep, principal: Reader) -> Page[NoticeRead]:
    found = await service.notices_of_case(session, str(case_id))
    return Page(items=[notice_read(ctx, n) for n in found if may_read(principal, n)])


@router.get(
    "/v1/notices/{notice_id}/pdf",
    response_class=Response,
    responses={200: download_response(["application/pdf"], "The notice as a sealed PDF, as a download")},
    summary="A notice as a PDF with the department's seal and a QR code to verification (same readers)",
)
async def notice_pdf(notice_id: uuid.UUID, session: SessionDep, ctx: CtxDep, principal: Reader) -> Response:
    notice = await session.get(Notice, notice_id)
    if notice is None or not may_read(principal, notice):
        raise NoticeNotFound()
    key = await session.get(SealKey, notice.kid)
    assert key is not None  # a foreign key
    pdf = render_notice_pdf(
        notice.document, verify_url=verify_url(ctx, notice), seal_token=service.seal_token(notice, key)
    )
    name = f"{notice.document['title']}-{notice.number}.pdf"
    return Response(pdf, media_type="application/pdf", headers=attachment_headers(name, media_type="application/pdf"))
