"""Applications API: create (draft or at once), save the form, materials (upload or e-license), pre-review,
submit, supplement, withdraw, read and list; the public status query; the online-rate statistics."""

from __future__ import annotations

import base64
import logging
import uuid
from datetime import date, datetime, time, timedelta
from typing import Annotated, Any, Literal

import sqlalchemy as sa
from fastapi import APIRouter, File, Form, Query, Request, Response, UploadFile
from fastapi.responses import JSONResponse, StreamingResponse

from application import access
from application.applications import service
from application.applications.schemas import (
    ApplicantIn,
    ApplicantRead,
    ApplicationCreate,
    ApplicationPage,
    ApplicationRead,
    ApplicationSummary,
    ApplicationUpdate,
    HistoryEntry,
    ItemRead,
    LicenseMaterialIn,
    MaterialRead,
    OnlineRateReport,
    OnlineRateRow,
    PreReviewRead,
    PublicStatus,
    SubmitIn,
    SupplementIn,
    WithdrawIn,
)
from application.bundles import service as bundle_service
from application.case_lookups.holders import HolderUnresolved
from application.case_lookups.router import holders_of
from application.deps import ContextDep, bearer
from application.domain import QUERY_CODE_LENGTH, is_tracking_number, query_code_matches
from application.errors import (
    ApplicantInvalid,
    LicenseNotUsable,
    LicenseServiceUnavailable,
    MaterialContentMissing,
    MaterialHasNoFile,
    NotForYou,
    PartOfBundle,
    StatusCheckFailed,
    TooManyRequests,
)
from application.models import Application, IdempotencyRecord, Material
from gov_common import idempotency
from gov_common.attachments import attachment_headers, download_response
from gov_common.auth import Principal, PrincipalDep, scoped
from gov_common.deps import ReadSessionDep, SessionDep
from gov_common.errors import Forbidden, ServiceUnavailable
from gov_common.http import created
from gov_common.pagination import Cursor, IsoDate, Limit, Page, read_time_id_cursor, time_id_cursor
from gov_common.policy import admin_of, supervisor_of
from gov_standards.china_time import CHINA_TZ as CST
from gov_standards.regions import region_prefix

router = APIRouter(prefix="/v1", tags=["applications"])
log = logging.getLogger(__name__)


def material_read(m: Material) -> MaterialRead:
    return MaterialRead(
        id=m.id,
        name=m.name,
        source=m.source,
        filename=m.filename,
        media_type=m.media_type,
        size=m.size,
        sha256=m.sha256,
        license_id=m.license_id,
        license_type=m.license_type,
        verified=m.verified,
        round=m.round,
        added_at=m.added_at,
    )


def application_read(app: Application, materials: list[Material]) -> ApplicationRead:
    return ApplicationRead(
        id=app.id,
        tracking_number=app.tracking_number,
        query_code=app.query_code,
        status=app.status,
        channel=app.channel,
        item=ItemRead(implementation_code=app.item_code, version=app.item_version, name=app.item_name),
        region=app.region,
        department={"code": app.department_code, "name": app.department_name},
        applicant=ApplicantRead(
            subject=app.applicant_subject,
            kind=app.applicant_kind,
            enterprise=app.enterprise,
            agent=app.agent_subject,
            name_masked=app.applicant_name_masked,
        ),
        form=app.form,
        materials=[material_read(m) for m in materials],
        case_id=app.case_id,
        supplement_request=app.supplement_request,
        decision=app.decision,
        bundle_id=app.bundle_id,
        accepted_for=service.acceptance_of(app),
        created_at=app.created_at,
        updated_at=app.updated_at,
        submitted_at=app.submitted_at,
    )


async def _read_body(session: SessionDep, app: Application, materials: list[Material] | None = None) -> dict[str, Any]:
    """The answer's body; ``materials`` when the caller holds them already (else read)."""
    await session.flush()
    if materials is None:
        materials = await service.materials_of(session, app.id)
    return application_read(app, materials).model_dump(mode="json")


