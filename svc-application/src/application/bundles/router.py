"""Bundle applications API (一件事一次办): apply once for a published one-thing bundle with its merged form
and materials; each part is an ordinary application handled by its item's department; one status view."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, Request, Response, UploadFile
from fastapi.responses import JSONResponse

from application import access
from application.applications.router import material_read
from application.applications.schemas import ApplicantRead, ItemRead, LicenseMaterialIn
from application.bundles import service
from application.bundles.schemas import (
    BundleApplicationCreate,
    BundleApplicationPage,
    BundleApplicationRead,
    BundleApplicationSummary,
    BundleApplicationUpdate,
    BundleMaterialAdded,
    BundleMaterialRead,
    BundlePartRead,
    BundlePreReviewRead,
    BundleProgress,
    BundleRef,
    DepartmentRead,
    PartMaterialRead,
)
from application.delivery import service as delivery
from application.delivery.schemas import BundleDeliveryRead, DeliveryIn
from application.deps import ContextDep, bearer
from application.domain import BUNDLE_DONE, Status
from application.errors import InvalidState, LicenseNotUsable, NotForYou
from application.models import Application, BundleApplication, CatalogBundle, IdempotencyRecord, Material
from gov_common import idempotency
from gov_common.auth import Principal, PrincipalDep, scoped
from gov_common.deps import ReadSessionDep, SessionDep
from gov_common.errors import Forbidden
from gov_common.http import created
from gov_common.pagination import Cursor, Limit, read_time_id_cursor, time_id_cursor

router = APIRouter(prefix="/v1", tags=["bundle applications"])
BASE = "/v1/bundle-applications"


def _part_read(principal: Principal, bundle: BundleApplication, part: Application) -> BundlePartRead:
    mine = access.is_applicant(principal, bundle)
    own_case = mine or access.is_case_staff(principal, part)
    return BundlePartRead(
        application_id=part.id,
        tracking_number=part.tracking_number,
        query_code=part.query_code if mine else None,
        status=part.status,
        item=ItemRead(implementation_code=part.item_code, version=part.item_version, name=part.item_name),
        department=DepartmentRead(code=part.department_code, name=part.department_name),
        region=part.region,
        case_id=part.case_id,
        supplement_request=part.supplement_request if own_case else None,
        decision=part.decision,
        submitted_at=part.submitted_at,
        updated_at=part.updated_at,
    )


def _materials(
    catalog: CatalogBundle | None, parts: list[Application], held: dict[uuid.UUID, list[Material]]
) -> list[BundleMaterialRead]:
    have = {(p.item_code, m.name) for p in parts for m in held.get(p.id, []) if m.round == 0}
    out = []
    for m in catalog.definition.get("materials", []) if catalog is not None else []:
        uses = service.material_uses(m)
        out.append(
            BundleMaterialRead(
                name=m["name"],
                required=bool(m.get("required", True)),
                license_type=m.get("license_type"),
                used_by=list(m.get("used_by", [])),
                held_by=sorted({code for code, there in uses if (code, there) in have}),
            )
        )
    return out


async def _read(
    session: SessionDep | ReadSessionDep, principal: Principal, bundle: BundleApplication, parts: list[Application]
) -> BundleApplicationRead:
    mine = access.is_applicant(principal, bundle) or access.registered_bundle(principal, bundle)
    materials = None
    if mine:
        catalog = await session.get(CatalogBundle, bundle.bundle_code)
        materials = _materials(catalog, parts, await service.materials_of_parts(session, parts))
    # Staff see the sibling cases of their own; a part they may not see shows its status, not its content.
    return BundleApplicationRead(
        id=bundle.id,
        bundle=BundleRef(code=bundle.bundle_code, version=bundle.bundle_version, name=bundle.bundle_name),
        status=bundle.status,
        channel=bundle.channel,
        region=bundle.region,
        applicant=ApplicantRead(
            subject=bundle.applicant_subject,
            kind=bundle.applicant_kind,
            enterprise=bundle.enterprise,
            agent=bundle.agent_subject,
            name_masked=bundle.applicant_name_masked,
        ),
        form=bundle.form if mine else None,
        materials=materials,
        parts=[_part_read(principal, bundle, p) for p in parts],
        progress=BundleProgress(
            parts=len(parts),
            ended=sum(Status(p.status) in BUNDLE_DONE for p in parts),
            completed=sum(
                p.status == Status.COMPLETED and (p.decision or {}).get("outcome") == "approved" for p in parts
            ),
        ),
        created_at=bundle.created_at,
        updated_at=bundle.updated_at,
        submitted_at=bundle.submitted_at,
        completed_at=bundle.completed_at,
    )


async def _readable(
    session: SessionDep | ReadSessionDep, principal: Principal, bundle_id: uuid.UUID
) -> tuple[BundleApplication, list[Application]]:
    bundle = await service.get_bundle(session, bundle_id)
    parts = await service.parts_of(session, bundle.id)
    access.ensure_read_bundle(principal, bundle, parts)
    return bundle, parts


async def _actionable(
    session: SessionDep, principal: Principal, bundle_id: uuid.UUID
) -> tuple[BundleApplication, list[Application]]:
    bundle = await service.get_bundle(session, bundle_id, lock=True)
    parts = await service.parts_of(session, bundle.id, lock=True)
    access.ensure_bundle_applicant(principal, bundle, parts)
    return bundle, parts


@router.post(
    "/bundle-applications",
    status_code=201,
    response_model=BundleApplicationRead,
    summary="Apply once for a one-thing bundle (一件事): a draft with one part per item; Idempotency-Key required",
    dependencies=[scoped(access.SCOPE_WRITE)],
    openapi_extra=idempotency.KEY_REQUIRED,
)
async def create_bundle_application(
    bundle_in: BundleApplicationCreate,
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    idempotency_key: idempotency.RequiredKey,
) -> JSONResponse:
    """Refused with nothing written when the bundle or any of its items is not published (each named), the
    applicant may not apply for one of its items, or the form does not fit the bundle's merged form."""
    access.ensure_can_apply(principal)
    claim = await idempotency.claim(
        session,
        IdempotencyRecord,
        principal=principal.subject,
        scope="bundle-applications.create",
        key=idempotency_key,
        body=bundle_in.model_dump(mode="json"),
    )
    if claim.replay:
        return created(request, claim.response(), f"{BASE}/{claim.record.body['id']}")
    bundle, parts = await service.create(
        session,
        principal=principal,
        bundle_code=bundle_in.bundle_code,
        applicant=bundle_in.applicant,
        form=bundle_in.form,
    )
    body = (await _read(session, principal, bundle, parts)).model_dump(mode="json")
    return created(request, idempotency.remember(claim, status_code=201, body=body), f"{BASE}/{bundle.id}")


