"""Business rules of licenses and seals: issue, seal, suspend, lift, revoke, renew, verify.

Functions take the session and never commit; the caller's transaction (request or event handler) does.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from certificates import statuslist
from certificates.context import Context, Holder
from certificates.errors import (
    InvalidFields,
    InvalidHolder,
    InvalidTransition,
    LicenseAlreadyImported,
    LicenseNotFound,
    LicenseTypeNotFound,
    NotTheDepartmentsLicense,
    SealNotFound,
)
from certificates.identifiers import make_identifier, mask_name
from certificates.models import ApprovedCase, ItemLicense, License, LicenseType, Seal, SealKey, StatusList
from certificates.sealing import (
    canonical,
    generate_key,
    sign_vc_jwt,
    sm2_seal,
    sm2_verify,
    verify_vc_jwt,
)
from gov_contracts import certificates as contract
from gov_contracts import publish
from gov_standards.china_time import CHINA_TZ, at_china_time, end_of_china_day, today_in_china
from gov_standards.china_time import utcnow as now
from gov_standards.identifiers import is_credit_code, is_id_number

PURPOSES = ("revocation", "suspension")


# --- seals -------------------------------------------------------------------------------------------


async def ensure_seal(session: AsyncSession, ctx: Context, *, code: str, name: str) -> Seal:
    """The department's seal, made with a first key and empty status lists on first use (concurrent first
    uses by two consumers or requests: one inserts, the other waits for it and finds it)."""
    seal = await session.get(Seal, code)
    if seal is not None:
        return seal
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    created = await session.execute(
        insert(Seal)
        .values(department_code=code, department_name=name, next_status_index=0, created_at=now())
        .on_conflict_do_nothing()
    )
    if getattr(created, "rowcount", 1) == 1:
        for purpose in PURPOSES:
            session.add(
                StatusList(department_code=code, purpose=purpose, bits=bytes(statuslist.new_bits()), updated_at=now())
            )
        await session.flush()
        await add_seal_key(session, ctx, code=code)
    seal = await session.get(Seal, code)
    assert seal is not None
    return seal


async def add_seal_key(session: AsyncSession, ctx: Context, *, code: str) -> SealKey:
    kid = f"{code}#{now().strftime('%Y%m%d%H%M%S')}-{uuid.uuid4().hex[:6]}"
    key = generate_key(kid)
    row = SealKey(
        kid=kid,
        department_code=code,
        vc_private_enc=ctx.master_key.encrypt(key.vc_private, context=kid + "/vc"),
        vc_public_jwk=key.vc_public_jwk,
        sm2_private_enc=ctx.master_key.encrypt(key.sm2_private, context=kid + "/sm2"),
        sm2_public_hex=key.sm2_public.hex(),
        created_at=now(),
    )
    session.add(row)
    await session.flush()
    return row


async def current_key(session: AsyncSession, code: str) -> SealKey:
    key = await session.scalar(
        sa.select(SealKey)
        .where(SealKey.department_code == code, SealKey.retired_at.is_(None))
        .order_by(SealKey.created_at.desc())
        .limit(1)
    )
    if key is None:
        raise SealNotFound()
    return key


async def rotate_seal(session: AsyncSession, ctx: Context, *, code: str) -> SealKey:
    """A new current key; the old ones stop signing but stay published, so old licenses still verify."""
    if await session.get(Seal, code) is None:
        raise SealNotFound()
    await session.execute(
        sa.update(SealKey).where(SealKey.department_code == code, SealKey.retired_at.is_(None)).values(retired_at=now())
    )
    return await add_seal_key(session, ctx, code=code)


async def seal_keys(session: AsyncSession, code: str) -> list[SealKey]:
    return list(
        await session.scalars(sa.select(SealKey).where(SealKey.department_code == code).order_by(SealKey.created_at))
    )


# --- types -------------------------------------------------------------------------------------------


async def type_by_code(session: AsyncSession, code: str) -> LicenseType:
    row = await session.get(LicenseType, code)
    if row is None:
        raise LicenseTypeNotFound(type_code=code)
    return row


async def type_by_name(session: AsyncSession, name: str) -> LicenseType:
    row = await session.scalar(sa.select(LicenseType).where(LicenseType.name == name))
    if row is None:
        raise LicenseTypeNotFound(type_name=name)
    return row


def fields_from_case(license_type: LicenseType, offered: dict[str, Any]) -> dict[str, Any]:
    """The type's fields out of what an approved case offers (its whole form, item name, tracking number):
    each by its own name, else by the first of its ``sources`` the case fills; everything else stays out."""
    fields: dict[str, Any] = {}
    for spec in license_type.fields:
        for source in (spec["name"], *spec.get("sources", [])):
            if offered.get(source) not in (None, ""):
                fields[spec["name"]] = offered[source]
                break
    return fields


def check_fields(license_type: LicenseType, fields: dict[str, Any]) -> dict[str, Any]:
    """Only the type's fields, with every required one present (as text or numbers)."""
    known = {f["name"]: f for f in license_type.fields}
    unknown = sorted(set(fields) - set(known))
    missing = sorted(n for n, f in known.items() if f.get("required") and fields.get(n) in (None, ""))
    if unknown or missing:
        raise InvalidFields(unknown=unknown, missing=missing)
    bad = sorted(n for n, v in fields.items() if not isinstance(v, str | int | float))
    if bad:
        raise InvalidFields("field values are text or numbers", not_scalar=bad)
    return dict(fields)