async def _readable(session: SessionDep, principal: Principal, application_id: uuid.UUID) -> Application:
    app = await service.get_application(session, application_id)
    access.ensure_read(principal, app)
    return app


async def _actionable(session: SessionDep, principal: Principal, application_id: uuid.UUID) -> Application:
    app = await service.get_application(session, application_id, lock=True)
    access.ensure_applicant(principal, app)
    return app


async def _check_named_account(request: Request, applicant: ApplicantIn) -> None:
    """Hall staff name the person's account (``subject``) only for the person whose ID number identity holds
    for it (``identity.holder.read``, as kiosk case look-ups ask): a forged or mistaken account id would show
    the case, its notices and its licence to someone else. Nothing is written when it does not match."""
    if not applicant.subject:
        return
    if applicant.kind == "enterprise":
        raise ApplicantInvalid("an enterprise at the hall is named by its credit_code, not by an account")
    if not applicant.id_number or not await holders_of(request).holds(applicant.subject, applicant.id_number):
        raise ApplicantInvalid("the account named is not this person's (their ID number)")


async def _own_id_number(request: Request, principal: Principal, applicant: ApplicantIn) -> None:
    """A citizen applying for themself need not type their ID number: when the request leaves it out it is the
    one identity verified for their account (``identity.holder.read``), so it is neither retyped nor mistyped.
    Without identity's answer the citizen is asked for it (422) or told to retry (503); nothing is written."""
    if principal.kind != "citizen" or applicant.id_number:
        return
    holders = holders_of(request)
    if not holders.configured:
        raise ApplicantInvalid("a citizen gives their ID number (id_number)")
    try:
        held = await holders.id_number(principal.subject)
    except HolderUnresolved as exc:
        raise ServiceUnavailable("identity did not answer who you are; try again or give id_number") from exc
    if held is None:
        raise ApplicantInvalid("your account holds no verified ID number: give id_number")
    applicant.id_number = held.upper()


@router.post(
    "/applications",
    status_code=201,
    response_model=ApplicationRead,
    summary="Start an application for a published item (a draft, or submitted at once); Idempotency-Key required",
    dependencies=[scoped(access.SCOPE_WRITE)],
    openapi_extra=idempotency.KEY_REQUIRED,
)
async def create_application(
    app_in: ApplicationCreate,
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    idempotency_key: idempotency.RequiredKey,
) -> JSONResponse:
    """A draft, or submitted at once with ``submit=true`` (the pre-review must pass)."""
    access.ensure_can_apply(principal)
    claim = await idempotency.claim(
        session,
        IdempotencyRecord,
        principal=principal.subject,
        scope="applications.create",
        key=idempotency_key,
        body=app_in.model_dump(mode="json"),
    )
    if claim.replay:
        return created(request, claim.response(), f"/v1/applications/{claim.record.body['id']}")
    if principal.kind == "staff":
        await _check_named_account(request, app_in.applicant)
    await _own_id_number(request, principal, app_in.applicant)
    app = await service.create_application(session, principal=principal, app_in=app_in)
    materials: list[Material] = []  # a new draft has none
    if app_in.submit:
        materials = await service.submit(session, app=app, actor=principal.subject)
    body = await _read_body(session, app, materials)
    return created(request, idempotency.remember(claim, status_code=201, body=body), f"/v1/applications/{app.id}")