@router.get(
    "/bundle-applications",
    response_model=BundleApplicationPage,
    summary="The caller's own bundle applications, newest first",
    dependencies=[scoped(access.SCOPE_READ)],
)
async def list_bundle_applications(
    session: ReadSessionDep, principal: PrincipalDep, limit: Limit = 20, cursor: Cursor = None
) -> BundleApplicationPage:
    if principal.kind == "citizen":
        where = [
            BundleApplication.applicant_kind == "citizen",
            BundleApplication.applicant_subject == principal.subject,
        ]
    elif principal.kind == "enterprise" and principal.enterprise:
        where = [BundleApplication.applicant_kind == "enterprise", BundleApplication.enterprise == principal.enterprise]
    else:
        raise Forbidden("applicants only: staff find a bundle from one of its parts")
    rows = await service.list_bundles(session, where=where, limit=limit + 1, after=read_time_id_cursor(cursor))
    rows = [r for r in rows if access.is_applicant(principal, r)]
    page, more = rows[:limit], len(rows) > limit
    return BundleApplicationPage(
        items=[
            BundleApplicationSummary(
                id=b.id,
                bundle=BundleRef(code=b.bundle_code, version=b.bundle_version, name=b.bundle_name),
                status=b.status,
                created_at=b.created_at,
                submitted_at=b.submitted_at,
                completed_at=b.completed_at,
            )
            for b in page
        ],
        next_cursor=time_id_cursor(page[-1].created_at, page[-1].id) if more and page else None,
    )


