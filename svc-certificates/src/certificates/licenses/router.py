"""Licenses, license types, seals and the public issuer keys and status lists.

- License types: anyone reads; ``platform_admin`` staff define them (``certificates.licenses.issue``).
- Issuing by hand: only for an approved case whose issuing on approval could not complete, by an approver
  of the case's department covering its region: the type the case's item names, to the case's applicant
  (``certificates.licenses.issue``, ``Idempotency-Key`` required).
- Importing (存量证照归集): a department's own system (client credentials registered for its department and
  region) brings a license its department issued outside the platform into the holder's wallet: only a
  type one of the department's published items produces (``certificates.licenses.import``,
  ``Idempotency-Key`` required).
- Suspend, lift, revoke, renew: approvers of the issuing department covering the license's region.
- Reading one license: see :mod:`certificates.access` (holder, issuing staff, grantees; others 404),
  ``certificates.licenses.read``.
- Seal rotation: ``staff_admin`` of the department, or ``platform_admin`` (``certificates.licenses.issue``).
- Issuer keys and status lists are public (verifiers fetch and cache them).
"""

from __future__ import annotations

import logging
import uuid
from datetime import date
from typing import Annotated, Any, Literal

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Query, Request, Response, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, field_validator

from certificates import statuslist
from certificates.access import (
    APPROVER,
    SCOPE_IMPORT,
    SCOPE_ISSUE,
    SCOPE_PRINT,
    SCOPE_READ,
    importing_department,
    wallet_key_of,
)
from certificates.context import Context, Holder, get_context
from certificates.errors import (
    CaseNotFound,
    LicenseExists,
    LicenseNotFound,
    LicenseTypeExists,
    NotTheCaseLicense,
    SealNotFound,
)
from certificates.identifiers import mask
from certificates.licenses import service
from certificates.licenses.authorise import authorise_issuer, authorise_read
from certificates.licenses.schemas import (
    IssuerRead,
    LicenseImport,
    LicenseIssue,
    LicenseRead,
    LicenseTypeCreate,
    LicenseTypeRead,
    Renewal,
    SealInfo,
    SealRotated,
    StatusChange,
)
from certificates.models import ApprovedCase, IdempotencyRecord, License, LicenseType, LicenseUse, Seal, SealKey
from certificates.pdf import render_pdf
from certificates.sealing import sign_vc_jwt
from gov_common import idempotency
from gov_common.attachments import attachment_headers, download_response
from gov_common.auth import Principal, scoped
from gov_common.deps import SessionDep
from gov_common.errors import Forbidden
from gov_common.http import AwareDateTime, created
from gov_common.pagination import Page
from gov_common.policy import STAFF_ADMIN, admin_of, staff_in
from gov_standards.china_time import now_in_china
from gov_standards.identifiers import parse_id_number

log = logging.getLogger(__name__)
router = APIRouter(tags=["licenses"])
CtxDep = Annotated[Context, Depends(get_context)]
Reader = Annotated[Principal, scoped(SCOPE_READ)]
Issuer = Annotated[Principal, scoped(SCOPE_ISSUE)]
Importer = Annotated[Principal, scoped(SCOPE_IMPORT)]
Purpose = Annotated[str | None, Query(max_length=300, description="why a third party reads it (logged)")]


def license_read(ctx: Context, lic: License, key: SealKey) -> LicenseRead:
    return LicenseRead(
        id=str(lic.id),
        identifier=lic.identifier,
        type_code=lic.type_code,
        type_name=lic.type_name,
        version=lic.version,
        previous_id=str(lic.previous_id) if lic.previous_id else None,
        holder_name=lic.holder_name,
        region=lic.region,
        holder_id_type=lic.holder_id_type,
        holder_id_masked=mask(service.holder_id(ctx, lic)),
        issuer={"code": lic.issuer_code, "name": lic.issuer_name},
        fields=lic.fields,
        valid_from=lic.valid_from,
        valid_until=lic.valid_until,
        status=lic.status,
        status_reason=lic.status_reason,
        case_id=lic.case_id,
        source_reference=lic.source_reference,
        issued_at=lic.issued_at,
        credential_jwt=service.vc_jwt(ctx, lic),
        seal=SealInfo(kid=key.kid, public_key="04" + key.sm2_public_hex, signature=lic.sm2_signature),
        verify_url=verify_url(ctx, lic),
    )