@router.get(
    "/applications",
    response_model=ApplicationPage,
    summary="Applications the caller may see, newest first",
    dependencies=[scoped(access.SCOPE_READ)],
)
async def list_applications(
    session: SessionDep,
    principal: PrincipalDep,
    limit: Limit = 20,
    cursor: Cursor = None,
    status: str | None = None,
    item_code: str | None = None,
) -> ApplicationPage:
    visible = access.visible_applications(principal)
    if visible is None:
        raise Forbidden("applicants, whoever acts for an enterprise, or case staff only")
    where = list(visible)
    if status is not None:
        where.append(Application.status == status)
    if item_code is not None:
        where.append(Application.item_code == item_code)
    rows: list[Application] = []
    after = read_time_id_cursor(cursor)
    while len(rows) <= limit:  # region scope is a prefix rule: filter here and keep paging
        batch = await service.list_applications(session, where=where, limit=limit + 1, after=after)
        rows.extend(a for a in batch if access.can_read(principal, a))
        if len(batch) <= limit:
            break
        after = (batch[-1].created_at, batch[-1].id)
    page, more = rows[:limit], len(rows) > limit
    return ApplicationPage(
        items=[
            ApplicationSummary(
                id=a.id,
                tracking_number=a.tracking_number,
                case_id=a.case_id,
                status=a.status,
                channel=a.channel,
                item_code=a.item_code,
                item_name=a.item_name,
                region=a.region,
                created_at=a.created_at,
                submitted_at=a.submitted_at,
            )
            for a in page
        ],
        next_cursor=time_id_cursor(page[-1].created_at, page[-1].id) if more and page else None,
    )


@router.get(
    "/applications/{application_id}",
    response_model=ApplicationRead,
    summary="One application",
    dependencies=[scoped(access.SCOPE_READ)],
)
async def get_application(application_id: uuid.UUID, session: ReadSessionDep, principal: PrincipalDep) -> Response:
    app, materials = await service.application_with_materials(session, application_id)
    access.ensure_read(principal, app)
    # Serialised once from the model just built (a returned model would be validated again as the response).
    return Response(application_read(app, materials).model_dump_json(), media_type="application/json")


@router.get(
    "/applications/{application_id}/history",
    response_model=Page[HistoryEntry],
    summary="Status history, oldest first (one page: the whole history)",
    dependencies=[scoped(access.SCOPE_READ)],
)
async def get_history(
    application_id: uuid.UUID, session: ReadSessionDep, principal: PrincipalDep
) -> Page[HistoryEntry]:
    app = await _readable(session, principal, application_id)
    return Page(items=[HistoryEntry(status=h.to_status, at=h.at) for h in await service.history_of(session, app.id)])


@router.patch(
    "/applications/{application_id}",
    response_model=ApplicationRead,
    summary="Save the draft's form",
    dependencies=[scoped(access.SCOPE_WRITE)],
)
async def update_application(
    application_id: uuid.UUID, app_in: ApplicationUpdate, session: SessionDep, principal: PrincipalDep
) -> dict[str, Any]:
    app = await _actionable(session, principal, application_id)
    await service.update_form(session, app=app, form=app_in.form)
    return await _read_body(session, app)


@router.post(
    "/applications/{application_id}/materials",
    status_code=201,
    response_model=MaterialRead,
    summary="Upload a material (multipart: name, file); its type is read from its content",
    responses={413: {"content": {"application/problem+json": {}}}, 415: {"content": {"application/problem+json": {}}}},
    dependencies=[scoped(access.SCOPE_WRITE)],
)
async def upload_material(
    application_id: uuid.UUID,
    request: Request,
    response: Response,
    session: SessionDep,
    principal: PrincipalDep,
    context: ContextDep,
    name: Annotated[str, Form(min_length=1, max_length=200)],
    file: Annotated[UploadFile, File()],
) -> MaterialRead:
    app = await _actionable(session, principal, application_id)
    await service.check_material(session, app=app, name=name)
    stored = await context.receive(file)
    material = await service.add_upload(
        session, app=app, name=name, filename=file.filename, stored=stored, actor=principal.subject
    )
    created(request, response, f"/v1/applications/{app.id}/materials/{material.id}")
    return material_read(material)