@router.get(
    "/bundle-applications/{bundle_id}",
    response_model=BundleApplicationRead,
    summary="One status for the bundle: each part's case as it stands (applicant; staff of a part's department)",
    dependencies=[scoped(access.SCOPE_READ)],
)
async def get_bundle_application(
    bundle_id: uuid.UUID, session: ReadSessionDep, principal: PrincipalDep
) -> BundleApplicationRead:
    bundle, parts = await _readable(session, principal, bundle_id)
    return await _read(session, principal, bundle, parts)


@router.patch(
    "/bundle-applications/{bundle_id}",
    response_model=BundleApplicationRead,
    summary="Save the draft's merged form (each part gets its item's fields)",
    dependencies=[scoped(access.SCOPE_WRITE)],
)
async def update_bundle_application(
    bundle_id: uuid.UUID, bundle_in: BundleApplicationUpdate, session: SessionDep, principal: PrincipalDep
) -> BundleApplicationRead:
    bundle, parts = await _actionable(session, principal, bundle_id)
    await service.update_form(session, bundle=bundle, parts=parts, form=bundle_in.form)
    await session.flush()
    return await _read(session, principal, bundle, parts)


@router.post(
    "/bundle-applications/{bundle_id}/materials",
    status_code=201,
    response_model=BundleMaterialAdded,
    summary="Upload a material of the bundle's merged list once (multipart: name, file); every part needing it gets it",
    responses={413: {"content": {"application/problem+json": {}}}, 415: {"content": {"application/problem+json": {}}}},
    dependencies=[scoped(access.SCOPE_WRITE)],
)
async def upload_bundle_material(
    bundle_id: uuid.UUID,
    request: Request,
    response: Response,
    session: SessionDep,
    principal: PrincipalDep,
    context: ContextDep,
    name: Annotated[str, Form(min_length=1, max_length=200)],
    file: Annotated[UploadFile, File()],
) -> BundleMaterialAdded:
    bundle, parts = await _actionable(session, principal, bundle_id)
    targets = await service.check_material(session, bundle=bundle, parts=parts, name=name)
    stored = await context.receive(file)
    added = await service.add_upload(
        session, bundle=bundle, targets=targets, filename=file.filename, stored=stored, actor=principal.subject
    )
    created(request, response, f"{BASE}/{bundle.id}")
    return _added(name, parts, added)


def _added(name: str, parts: list[Application], added: list[Material]) -> BundleMaterialAdded:
    codes = {p.id: p.item_code for p in parts}
    return BundleMaterialAdded(
        name=name,
        parts=[
            PartMaterialRead(
                application_id=m.application_id, item_code=codes[m.application_id], material=material_read(m)
            )
            for m in added
        ],
    )


@router.post(
    "/bundle-applications/{bundle_id}/materials/license",
    status_code=201,
    response_model=BundleMaterialAdded,
    summary="Use an e-license you hold once for every part that asks for it (免提交)",
    dependencies=[scoped(access.SCOPE_WRITE)],
)
async def use_bundle_license(
    bundle_id: uuid.UUID,
    material_in: LicenseMaterialIn,
    request: Request,
    response: Response,
    session: SessionDep,
    principal: PrincipalDep,
    context: ContextDep,
) -> BundleMaterialAdded:
    bundle, parts = await _actionable(session, principal, bundle_id)
    if not access.is_applicant(principal, bundle, write=True):
        raise NotForYou("only the holder may present their own e-license")
    license_type, targets = await service.license_type_for(session, bundle=bundle, parts=parts, name=material_in.name)
    found = await context.licenses.verify(bearer(request), material_in.license_id, license_type)
    if found is None:
        raise LicenseNotUsable(f"you hold no valid {license_type} with that id", license_type=license_type)
    added = await service.add_license(
        session, bundle=bundle, targets=targets, license_=found, license_type=license_type, actor=principal.subject
    )
    created(request, response, f"{BASE}/{bundle.id}")
    return _added(material_in.name, parts, added)