def verify_url(ctx: Context, lic: License) -> str:
    return f"{ctx.settings.public_base_url}/v1/verify/{lic.identifier}"


async def _read(session: SessionDep, ctx: Context, lic: License) -> LicenseRead:
    key = await session.get(SealKey, lic.kid)
    assert key is not None
    return license_read(ctx, lic, key)


# --- types -------------------------------------------------------------------------------------------


def _type_read(row: LicenseType) -> LicenseTypeRead:
    return LicenseTypeRead.model_validate(row, from_attributes=True)


@router.get("/v1/license-types", response_model=Page[LicenseTypeRead], summary="License types (public; one page: all)")
async def list_types(session: SessionDep) -> Page[LicenseTypeRead]:
    rows = await session.scalars(sa.select(LicenseType).order_by(LicenseType.code))
    return Page(items=[_type_read(r) for r in rows])


@router.get("/v1/license-types/{code}", response_model=LicenseTypeRead, summary="One license type (public)")
async def get_type(code: str, session: SessionDep) -> LicenseTypeRead:
    return _type_read(await service.type_by_code(session, code))


@router.post(
    "/v1/license-types",
    response_model=LicenseTypeRead,
    status_code=status.HTTP_201_CREATED,
    summary="Define a license type (platform_admin)",
)
async def create_type(
    body: LicenseTypeCreate, session: SessionDep, principal: Issuer, request: Request, response: Response
) -> LicenseTypeRead:
    if not admin_of(principal, None):
        raise Forbidden("platform administrators define license types")
    clash = await session.scalar(
        sa.select(LicenseType).where(sa.or_(LicenseType.code == body.code, LicenseType.name == body.name))
    )
    if clash is not None:
        raise LicenseTypeExists(code=body.code, name=body.name)
    row = LicenseType(
        code=body.code,
        name=body.name,
        department_name=body.department_name,
        fields=[f.model_dump() for f in body.fields],
        validity_years=body.validity_years,
        template={"title": body.title or body.name, "field_order": [f.name for f in body.fields]},
        created_at=service.now(),
    )
    session.add(row)
    await session.flush()
    created(request, response, f"/v1/license-types/{row.code}")
    return _type_read(row)


# --- licenses ----------------------------------------------------------------------------------------


@router.post(
    "/v1/licenses",
    response_model=LicenseRead,
    status_code=status.HTTP_201_CREATED,
    summary="Issue the license of an approved case (an approver of the case's department and region); "
    "Idempotency-Key required",
    openapi_extra=idempotency.KEY_REQUIRED,
)
async def issue_license(
    body: LicenseIssue,
    session: SessionDep,
    ctx: CtxDep,
    principal: Issuer,
    request: Request,
    idempotency_key: idempotency.RequiredKey,
) -> JSONResponse:
    case = await session.get(ApprovedCase, body.case_id)
    # someone else's case reads as no case, so that case ids cannot be probed
    if case is None or not staff_in(principal, department=case.department_code, region=case.region, roles=APPROVER):
        raise CaseNotFound(case_id=body.case_id)
    claim = await _claim(session, case.department_code, "licenses.issue", idempotency_key, body.model_dump(mode="json"))
    if claim.replay:
        return created(request, claim.response(), f"/v1/licenses/{claim.record.body['id']}")
    license_type = await service.type_by_code(session, body.type_code)
    if license_type.name != case.license_type_name:
        raise NotTheCaseLicense(type_code=body.type_code, case_license_type=case.license_type_name)
    if await session.scalar(sa.select(License.id).where(License.case_id == case.case_id)) is not None:
        raise LicenseExists(case_id=case.case_id)
    lic = await service.issue_for_case(
        session,
        ctx,
        case=case,
        license_type=license_type,
        fields=body.fields,
        valid_from=body.valid_from,
        valid_until=body.valid_until,
    )
    return await _created(request, session, ctx, claim, lic)