@router.post(
    "/applications/{application_id}/materials/license",
    status_code=201,
    response_model=MaterialRead,
    summary="Use an e-license you hold instead of uploading a material (免提交)",
    dependencies=[scoped(access.SCOPE_WRITE)],
)
async def use_license(
    application_id: uuid.UUID,
    material_in: LicenseMaterialIn,
    request: Request,
    response: Response,
    session: SessionDep,
    principal: PrincipalDep,
    context: ContextDep,
) -> MaterialRead:
    app = await _actionable(session, principal, application_id)
    if not access.is_applicant(principal, app, write=True):
        raise NotForYou("only the holder may present their own e-license")
    license_type = await service.license_type_for(session, app=app, name=material_in.name)
    found = await context.licenses.verify(bearer(request), material_in.license_id, license_type)
    if found is None:
        raise LicenseNotUsable(f"you hold no valid {license_type} with that id", license_type=license_type)
    material = await service.add_license(
        session, app=app, name=material_in.name, license_=found, license_type=license_type, actor=principal.subject
    )
    created(request, response, f"/v1/applications/{app.id}/materials/{material.id}")
    return material_read(material)


@router.delete(
    "/applications/{application_id}/materials/{material_id}",
    status_code=204,
    summary="Remove a material",
    dependencies=[scoped(access.SCOPE_WRITE)],
)
async def remove_material(
    application_id: uuid.UUID, material_id: uuid.UUID, session: SessionDep, principal: PrincipalDep
) -> None:
    app = await _actionable(session, principal, application_id)
    await service.remove_material(session, app=app, material_id=material_id)


@router.get(
    "/applications/{application_id}/materials/{material_id}",
    response_model=MaterialRead,
    summary="One material of an application (its file at .../content)",
    dependencies=[scoped(access.SCOPE_READ)],
)
async def get_material(
    application_id: uuid.UUID, material_id: uuid.UUID, session: ReadSessionDep, principal: PrincipalDep
) -> MaterialRead:
    app = await _readable(session, principal, application_id)
    return material_read(await service.material_of(session, app=app, material_id=material_id))


@router.get(
    "/applications/{application_id}/materials/{material_id}/content",
    response_class=Response,
    responses={
        200: download_response(
            ["application/pdf", "image/jpeg", "image/png"],
            "The uploaded file, as a download, in the type its content was found to be (Repr-Digest: its SHA-256)",
        )
    },
    summary="Download an uploaded material's file (whoever may read the application)",
    dependencies=[scoped(access.SCOPE_READ)],
)
async def get_material_content(
    application_id: uuid.UUID,
    material_id: uuid.UUID,
    session: ReadSessionDep,
    principal: PrincipalDep,
    context: ContextDep,
) -> StreamingResponse:
    """Always an attachment, never a page: a file that is a PDF by its first bytes may carry HTML after
    them, and nothing the platform's origin serves may be run as one (nosniff, a sandboxing CSP)."""
    app = await _readable(session, principal, application_id)
    material = await service.material_of(session, app=app, material_id=material_id)
    if material.source != "upload" or material.sha256 is None:
        raise MaterialHasNoFile("an e-license material is read from the wallet (svc-certificates)")
    allowed = context.settings.allowed_media_types
    media_type = material.media_type if material.media_type in allowed else "application/octet-stream"
    try:
        chunks = await context.storage.open(material.sha256)
    except FileNotFoundError:
        log.error("material %s of application %s: no file %s in storage", material.id, app.id, material.sha256)
        raise MaterialContentMissing() from None
    log.info("material %s of application %s read by %s (%s)", material.id, app.id, principal.subject, principal.kind)
    headers = attachment_headers(material.filename, media_type=media_type, fallback="material")
    if material.size is not None:
        headers["Content-Length"] = str(material.size)
    headers["Repr-Digest"] = f"sha-256=:{base64.b64encode(bytes.fromhex(material.sha256)).decode()}:"
    return StreamingResponse(chunks, media_type=media_type, headers=headers)


