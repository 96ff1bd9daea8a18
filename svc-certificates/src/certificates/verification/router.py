"""Public verification (no login, rate limited per client address): give the vc+jwt, or the identifier
from the QR code (of a license, or of a case notice), and get authentic / tampered / revoked / suspended / expired / unknown. Only an authentic
license is described (type, issuer, validity, masked holder name, all read from our own signed copy); any
other answer is the verdict alone, so that a forged or dead credential gets nothing of its claims echoed
back with our name on it. Whether an ID number the holder showed is the license's (``holder_id``) only the
platform can tell (the credential commits it under a platform key), a few times per license per hour."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from certificates import statuslist
from certificates.context import Context, get_context
from certificates.errors import HolderCheckLimited, InvalidVerificationRequest, RateLimited
from certificates.identifiers import mask_name, parse_identifier
from certificates.licenses import service
from certificates.licenses.schemas import VerifyRequest, VerifyResult
from certificates.models import License, Notice, SealKey
from certificates.notices import service as notices
from certificates.sealing import canonical, jwt_header, sm2_verify, verify_vc_jwt
from gov_common.deps import SessionDep

router = APIRouter(prefix="/v1/verify", tags=["verification"])


def _limit(request: Request, ctx: Annotated[Context, Depends(get_context)]) -> Context:
    client = request.client.host if request.client else "unknown"
    if not ctx.allow_verification(client):
        raise RateLimited(headers={"Retry-After": "60"})
    return ctx


LimitedCtx = Annotated[Context, Depends(_limit)]


def _failed(result: str) -> VerifyResult:
    return VerifyResult(result=result, checked_at=datetime.now(UTC))


def _holder_id_matches(ctx: Context, identifier: str, committed: Any, holder_id: str | None) -> bool | None:
    """Whether ``holder_id`` is the one ``committed`` in the license ``identifier``'s credential (``None``
    if not asked, or for a credential issued before keyed digests); ``HolderCheckLimited`` once the
    license's checks this hour are spent, before anything is computed."""
    if holder_id is None:
        return None
    retry_after = ctx.holder_check_retry_after(identifier)
    if retry_after is not None:
        raise HolderCheckLimited(headers={"Retry-After": str(retry_after)})
    return ctx.master_key.holder_digest_matches(committed, holder_id)


def _authentic(ctx: Context, doc: dict[str, Any], holder_id: str | None) -> VerifyResult:
    subject = doc.get("credentialSubject", {})
    lic, holder = subject.get("license", {}), subject.get("holder", {})
    issuer = doc.get("issuer", {})
    matches = _holder_id_matches(ctx, str(lic.get("identifier")), holder.get("id_digest"), holder_id)
    return VerifyResult(
        result="authentic",
        identifier=lic.get("identifier"),
        type_name=lic.get("type_name"),
        issuer={"id": str(issuer.get("id")), "name": str(issuer.get("name"))},
        valid_from=doc.get("validFrom"),
        valid_until=doc.get("validUntil"),
        holder_name_masked=mask_name(str(holder.get("name", "")), enterprise=holder.get("id_type") == "credit_code"),
        holder_id_matches=matches,
        checked_at=datetime.now(UTC),
    )


async def _verdict(session: AsyncSession, ctx: Context, doc: dict[str, Any], holder_id: str | None) -> VerifyResult:
    result = await _status(session, doc)
    return _authentic(ctx, doc, holder_id) if result == "authentic" else _failed(result)


async def _status(session: AsyncSession, doc: dict[str, Any]) -> str:
    """Read the credential's status entries from our status lists, then its validity period."""
    code = str(doc["issuer"]["id"]).rsplit("/", 1)[-1]
    bits = await service.status_bits(session, code)
    flags = {
        entry["statusPurpose"]: statuslist.get_bit(bits[entry["statusPurpose"]], int(entry["statusListIndex"]))
        for entry in doc.get("credentialStatus", [])
        if entry.get("statusPurpose") in bits
    }
    if flags.get("revocation"):
        return "revoked"
    if flags.get("suspension"):
        return "suspended"
    until = doc.get("validUntil")
    if until and datetime.fromisoformat(until) < datetime.now(UTC):
        return "expired"
    return "authentic"


async def verify_credential(
    session: AsyncSession, ctx: Context, token: str, holder_id: str | None = None
) -> VerifyResult:
    """Our signature (a key we published) and, for a license we hold, its SM2 seal; then its status."""
    try:
        kid = jwt_header(token).get("kid")
    except ValueError:
        return _failed("tampered")
    key = await session.get(SealKey, kid) if isinstance(kid, str) else None
    doc = verify_vc_jwt(token, key.vc_public_jwk) if key else None
    if doc is None or key is None or not isinstance(doc.get("issuer"), dict):
        return _failed("tampered")
    lic = await session.scalar(sa.select(License).where(License.id == _uuid(doc.get("id"))))
    if lic is not None:
        seal_ok = sm2_verify(
            canonical(doc), bytes.fromhex(lic.sm2_signature), public_key=bytes.fromhex(key.sm2_public_hex)
        )
        if not seal_ok:
            return _failed("tampered")
    return await _verdict(session, ctx, doc, holder_id)


def _uuid(value: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value).removeprefix("urn:uuid:"))
    except ValueError:
        return None


async def verify_notice(session: AsyncSession, number: str) -> VerifyResult:
    """A case notice by its number: authentic when its stored document's SM2 seal holds under the key it
    names; described by title, issuer and day of issue only (the facts are the applicant's)."""
    notice = await session.scalar(sa.select(Notice).where(Notice.number == number))
    if notice is None:
        return _failed("unknown")
    if not notices.seal_holds(notice, await session.get(SealKey, notice.kid)):
        return _failed("tampered")
    issuer = notice.document["issuer"]
    return VerifyResult(
        result="authentic",
        identifier=notice.number,
        type_name=str(notice.document["title"]),
        issuer={"id": str(issuer["id"]), "name": str(issuer["name"])},
        valid_from=str(notice.document["issued_at"]),
        checked_at=datetime.now(UTC),
    )


async def verify_identifier(
    session: AsyncSession, ctx: Context, identifier: str, holder_id: str | None = None
) -> VerifyResult:
    if notices.is_notice_number(identifier) and holder_id is None:
        return await verify_notice(session, identifier)
    try:
        parse_identifier(identifier)
    except ValueError:
        return _failed("tampered")
    lic = await session.scalar(sa.select(License).where(License.identifier == identifier))
    if lic is None:
        return _failed("unknown")
    doc = service.verify_stored(ctx, lic, await session.get(SealKey, lic.kid))
    if doc is None:
        return _failed("tampered")
    return await _verdict(session, ctx, doc, holder_id)


@router.post(
    "",
    response_model=VerifyResult,
    summary="Verify a license (public, no login)",
    responses={429: {"description": "too many requests from this address, or holder-ID checks of this license"}},
)
async def verify(body: VerifyRequest, session: SessionDep, ctx: LimitedCtx) -> VerifyResult:
    if bool(body.credential) == bool(body.identifier):
        raise InvalidVerificationRequest("send exactly one of credential and identifier")
    if body.credential:
        return await verify_credential(session, ctx, body.credential, body.holder_id)
    assert body.identifier is not None
    return await verify_identifier(session, ctx, body.identifier, body.holder_id)


@router.get("/{identifier}", response_model=VerifyResult, summary="Verify by the identifier in the QR code (public)")
async def verify_by_identifier(identifier: str, session: SessionDep, ctx: LimitedCtx) -> VerifyResult:
    return await verify_identifier(session, ctx, identifier)