@router.post(
    "/v1/licenses/imports",
    response_model=LicenseRead,
    status_code=status.HTTP_201_CREATED,
    summary="Import a license the caller's department issued outside the platform (its own system); "
    "Idempotency-Key required",
    openapi_extra=idempotency.KEY_REQUIRED,
)
async def import_license(
    body: LicenseImport,
    session: SessionDep,
    ctx: CtxDep,
    principal: Importer,
    request: Request,
    idempotency_key: idempotency.RequiredKey,
) -> JSONResponse:
    department, region = importing_department(principal)
    claim = await _claim(session, department, "licenses.import", idempotency_key, body.model_dump(mode="json"))
    if claim.replay:
        return created(request, claim.response(), f"/v1/licenses/{claim.record.body['id']}")
    lic = await service.import_license(
        session,
        ctx,
        department=department,
        region=region,
        client_id=principal.client_id or principal.subject,
        license_type=await service.type_by_code(session, body.type_code),
        holder=Holder(id_type=body.holder.id_type, id_number=body.holder.id_number, name=body.holder.name),
        fields=body.fields,
        source_reference=body.source_reference,
        valid_from=body.valid_from,
        valid_until=body.valid_until,
    )
    # who imported what: the client and the license, never the holder's number
    log.info("license %s (%s) imported by client %s of %s", lic.id, lic.type_code, lic.imported_by, department)
    return await _created(request, session, ctx, claim, lic)


async def _claim(
    session: SessionDep, department: str, scope: str, key: str, body: dict[str, Any]
) -> idempotency.Claim[IdempotencyRecord]:
    # A department's keys are its own, whichever of its staff or systems sends them (one licence per key).
    return await idempotency.claim(
        session, IdempotencyRecord, principal=f"department:{department}", scope=scope, key=key, body=body
    )


async def _created(
    request: Request, session: SessionDep, ctx: Context, claim: idempotency.Claim[IdempotencyRecord], lic: License
) -> JSONResponse:
    body = (await _read(session, ctx, lic)).model_dump(mode="json")
    return created(request, idempotency.remember(claim, status_code=201, body=body), f"/v1/licenses/{lic.id}")


@router.get("/v1/licenses/{license_id}", response_model=LicenseRead, summary="One license (holder, issuer, grantee)")
async def get_license(
    license_id: uuid.UUID, session: SessionDep, ctx: CtxDep, principal: Reader, purpose: Purpose = None
) -> LicenseRead:
    lic = await authorise_read(session, ctx, principal=principal, license_id=license_id, purpose=purpose)
    return await _read(session, ctx, lic)


@router.get(
    "/v1/cases/{case_id}/licenses",
    response_model=Page[LicenseRead],
    summary="The licenses issued for a case (its holder, and staff of the issuing department; one page)",
)
async def case_licenses(case_id: uuid.UUID, session: SessionDep, ctx: CtxDep, principal: Reader) -> Page[LicenseRead]:
    """What a case produced, for the staff handling it (the workbench's case page) and its holder; a
    license the caller may not read is left out (an empty list tells nothing about the case). Each read
    is logged as a use, as reading one license is."""
    ids = list(await session.scalars(sa.select(License.id).where(License.case_id == str(case_id)).limit(20)))
    found: list[LicenseRead] = []
    for license_id in ids:
        try:
            lic = await authorise_read(session, ctx, principal=principal, license_id=license_id, purpose=None)
        except LicenseNotFound:
            continue
        found.append(await _read(session, ctx, lic))
    return Page(items=found)


@router.get(
    "/v1/licenses/{license_id}/pdf",
    response_class=Response,
    responses={200: download_response(["application/pdf"], "The licence as a PDF, as a download")},
    summary="The license as a PDF with its seal and a QR code to verification (same access as reading it)",
)
async def get_license_pdf(
    license_id: uuid.UUID, session: SessionDep, ctx: CtxDep, principal: Reader, purpose: Purpose = None
) -> Response:
    lic = await authorise_read(session, ctx, principal=principal, license_id=license_id, purpose=purpose)
    license_type = await service.type_by_code(session, lic.type_code)
    pdf = render_pdf(lic, license_type, verify_url=verify_url(ctx, lic))
    # A download named for the licence (营业执照-<identifier>.pdf), never a page of the platform's origin.
    name = f"{lic.type_name}-{lic.identifier}.pdf"
    return Response(pdf, media_type="application/pdf", headers=attachment_headers(name, media_type="application/pdf"))