@router.get(
    "/applications/{application_id}/pre-review",
    response_model=PreReviewRead,
    summary="预审: what is missing (materials, form fields, item still published); e-licenses that can replace a material",
    dependencies=[scoped(access.SCOPE_READ)],
)
async def get_pre_review(
    application_id: uuid.UUID, request: Request, session: SessionDep, principal: PrincipalDep, context: ContextDep
) -> PreReviewRead:
    app = await _readable(session, principal, application_id)
    result, _ = await service.review(session, app=app)
    lookup = "not_asked"
    types = sorted({m["license_type"] for m in result.missing_materials if m.get("license_type")})
    if types and access.is_applicant(principal, app):
        try:
            held = await context.licenses.list(bearer(request), types)
            by_type = {
                t: [lic.model_dump(include={"license_id", "type_code", "type_name"}) for lic in held if lic.matches(t)]
                for t in types
            }
            result, _ = await service.review(session, app=app, licenses_by_type=by_type)
            lookup = "ok"
        except LicenseServiceUnavailable:
            lookup = "unavailable"
    return PreReviewRead.model_validate({**result.as_dict(), "license_lookup": lookup})


@router.post(
    "/applications/{application_id}/submit",
    response_model=ApplicationRead,
    summary="Submit after the pre-review passed; Idempotency-Key required (same key and body: the first answer)",
    dependencies=[scoped(access.SCOPE_WRITE)],
    openapi_extra=idempotency.KEY_REQUIRED,
)
async def submit_application(
    application_id: uuid.UUID,
    session: SessionDep,
    principal: PrincipalDep,
    idempotency_key: idempotency.RequiredKey,
    submit_in: SubmitIn | None = None,
) -> JSONResponse:
    submit_in = submit_in or SubmitIn()
    app = await _actionable(session, principal, application_id)
    claim = await idempotency.claim(
        session,
        IdempotencyRecord,
        principal=principal.subject,
        scope=f"applications.submit:{application_id}",
        key=idempotency_key,
        body=submit_in.model_dump(mode="json"),
    )
    if claim.replay:
        return claim.response()
    if app.bundle_id is not None:
        raise PartOfBundle(f"submit the bundle application {app.bundle_id}", bundle_id=str(app.bundle_id))
    if submit_in.form is not None:
        await service.update_form(session, app=app, form=submit_in.form)
    materials = await service.submit(session, app=app, actor=principal.subject)
    body = await _read_body(session, app, materials)
    idempotency.remember(claim, status_code=200, body=body)
    return JSONResponse(body, status_code=200)


@router.post(
    "/applications/{application_id}/supplement",
    response_model=ApplicationRead,
    summary="Resubmit after a supplement request (补正), once the materials asked for are added",
    dependencies=[scoped(access.SCOPE_WRITE)],
)
async def supplement_application(
    application_id: uuid.UUID, supplement_in: SupplementIn, session: SessionDep, principal: PrincipalDep
) -> dict[str, Any]:
    app = await _actionable(session, principal, application_id)
    await service.supplement(session, app=app, form=supplement_in.form, actor=principal.subject)
    return await _read_body(session, app)


@router.post(
    "/applications/{application_id}/withdraw",
    response_model=ApplicationRead,
    summary="Withdraw before a decision",
    dependencies=[scoped(access.SCOPE_WRITE)],
)
async def withdraw_application(
    application_id: uuid.UUID, withdraw_in: WithdrawIn, session: SessionDep, principal: PrincipalDep
) -> dict[str, Any]:
    app = await _actionable(session, principal, application_id)
    if app.bundle_id is not None and app.status == "draft":
        raise PartOfBundle("a draft part of a bundle application is not withdrawn alone", bundle_id=str(app.bundle_id))
    await service.withdraw(session, app=app, reason=withdraw_in.reason, actor=principal.subject)
    await session.flush()
    await bundle_service.part_changed(session, application_id=app.id)  # the bundle may end with it
    return await _read_body(session, app)


# ---------------------------------------------------------------- public status query


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


