"""Case notices (办件通知书): what workflow decided at the acceptance step, as a document sealed by the
case's department with the same e-seal keys as its licences, verifiable by its number (the QR code) on the
public verification endpoint and offline against the issuer's published SM2 keys.

Issued once per workflow event (the consumer's inbox), never by hand: a notice says only what the case's
events say. Functions take the session and never commit."""

from __future__ import annotations

import base64
import json
import re
import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from certificates.context import Context
from certificates.licenses.service import current_key, ensure_seal, issuer_id
from certificates.models import ItemLicense, Notice, SealKey
from certificates.sealing import SM2_SIGNER_ID, canonical, sm2_seal, sm2_verify
from gov_contracts.workflow import CaseAccepted, CaseEvent, CaseRefused, SupplementRequested
from gov_standards.china_time import CHINA_TZ, china_date
from gov_standards.china_time import utcnow as now

TITLES = {"acceptance": "受理通知书", "refusal": "不予受理通知书", "supplement": "补正材料通知书"}
# The number's letter per kind: N-<tracking number>-<letter><n-th of that kind for the case>.
LETTERS = {"acceptance": "A", "refusal": "R", "supplement": "S"}
SEAL_ALG = "SM2-SM3"
NUMBER_PATTERN = r"^N-\d{20}-[ARS]\d{1,3}$"


def is_notice_number(value: str) -> bool:
    return re.fullmatch(NUMBER_PATTERN, value) is not None


def _facts(event: CaseEvent) -> tuple[str, dict[str, Any]]:
    if isinstance(event, CaseAccepted):
        accepted_on = china_date(event.occurred_at).isoformat()
        return "acceptance", {"accepted_on": accepted_on, "deadline": event.deadline.isoformat()}
    if isinstance(event, CaseRefused):
        return "refusal", {"reason": event.reason}
    assert isinstance(event, SupplementRequested)
    return "supplement", {"missing": [m.model_dump() for m in event.missing], "note": event.note}


async def issue_for_event(session: AsyncSession, ctx: Context, event: CaseEvent) -> Notice:
    """Seal the notice of ``event`` (accepted, refused or supplement requested) by the case's department."""
    kind, facts = _facts(event)
    item = await session.get(ItemLicense, event.item_code)
    dept_name = item.department_name if item and item.department_code == event.department else event.department
    seal = await ensure_seal(session, ctx, code=event.department, name=dept_name)
    key = await current_key(session, event.department)
    earlier = await session.scalar(
        sa.select(sa.func.count()).select_from(Notice).where(Notice.case_id == event.case_id, Notice.kind == kind)
    )
    number = f"N-{event.tracking_number}-{LETTERS[kind]}{int(earlier or 0) + 1}"
    issued = now()
    document: dict[str, Any] = {
        "type": "CaseNotice",
        "kind": kind,
        "title": TITLES[kind],
        "number": number,
        "issuer": {"id": issuer_id(ctx, event.department), "code": event.department, "name": seal.department_name},
        "issued_at": issued.astimezone(CHINA_TZ).replace(microsecond=0).isoformat(),
        "case": {
            "tracking_number": event.tracking_number,
            "item_code": event.item_code,
            "item_name": event.item_name,
            "region": event.region,
        },
        "facts": facts,
    }
    private = ctx.master_key.decrypt(key.sm2_private_enc, context=key.kid + "/sm2")
    signature = sm2_seal(canonical(document), private_key=private, public_key=bytes.fromhex(key.sm2_public_hex))
    notice = Notice(
        id=uuid.uuid4(),
        number=number,
        kind=kind,
        case_id=event.case_id,
        application_id=event.application_id,
        tracking_number=event.tracking_number,
        region=event.region,
        department_code=event.department,
        applicant_kind=event.applicant.kind,
        applicant_subject=event.applicant.subject or None,
        applicant_enterprise=event.applicant.enterprise if event.applicant.kind == "enterprise" else None,
        document=document,
        kid=key.kid,
        sm2_signature=signature.hex(),
        issued_at=issued,
    )
    session.add(notice)
    await session.flush()
    return notice


def seal_token(notice: Notice, key: SealKey) -> str:
    """What the PDF carries (its Keywords): the signed document's exact bytes, the signature and the key id,
    so that anyone holding the paper's file checks the seal against ``GET /v1/issuers/{dept}`` offline."""
    body = {
        "alg": SEAL_ALG,
        "kid": key.kid,
        "signer_id": SM2_SIGNER_ID.decode(),
        "document": base64.urlsafe_b64encode(canonical(notice.document)).decode().rstrip("="),
        "signature": notice.sm2_signature,
    }
    return "gov-seal:" + base64.urlsafe_b64encode(json.dumps(body, separators=(",", ":")).encode()).decode().rstrip("=")


def seal_holds(notice: Notice, key: SealKey | None) -> bool:
    if key is None or key.department_code != notice.department_code:
        return False
    try:
        signature = bytes.fromhex(notice.sm2_signature)
    except ValueError:
        return False
    return sm2_verify(canonical(notice.document), signature, public_key=bytes.fromhex(key.sm2_public_hex))


async def notices_of_case(session: AsyncSession, case_id: str) -> list[Notice]:
    return list(
        await session.scalars(sa.select(Notice).where(Notice.case_id == case_id).order_by(Notice.issued_at).limit(50))
    )