@router.post(
    "/v1/licenses/{license_id}/renewals",
    response_model=LicenseRead,
    status_code=status.HTTP_201_CREATED,
    summary="Renew: a new version linked to the old one (approver of the issuing department)",
)
async def renew_license(
    license_id: uuid.UUID,
    body: Renewal,
    session: SessionDep,
    ctx: CtxDep,
    principal: Issuer,
    request: Request,
    response: Response,
) -> LicenseRead:
    lic = await authorise_issuer(session, principal=principal, license_id=license_id, action="renew license")
    new = await service.renew(session, ctx, lic=lic, fields=body.fields, valid_until=body.valid_until)
    created(request, response, f"/v1/licenses/{new.id}")
    return await _read(session, ctx, new)


@router.post(
    "/v1/licenses/{license_id}/{action}",
    response_model=LicenseRead,
    summary="Suspend, lift a suspension or revoke, with a reason (approver of the issuing department)",
)
async def change_status(
    license_id: uuid.UUID,
    action: Literal["suspend", "lift", "revoke"],
    body: StatusChange,
    session: SessionDep,
    ctx: CtxDep,
    principal: Issuer,
) -> LicenseRead:
    lic = await authorise_issuer(session, principal=principal, license_id=license_id, action=f"{action} license")
    lic = await service.change_status(session, lic=lic, action=action, reason=body.reason)
    return await _read(session, ctx, lic)


# --- seals, issuers, status lists --------------------------------------------------------------------


@router.post(
    "/v1/seals/{department_code}/rotations",
    response_model=SealRotated,
    status_code=status.HTTP_201_CREATED,
    summary="Rotate a seal key (the new key is listed in the issuer document, the Location)",
)
async def rotate_seal(
    department_code: str, session: SessionDep, ctx: CtxDep, principal: Issuer, request: Request, response: Response
) -> SealRotated:
    # a seal is the department's wherever its staff sit: the staff admin's own region stands for it
    own_admin = staff_in(principal, department=department_code, region=principal.region, roles=(STAFF_ADMIN,))
    if not (own_admin or admin_of(principal, None)):
        raise Forbidden("only the department's staff_admin or a platform_admin rotates its seal")
    key = await service.rotate_seal(session, ctx, code=department_code)
    created(request, response, f"/v1/issuers/{department_code}")
    return SealRotated(kid=key.kid, created_at=key.created_at)


@router.get(
    "/v1/issuers/{department_code}",
    response_model=IssuerRead,
    summary="An issuer's public keys, old ones included (public)",
)
async def get_issuer(department_code: str, session: SessionDep, response: Response) -> dict[str, Any]:
    seal = await session.get(Seal, department_code)
    if seal is None:
        raise SealNotFound()
    keys = await service.seal_keys(session, department_code)
    response.headers["Cache-Control"] = "public, max-age=300"
    return {
        "code": seal.department_code,
        "name": seal.department_name,
        "jwks": {"keys": [k.vc_public_jwk for k in keys]},
        "sm2_keys": [
            {
                "kid": k.kid,
                "public_key": "04" + k.sm2_public_hex,
                "signer_id": "1234567812345678",
                "retired_at": k.retired_at,
            }
            for k in keys
        ],
    }


@router.get(
    "/v1/status-lists/{department_code}/{purpose}",
    response_class=Response,
    responses={200: {"content": {"application/vc+jwt": {}}}},
    summary="A Bitstring Status List credential (public, cacheable)",
)
async def get_status_list(
    department_code: str, purpose: Literal["revocation", "suspension"], session: SessionDep, ctx: CtxDep
) -> Response:
    bits = (await service.status_bits(session, department_code)).get(purpose)
    if bits is None:
        raise SealNotFound()
    key = await service.current_key(session, department_code)
    url = service.status_list_url(ctx, department_code, purpose)
    doc = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": service.issuer_id(ctx, department_code),
        "validFrom": now_in_china().replace(microsecond=0).isoformat(),
        "credentialSubject": {
            "id": f"{url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": purpose,
            "encodedList": statuslist.encode(bits),
        },
    }
    private = ctx.master_key.decrypt(key.vc_private_enc, context=key.kid + "/vc")
    token = sign_vc_jwt(doc, kid=key.kid, private_pem=private)
    return Response(token, media_type="application/vc+jwt", headers={"Cache-Control": "public, max-age=300"})