@router.get(
    "/status",
    response_model=PublicStatus,
    summary="Public status by tracking number and the query code given with it (no personal data)",
    responses={429: {"content": {"application/problem+json": {}}}},
)
async def public_status(
    request: Request,
    session: SessionDep,
    context: ContextDep,
    tracking_number: Annotated[str, Query(min_length=20, max_length=20)],
    query_code: Annotated[str, Query(min_length=QUERY_CODE_LENGTH, max_length=QUERY_CODE_LENGTH)],
) -> PublicStatus:
    limit = context.status_limit
    # Per address and per tracking number: guessing one number's code from many addresses is slowed too.
    for key in (f"addr:{client_address(request)}", f"number:{tracking_number}"):
        if not await context.limiter.hit(limit, "status", key):
            raise TooManyRequests(headers={"Retry-After": "60"})
    app = None
    if is_tracking_number(tracking_number):
        app = await session.scalar(sa.select(Application).where(Application.tracking_number == tracking_number))
    if app is None or not query_code_matches(app.query_code, query_code):
        raise StatusCheckFailed()  # the same answer for an unknown number and a wrong code
    history = await service.history_of(session, app.id)
    return PublicStatus(
        tracking_number=tracking_number,
        item_name=app.item_name,
        department_name=app.department_name,
        status=app.status,
        submitted_at=app.submitted_at,
        updated_at=app.updated_at,
        history=[HistoryEntry(status=h.to_status, at=h.at) for h in history if h.to_status != "draft"],
    )


# ---------------------------------------------------------------- statistics


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, CST)


@router.get(
    "/stats/online-rate",
    response_model=OnlineRateReport,
    summary="网上办理率: applications submitted online over all submitted (hall cases count as offline)",
    dependencies=[scoped(access.SCOPE_READ)],
)
async def online_rate(
    session: SessionDep,
    principal: PrincipalDep,
    group_by: Literal["region", "department", "item"] = "region",
    region: Annotated[str | None, Query(pattern=r"^\d{6}$")] = None,
    from_date: Annotated[IsoDate | None, Query(alias="from")] = None,
    to_date: Annotated[IsoDate | None, Query(alias="to", description="inclusive")] = None,
) -> OnlineRateReport:
    scope = region or principal.region
    if not scope or not (supervisor_of(principal, scope) or admin_of(principal, scope)):
        raise Forbidden("supervisors and platform admins see the statistics of their region")
    columns: dict[str, tuple[Any, Any]] = {
        "region": (Application.region, sa.null()),
        "department": (Application.department_code, sa.func.max(Application.department_name)),
        "item": (Application.item_code, sa.func.max(Application.item_name)),
    }
    column, name = columns[group_by]
    online = sa.func.sum(sa.case((Application.channel == "online", 1), else_=0))
    query = sa.select(column, name, online, sa.func.count()).where(
        Application.submitted_at.is_not(None), Application.region.startswith(region_prefix(scope))
    )
    if from_date:
        query = query.where(Application.submitted_at >= _day_start(from_date))
    if to_date:
        query = query.where(Application.submitted_at < _day_start(to_date + timedelta(days=1)))
    rows = (await session.execute(query.group_by(column).order_by(column))).all()
    out = [
        OnlineRateRow(
            key=str(k),
            name=n,
            online=int(on or 0),
            offline=int(total) - int(on or 0),
            total=int(total),
            online_rate=round(int(on or 0) / int(total), 4) if total else 0.0,
        )
        for k, n, on, total in rows
    ]
    total_all = sum(r.total for r in out)
    online_all = sum(r.online for r in out)
    return OnlineRateReport(
        group_by=group_by,
        from_date=from_date.isoformat() if from_date else None,
        to_date=to_date.isoformat() if to_date else None,
        rows=out,
        online=online_all,
        total=total_all,
        online_rate=round(online_all / total_all, 4) if total_all else 0.0,
    )