def check_holder(holder: Holder) -> None:
    ok = (holder.id_type == "citizen_id" and is_id_number(holder.id_number)) or (
        holder.id_type == "credit_code" and is_credit_code(holder.id_number)
    )
    if not ok or not holder.name.strip():
        raise InvalidHolder(id_type=holder.id_type)


def default_validity(license_type: LicenseType, start: date) -> date | None:
    if license_type.validity_years is None:
        return None
    try:
        return start.replace(year=start.year + license_type.validity_years) - timedelta(days=1)
    except ValueError:  # 29 February
        return start.replace(month=2, day=28, year=start.year + license_type.validity_years)


# --- the credential ----------------------------------------------------------------------------------


def _day_start(d: date) -> str:
    return at_china_time(d).isoformat()


def _day_end(d: date) -> str:
    return end_of_china_day(d).astimezone(CHINA_TZ).replace(microsecond=0).isoformat()


def issuer_id(ctx: Context, code: str) -> str:
    return f"{ctx.settings.public_base_url}/v1/issuers/{code}"


def status_list_url(ctx: Context, code: str, purpose: str) -> str:
    return f"{ctx.settings.public_base_url}/v1/status-lists/{code}/{purpose}"


def holder_name_masked(lic: License) -> str:
    return mask_name(lic.holder_name, enterprise=lic.holder_id_type == "credit_code")


def credential(ctx: Context, lic: License, holder: Holder) -> dict[str, Any]:
    """The license as a W3C Verifiable Credential (Data Model 2.0). It names its holder only as far as
    verification needs: the identifier as a salted HMAC under a platform key (a verifier shown a number
    asks the platform, ``holder_id`` on ``POST /v1/verify``) and the name masked; the holder's wallet and
    the issuing staff read the rest from the API."""
    doc: dict[str, Any] = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": f"urn:uuid:{lic.id}",
        "type": ["VerifiableCredential", "ElectronicLicense"],
        "issuer": {"id": issuer_id(ctx, lic.issuer_code), "name": lic.issuer_name},
        "validFrom": _day_start(lic.valid_from),
        "credentialSubject": {
            "holder": {
                "id_type": holder.id_type,
                "id_digest": ctx.master_key.holder_digest(holder.id_number),
                "name": mask_name(holder.name, enterprise=holder.id_type == "credit_code"),
            },
            "license": {
                "identifier": lic.identifier,
                "type_code": lic.type_code,
                "type_name": lic.type_name,
                "version": lic.version,
                "fields": lic.fields,
            },
        },
        "credentialStatus": [
            {
                "id": f"{status_list_url(ctx, lic.issuer_code, purpose)}#{lic.status_index}",
                "type": "BitstringStatusListEntry",
                "statusPurpose": purpose,
                "statusListIndex": str(lic.status_index),
                "statusListCredential": status_list_url(ctx, lic.issuer_code, purpose),
            }
            for purpose in PURPOSES
        ],
    }
    if lic.valid_until is not None:
        doc["validUntil"] = _day_end(lic.valid_until)
    return doc


