"""Bulk import of legacy cases and licenses (CSV or JSON): each row validated on its own, idempotent on
re-run (keyed by the legacy id), a per-row error report; legacy identifiers failing today's check
characters are kept and flagged, not dropped. Personal identifiers are kept only as a keyed hash."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime
from typing import Annotated, Any, Literal

import sqlalchemy as sa
from fastapi import APIRouter, Path, Request
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy.ext.asyncio import AsyncSession

from exchange.access import PlatformAdminDep, SettingsDep
from exchange.cases import upsert_case
from exchange.errors import BadImportFile
from exchange.events import CaseStatus
from exchange.identifiers import REGION, blind_index, citizen_id_valid, credit_code_shape_ok, credit_code_valid
from exchange.models import LegacyLicense
from gov_common.deps import SessionDep
from gov_common.pagination import IsoDateTime

router = APIRouter(prefix="/v1/imports", tags=["historical data"])
MAX_BYTES = 20 * 1024 * 1024
MAX_ROWS = 100_000
LEGACY_SOURCE = "legacy-import"
IdType = Literal["citizen_id", "credit_code"]


def _holder_flag(id_type: str, value: str, field: str) -> list[str]:
    ok = citizen_id_valid(value) if id_type == "citizen_id" else credit_code_valid(value)
    return [] if ok else [f"{field}_check_failed"]


def _id_shape(id_type: str, value: str) -> str:
    value = value.strip().upper()
    if id_type == "citizen_id" and not (len(value) == 18 and value[:17].isdigit()):
        raise ValueError("a citizen ID number has 17 digits and a check character")
    if id_type == "credit_code" and not credit_code_shape_ok(value):
        raise ValueError("a credit code has 18 characters of its alphabet")
    return value


class LegacyCase(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)
    legacy_id: str = Field(min_length=1, max_length=100)
    tracking_number: str | None = Field(default=None, max_length=100)
    item_code: str = Field(min_length=1, max_length=200)
    item_name: str | None = Field(default=None, max_length=300)
    region: str
    department: str
    applicant_id_type: IdType
    applicant_id: str
    status: CaseStatus
    received_at: IsoDateTime
    status_at: IsoDateTime | None = None

    @field_validator("region")
    @classmethod
    def _region(cls, value: str) -> str:
        if not REGION.match(value):
            raise ValueError("region must be a Guangxi GB/T 2260 code")
        return value

    @field_validator("department")
    @classmethod
    def _dept(cls, value: str) -> str:
        return _id_shape("credit_code", value)

    @field_validator("received_at", "status_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("times need their offset (RFC 3339)")
        return value

    def flags(self) -> list[str]:
        flags = [] if credit_code_valid(self.department) else ["department_check_failed"]
        return flags + _holder_flag(
            self.applicant_id_type, _id_shape(self.applicant_id_type, self.applicant_id), "applicant_id"
        )


class LegacyLicenseRow(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)
    legacy_id: str = Field(min_length=1, max_length=100)
    number: str = Field(min_length=1, max_length=100)
    type_code: str = Field(min_length=1, max_length=50)
    type_name: str = Field(min_length=1, max_length=200)
    issuer_code: str
    holder_id_type: IdType
    holder_id: str
    issued_on: date

    @field_validator("issuer_code")
    @classmethod
    def _issuer(cls, value: str) -> str:
        return _id_shape("credit_code", value)

    def flags(self) -> list[str]:
        flags = [] if credit_code_valid(self.issuer_code) else ["issuer_code_check_failed"]
        return flags + _holder_flag(self.holder_id_type, _id_shape(self.holder_id_type, self.holder_id), "holder_id")


class RowProblem(BaseModel):
    row: int = Field(description="1-based position of the record in the file (CSV: data rows after the header)")
    legacy_id: str | None
    errors: list[dict[str, str]] = Field(default_factory=list)
    flags: list[str] = Field(default_factory=list)


class ImportReport(BaseModel):
    kind: str
    rows: int
    created: int
    unchanged: int
    updated: int
    errors: list[RowProblem]
    flagged: list[RowProblem]


def parse_file(raw: bytes, content_type: str) -> list[dict[str, Any]]:
    """Rows of a CSV (header line first) or JSON (array of objects) file."""
    if len(raw) > MAX_BYTES:
        raise BadImportFile(f"files up to {MAX_BYTES} bytes")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BadImportFile("the file must be UTF-8") from exc
    media = content_type.split(";")[0].strip().lower()
    if media == "application/json":
        try:
            rows = json.loads(text)
        except json.JSONDecodeError as exc:
            raise BadImportFile(f"not JSON: {exc.msg} at line {exc.lineno}") from exc
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise BadImportFile("a JSON import is an array of objects")
    elif media == "text/csv":
        reader = csv.DictReader(io.StringIO(text))
        if "legacy_id" not in (reader.fieldnames or ()):
            raise BadImportFile("the first line of a CSV import names its columns, legacy_id among them")
        rows = [{k: (v if v != "" else None) for k, v in r.items() if k} for r in reader]
    else:
        raise BadImportFile("send text/csv or application/json", content_type=media)
    if len(rows) > MAX_ROWS:
        raise BadImportFile(f"at most {MAX_ROWS} rows per file")
    return rows


def _problems(exc: ValidationError) -> list[dict[str, str]]:
    return [{"field": ".".join(str(p) for p in e["loc"]), "code": e["type"], "message": e["msg"]} for e in exc.errors()]


async def import_rows(
    session: AsyncSession, *, kind: Literal["cases", "licenses"], rows: list[dict[str, Any]], key: str
) -> dict[str, Any]:
    counts = {"created": 0, "unchanged": 0, "updated": 0}
    errors: list[dict[str, Any]] = []
    flagged: list[dict[str, Any]] = []
    seen: set[str] = set()
    for number, raw in enumerate(rows, start=1):
        legacy_id = raw.get("legacy_id") if isinstance(raw.get("legacy_id"), str) else None
        try:
            row: LegacyCase | LegacyLicenseRow = (LegacyCase if kind == "cases" else LegacyLicenseRow).model_validate(
                raw
            )
            flags = row.flags()
        except (ValidationError, ValueError) as exc:
            problems = _problems(exc) if isinstance(exc, ValidationError) else [{"field": "", "message": str(exc)}]
            errors.append({"row": number, "legacy_id": legacy_id, "errors": problems})
            continue
        if row.legacy_id in seen:
            errors.append(
                {
                    "row": number,
                    "legacy_id": row.legacy_id,
                    "errors": [{"field": "legacy_id", "message": "repeated in this file"}],
                }
            )
            continue
        seen.add(row.legacy_id)
        if flags:
            flagged.append({"row": number, "legacy_id": row.legacy_id, "flags": flags})
        if isinstance(row, LegacyCase):
            outcome = await upsert_case(
                session,
                source=LEGACY_SOURCE,
                origin="legacy_import",
                external_id=row.legacy_id,
                fields={
                    "tracking_number": row.tracking_number,
                    "item_code": row.item_code,
                    "item_name": row.item_name,
                    "region": row.region,
                    "department": row.department,
                    "status": row.status,
                    "status_at": row.status_at or row.received_at,
                    "received_at": row.received_at,
                    "flags": flags,
                    "applicant_id_hash": blind_index(key, row.applicant_id),
                },
            )
        else:
            existing = await session.scalar(sa.select(LegacyLicense.id).where(LegacyLicense.legacy_id == row.legacy_id))
            if existing is None:
                session.add(
                    LegacyLicense(
                        legacy_id=row.legacy_id,
                        number=row.number,
                        type_code=row.type_code,
                        type_name=row.type_name,
                        issuer_code=row.issuer_code,
                        holder_id_type=row.holder_id_type,
                        holder_id_hash=blind_index(key, row.holder_id),
                        issued_on=row.issued_on.isoformat(),
                        flags=flags,
                    )
                )
                outcome = "created"
            else:
                outcome = "unchanged"
        counts[outcome] += 1
    await session.flush()
    return {"kind": kind, "rows": len(rows), **counts, "errors": errors, "flagged": flagged}


@router.post(
    "/{kind}",
    response_model=ImportReport,
    summary="Import legacy cases or licenses from a CSV or JSON file",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "text/csv": {"schema": {"type": "string"}},
                "application/json": {"schema": {"type": "array", "items": {"type": "object"}}},
            },
        }
    },
)
async def import_file(
    kind: Annotated[Literal["cases", "licenses"], Path()],
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    _: PlatformAdminDep,
) -> Any:
    """Platform admins. Good rows are kept, bad rows come back in ``errors`` (by row number); running
    the same file again creates nothing (rows are keyed by ``legacy_id``)."""
    rows = parse_file(await request.body(), request.headers.get("content-type", ""))
    return await import_rows(session, kind=kind, rows=rows, key=settings.effective_blind_index_key())
