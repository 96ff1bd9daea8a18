"""Public verification (no login, rate limited per client address): give the vc+jwt, or the identifier
from the QR code, and get authentic / tampered / revoked / suspended / expired with issuer and validity."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from certificates import statuslist
from certificates.context import Context, get_context
from certificates.errors import InvalidVerificationRequest, RateLimited
from certificates.identifiers import mask_name, parse_identifier
from certificates.licenses import service
from certificates.licenses.schemas import VerifyRequest, VerifyResult
from certificates.models import License, SealKey
from certificates.sealing import canonical, jwt_header, sm2_verify, unverified_payload, verify_vc_jwt
from gov_common.deps import SessionDep

router = APIRouter(prefix="/v1/verify", tags=["verification"])


def _limit(request: Request, ctx: Annotated[Context, Depends(get_context)]) -> Context:
    client = request.client.host if request.client else "unknown"
    if not ctx.allow_verification(client):
        raise RateLimited(headers={"Retry-After": "60"})
    return ctx


LimitedCtx = Annotated[Context, Depends(_limit)]


def _result(result: str, doc: dict[str, Any] | None = None) -> VerifyResult:
    if doc is None:
        return VerifyResult(result=result, checked_at=datetime.now(UTC))
    subject = doc.get("credentialSubject", {})
    lic = subject.get("license", {})
    issuer = doc.get("issuer", {})
    return VerifyResult(
        result=result,
        identifier=lic.get("identifier"),
        type_name=lic.get("type_name"),
        issuer={"id": str(issuer.get("id")), "name": str(issuer.get("name"))},
        valid_from=doc.get("validFrom"),
        valid_until=doc.get("validUntil"),
        holder_name_masked=mask_name(str(subject.get("holder", {}).get("name", ""))),
        checked_at=datetime.now(UTC),
    )


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


async def verify_credential(session: AsyncSession, token: str) -> VerifyResult:
    try:
        kid = jwt_header(token).get("kid")
        claimed = unverified_payload(token)
    except ValueError:
        return _result("tampered")
    key = await session.get(SealKey, str(kid)) if isinstance(kid, str) else None
    doc = verify_vc_jwt(token, key.vc_public_jwk) if key else None
    if doc is None or key is None:
        return _result("tampered", claimed if isinstance(claimed.get("issuer"), dict) else None)
    lic = await session.scalar(sa.select(License).where(License.id == _uuid(doc.get("id"))))
    if lic is not None:
        seal_ok = sm2_verify(
            canonical(doc), bytes.fromhex(lic.sm2_signature), public_key=bytes.fromhex(key.sm2_public_hex)
        )
        if not seal_ok:
            return _result("tampered", doc)
    return _result(await _status(session, doc), doc)


def _uuid(value: Any) -> Any:
    import uuid

    try:
        return uuid.UUID(str(value).removeprefix("urn:uuid:"))
    except ValueError:
        return None


async def verify_identifier(session: AsyncSession, ctx: Context, identifier: str) -> VerifyResult:
    try:
        parse_identifier(identifier)
    except ValueError:
        return _result("tampered")
    lic = await session.scalar(sa.select(License).where(License.identifier == identifier))
    if lic is None:
        return _result("unknown")
    doc = service.verify_stored(ctx, lic, await session.get(SealKey, lic.kid))
    if doc is None:
        return _result("tampered")
    return _result(await _status(session, doc), doc)


@router.post("", response_model=VerifyResult, summary="Verify a license (public, no login)")
async def verify(body: VerifyRequest, session: SessionDep, ctx: LimitedCtx) -> VerifyResult:
    if bool(body.credential) == bool(body.identifier):
        raise InvalidVerificationRequest("send exactly one of credential and identifier")
    if body.credential:
        return await verify_credential(session, body.credential)
    assert body.identifier is not None
    return await verify_identifier(session, ctx, body.identifier)


@router.get("/{identifier}", response_model=VerifyResult, summary="Verify by the identifier in the QR code (public)")
async def verify_by_identifier(identifier: str, session: SessionDep, ctx: LimitedCtx) -> VerifyResult:
    return await verify_identifier(session, ctx, identifier)