def vc_jwt(ctx: Context, lic: License) -> str:
    return ctx.master_key.decrypt(lic.vc_jwt_enc, context=str(lic.id)).decode()


def holder_id(ctx: Context, lic: License) -> str:
    return ctx.master_key.decrypt(lic.holder_id_enc, context=f"{lic.id}/holder").decode()


# --- issuing -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IssueRequest:
    license_type: LicenseType
    holder: Holder
    holder_subject: str | None
    issuer_code: str
    issuer_name: str
    region: str
    fields: dict[str, Any]
    valid_from: date | None = None
    valid_until: date | None = None
    case_id: str | None = None
    previous: License | None = None
    source_reference: str | None = None
    imported_by: str | None = None


async def issue(session: AsyncSession, ctx: Context, req: IssueRequest) -> License:
    """Issue, sign (VC-JWT), seal (SM2) and publish ``certificates.license.issued`` through the outbox."""
    check_holder(req.holder)
    fields = check_fields(req.license_type, req.fields)
    seal = await ensure_seal(session, ctx, code=req.issuer_code, name=req.issuer_name)
    # one index per license, the same in both lists; the row lock serialises allocation on PostgreSQL
    seal = (
        await session.scalars(sa.select(Seal).where(Seal.department_code == seal.department_code).with_for_update())
    ).one()
    index = seal.next_status_index
    if index >= statuslist.MIN_BITS:
        raise InvalidTransition("the department's status list is full")
    seal.next_status_index = index + 1
    key = await current_key(session, req.issuer_code)
    valid_from = req.valid_from or today_in_china()
    valid_until = req.valid_until or default_validity(req.license_type, valid_from)
    if valid_until is not None and valid_until < valid_from:
        raise InvalidFields("valid_until is before valid_from")
    lic_id = uuid.uuid4()
    version = req.previous.version + 1 if req.previous else 1
    serial = req.previous.identifier.split(".")[-3] if req.previous else lic_id.hex[:16].upper()
    lic = License(
        id=lic_id,
        identifier=make_identifier(
            type_code=req.license_type.code, issuer_code=req.issuer_code, serial=serial, version=version
        ),
        type_code=req.license_type.code,
        type_name=req.license_type.name,
        version=version,
        previous_id=req.previous.id if req.previous else None,
        holder_id_type=req.holder.id_type,
        holder_id_enc=ctx.master_key.encrypt(req.holder.id_number.encode(), context=f"{lic_id}/holder"),
        holder_id_index=ctx.master_key.blind_index(req.holder.id_number),
        holder_name=req.holder.name,
        holder_subject=req.holder_subject,
        issuer_code=req.issuer_code,
        issuer_name=seal.department_name,
        region=req.region,
        fields=fields,
        valid_from=valid_from,
        valid_until=valid_until,
        status="active",
        status_index=index,
        case_id=req.case_id,
        kid=key.kid,
        issued_at=now(),
        source_reference=req.source_reference,
        imported_by=req.imported_by,
    )
    doc = credential(ctx, lic, req.holder)
    ed_private = ctx.master_key.decrypt(key.vc_private_enc, context=key.kid + "/vc")
    sm2_private = ctx.master_key.decrypt(key.sm2_private_enc, context=key.kid + "/sm2")
    token = sign_vc_jwt(doc, kid=key.kid, private_pem=ed_private)
    lic.vc_jwt_enc = ctx.master_key.encrypt(token.encode(), context=str(lic_id))
    lic.sm2_signature = sm2_seal(
        canonical(doc), private_key=sm2_private, public_key=bytes.fromhex(key.sm2_public_hex)
    ).hex()
    session.add(lic)
    await session.flush()
    await publish(
        session,
        contract.LicenseIssued(
            license_id=str(lic.id),
            identifier=lic.identifier,
            type_code=lic.type_code,
            type_name=lic.type_name,
            holder=contract.Holder(subject=lic.holder_subject, name_masked=holder_name_masked(lic)),
            issuer=contract.Issuer(code=lic.issuer_code, name=lic.issuer_name),
            region=lic.region,
            valid_from=lic.valid_from,
            valid_until=lic.valid_until,
            case_id=lic.case_id,
            version=lic.version,
        ),
    )
    return lic