@router.delete(
    "/bundle-applications/{bundle_id}/materials",
    status_code=204,
    summary="Remove a material of the merged list from every part of the draft",
    dependencies=[scoped(access.SCOPE_WRITE)],
)
async def remove_bundle_material(
    bundle_id: uuid.UUID,
    session: SessionDep,
    principal: PrincipalDep,
    name: Annotated[str, Query(min_length=1, max_length=200)],
) -> None:
    bundle, parts = await _actionable(session, principal, bundle_id)
    await service.remove_material(session, bundle=bundle, parts=parts, name=name)


@router.get(
    "/bundle-applications/{bundle_id}/pre-review",
    response_model=BundlePreReviewRead,
    summary="预审 of the whole bundle: merged form errors, materials still missing (each once), items no longer published",
    dependencies=[scoped(access.SCOPE_READ)],
)
async def get_bundle_pre_review(bundle_id: uuid.UUID, session: SessionDep, principal: PrincipalDep) -> dict[str, Any]:
    bundle, parts = await _readable(session, principal, bundle_id)
    if not (access.is_applicant(principal, bundle) or access.registered_bundle(principal, bundle)):
        raise NotForYou("the pre-review is the applicant's")
    return await service.review(session, bundle=bundle, parts=parts)


@router.post(
    "/bundle-applications/{bundle_id}/submit",
    response_model=BundleApplicationRead,
    summary="Submit every part at once (the bundle's pre-review must pass); Idempotency-Key required",
    dependencies=[scoped(access.SCOPE_WRITE)],
    openapi_extra=idempotency.KEY_REQUIRED,
)
async def submit_bundle_application(
    bundle_id: uuid.UUID, session: SessionDep, principal: PrincipalDep, idempotency_key: idempotency.RequiredKey
) -> JSONResponse:
    bundle, parts = await _actionable(session, principal, bundle_id)
    claim = await idempotency.claim(
        session,
        IdempotencyRecord,
        principal=principal.subject,
        scope=f"bundle-applications.submit:{bundle_id}",
        key=idempotency_key,
        body={},
    )
    if claim.replay:
        return claim.response()
    await service.submit(session, bundle=bundle, parts=parts, actor=principal.subject)
    await session.flush()
    body = (await _read(session, principal, bundle, parts)).model_dump(mode="json")
    idempotency.remember(claim, status_code=200, body=body)
    return JSONResponse(body, status_code=200)


@router.put(
    "/bundle-applications/{bundle_id}/delivery",
    response_model=BundleDeliveryRead,
    summary="Choose once how to receive every part's result (pick-up at one hall, or mail to one address)",
    dependencies=[scoped(access.SCOPE_WRITE)],
)
async def choose_bundle_delivery(
    bundle_id: uuid.UUID, delivery_in: DeliveryIn, session: SessionDep, principal: PrincipalDep, context: ContextDep
) -> BundleDeliveryRead:
    """One delivery for the bundle (一件事): the choice is recorded on each part that has not ended, every part
    or none (a method one of the items does not offer is a 422 naming it, nothing written); a part whose result
    is already on its way is a 409. A part may still be changed alone afterwards."""
    bundle, parts = await _actionable(session, principal, bundle_id)
    open_parts = [p for p in parts if p.status not in delivery.FINAL]
    if not open_parts:
        raise InvalidState("every part has ended: no result left to deliver", current_status=bundle.status)
    for part in open_parts:  # checked first, so that a refusal names the item before anything changes
        await delivery.check_choice(session, app=part, delivery_in=delivery_in)
    chosen = [
        await delivery.choose(
            session, cipher=context.cipher, app=part, delivery_in=delivery_in, actor=principal.subject
        )
        for part in open_parts
    ]
    return BundleDeliveryRead(
        bundle_id=bundle.id,
        method=delivery_in.method,
        hall_id=delivery_in.hall_id if delivery_in.method == "pickup" else None,
        parts=[await delivery.read(session, cipher=context.cipher, d=d) for d in chosen],
    )