# --- prints at a hall's kiosk (自助打印) ------------------------------------------------------------------
# The hall service (a platform system holding certificates.licenses.print, asking as itself) sends the ID
# number its kiosk's real-name check read; only that person's licences are listed and printed. Each print
# is written to the holder's use log; the number is compared by its blind index, never kept or logged.

Printer = Annotated[Principal, scoped(SCOPE_PRINT)]


class KioskHolder(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    id_number: str = Field(min_length=18, max_length=18, description="as the kiosk's real-name check read it")

    @field_validator("id_number")
    @classmethod
    def _a_real_id_number(cls, value: str) -> str:
        return parse_id_number(value).value


class KioskPrintAsk(KioskHolder):
    license_id: uuid.UUID
    kiosk: str = Field(min_length=1, max_length=100, description="the kiosk that prints it (for the use log)")


class PrintableLicense(BaseModel):
    """What the kiosk shows the person to choose from: no holder's name or number."""

    id: str
    type_name: str
    identifier: str
    issuer_name: str
    case_id: str | None
    valid_from: date
    valid_until: date | None
    issued_at: AwareDateTime


def _printable(principal: Principal, ctx: Context, id_number: str) -> sa.ColumnElement[bool]:
    if principal.kind != "system":
        raise Forbidden("kiosk prints are asked by the hall service as itself")
    return sa.and_(
        License.holder_id_type == "citizen_id",
        License.holder_id_index == ctx.master_key.blind_index(id_number),
        License.status == "active",
    )


@router.post(
    "/v1/kiosk-prints/licenses",
    response_model=Page[PrintableLicense],
    summary="The active licences of the person a hall kiosk checked (the hall service; one page)",
)
async def kiosk_printable(
    ask: KioskHolder, session: SessionDep, ctx: CtxDep, system: Printer
) -> Page[PrintableLicense]:
    rows = await session.scalars(
        sa.select(License).where(_printable(system, ctx, ask.id_number)).order_by(License.issued_at.desc()).limit(50)
    )
    return Page(
        items=[
            PrintableLicense(
                id=str(lic.id),
                type_name=lic.type_name,
                identifier=lic.identifier,
                issuer_name=lic.issuer_name,
                case_id=lic.case_id,
                valid_from=lic.valid_from,
                valid_until=lic.valid_until,
                issued_at=lic.issued_at,
            )
            for lic in rows
        ]
    )


@router.post(
    "/v1/kiosk-prints",
    response_class=Response,
    responses={200: download_response(["application/pdf"], "The licence as a PDF, to print at the kiosk")},
    summary="One active licence of the person a hall kiosk checked, as a PDF to print (the hall service)",
)
async def kiosk_print(ask: KioskPrintAsk, session: SessionDep, ctx: CtxDep, system: Printer) -> Response:
    """Another person's licence (or a suspended, revoked or unknown one) is the same 404."""
    lic = await session.scalar(
        sa.select(License).where(License.id == ask.license_id, _printable(system, ctx, ask.id_number))
    )
    if lic is None:
        raise LicenseNotFound()
    session.add(
        LicenseUse(
            license_id=lic.id,
            holder_key=wallet_key_of(lic),
            user_kind=system.kind,
            user_subject=system.subject,
            user_department=None,
            user_client=system.client_id,
            basis="kiosk_print",
            grant_id=None,
            purpose=f"大厅自助终端打印（{ask.kiosk}）"[:300],
            used_at=service.now(),
        )
    )
    license_type = await service.type_by_code(session, lic.type_code)
    pdf = render_pdf(lic, license_type, verify_url=verify_url(ctx, lic))
    name = f"{lic.type_name}-{lic.identifier}.pdf"
    return Response(pdf, media_type="application/pdf", headers=attachment_headers(name, media_type="application/pdf"))