async def issue_for_case(
    session: AsyncSession,
    ctx: Context,
    *,
    case: ApprovedCase,
    license_type: LicenseType,
    fields: dict[str, Any],
    valid_from: date | None = None,
    valid_until: date | None = None,
) -> License:
    """Issue the license an approved case produces: the type its item names, to its applicant (a citizen
    resolved through identity, an enterprise by its credit code), sealed by its department, in its region."""
    if case.applicant_kind == "enterprise" and case.applicant_enterprise:
        holder = Holder(id_type="credit_code", id_number=case.applicant_enterprise, name=case.holder_name)
        subject = None
    else:
        resolved = await ctx.identity.holder(case.applicant_subject)
        holder = Holder(id_type="citizen_id", id_number=resolved.id_number, name=resolved.name)
        subject = case.applicant_subject
    return await issue(
        session,
        ctx,
        IssueRequest(
            license_type=license_type,
            holder=holder,
            holder_subject=subject,
            issuer_code=case.department_code,
            issuer_name=case.department_name,
            region=case.region,
            fields=fields,
            valid_from=valid_from,
            valid_until=valid_until,
            case_id=case.case_id,
        ),
    )


async def import_license(
    session: AsyncSession,
    ctx: Context,
    *,
    department: str,
    region: str,
    client_id: str,
    license_type: LicenseType,
    holder: Holder,
    fields: dict[str, Any],
    source_reference: str,
    valid_from: date | None = None,
    valid_until: date | None = None,
) -> License:
    """Issue a license ``department`` issued outside the platform (its own system's ``source_reference``)
    to ``holder`` by ID number, sealed by the department, in the system's ``region``: only a type one of
    the department's published items produces (``NotTheDepartmentsLicense`` otherwise)."""
    item = await session.scalar(
        sa.select(ItemLicense)
        .where(
            ItemLicense.department_code == department,
            ItemLicense.license_type_name == license_type.name,
            ItemLicense.withdrawn_at.is_(None),
        )
        .limit(1)
    )
    if item is None:
        raise NotTheDepartmentsLicense(type_code=license_type.code, department=department)
    check_holder(holder)
    clash = await session.scalar(
        sa.select(License.id).where(License.issuer_code == department, License.source_reference == source_reference)
    )
    if clash is not None:
        raise LicenseAlreadyImported(source_reference=source_reference, license_id=str(clash))
    return await issue(
        session,
        ctx,
        IssueRequest(
            license_type=license_type,
            holder=holder,
            holder_subject=None,
            issuer_code=department,
            issuer_name=item.department_name,
            region=region,
            fields=fields,
            valid_from=valid_from,
            valid_until=valid_until,
            source_reference=source_reference,
            imported_by=client_id,
        ),
    )


# --- status ------------------------------------------------------------------------------------------


async def _set_bit(session: AsyncSession, lic: License, purpose: str, value: bool) -> None:
    row = (
        await session.scalars(
            sa.select(StatusList)
            .where(StatusList.department_code == lic.issuer_code, StatusList.purpose == purpose)
            .with_for_update()
        )
    ).one()
    bits = bytearray(row.bits)
    statuslist.set_bit(bits, lic.status_index, value)
    row.bits = bytes(bits)
    row.updated_at = now()


async def get_license(session: AsyncSession, license_id: uuid.UUID) -> License:
    lic = await session.get(License, license_id)
    if lic is None:
        raise LicenseNotFound()
    return lic


async def change_status(session: AsyncSession, *, lic: License, action: str, reason: str) -> License:
    """``suspend``, ``lift`` (a suspension) or ``revoke``, with a reason (the caller checked that the issuing
    department acts: :func:`certificates.licenses.authorise.authorise_issuer`)."""
    allowed = {"suspend": ("active",), "lift": ("suspended",), "revoke": ("active", "suspended")}
    if lic.status not in allowed[action]:
        raise InvalidTransition(current_status=lic.status, action=action)
    if action == "suspend":
        await _set_bit(session, lic, "suspension", True)
        lic.status = "suspended"
    elif action == "lift":
        await _set_bit(session, lic, "suspension", False)
        lic.status = "active"
    else:
        await _set_bit(session, lic, "suspension", False)
        await _set_bit(session, lic, "revocation", True)
        lic.status = "revoked"
        await publish(
            session,
            contract.LicenseRevoked(license_id=str(lic.id), reason=reason, revoked_at=now(), region=lic.region),
        )
    lic.status_reason = reason
    await session.flush()
    return lic


async def renew(
    session: AsyncSession,
    ctx: Context,
    *,
    lic: License,
    fields: dict[str, Any] | None,
    valid_until: date | None,
) -> License:
    """A new version linked to the old one, in the old one's region; the old one is revoked with reason
    "renewed" (the caller checked that the issuing department acts)."""
    assert lic.region is not None, "authorise_issuer gives every license it passes a region"
    if lic.status != "active":
        raise InvalidTransition(current_status=lic.status, action="renew")
    license_type = await type_by_code(session, lic.type_code)
    if verify_stored(ctx, lic, await session.get(SealKey, lic.kid)) is None:
        raise InvalidTransition("the stored license fails its own signature check")
    holder = Holder(id_type=lic.holder_id_type, id_number=holder_id(ctx, lic), name=lic.holder_name)
    new = await issue(
        session,
        ctx,
        IssueRequest(
            license_type=license_type,
            holder=holder,
            holder_subject=lic.holder_subject,
            issuer_code=lic.issuer_code,
            issuer_name=lic.issuer_name,
            region=lic.region,
            fields={**lic.fields, **(fields or {})},
            valid_until=valid_until,
            previous=lic,
        ),
    )
    await change_status(session, lic=lic, action="revoke", reason="renewed")
    lic.status = "superseded"
    return new


# --- verification ------------------------------------------------------------------------------------


def verify_stored(ctx: Context, lic: License, key: SealKey | None) -> dict[str, Any] | None:
    """The credential if both the VC-JWT signature and the SM2 seal hold, else ``None``."""
    if key is None:
        return None
    doc = verify_vc_jwt(vc_jwt(ctx, lic), key.vc_public_jwk)
    if doc is None:
        return None
    ok = sm2_verify(canonical(doc), bytes.fromhex(lic.sm2_signature), public_key=bytes.fromhex(key.sm2_public_hex))
    return doc if ok else None


async def status_bits(session: AsyncSession, code: str) -> dict[str, bytes]:
    rows = await session.scalars(sa.select(StatusList).where(StatusList.department_code == code))
    return {r.purpose: r.bits for r in rows}
