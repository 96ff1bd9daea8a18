"""Bulk import of legacy cases and licenses (CSV or JSON): each row validated on its own, idempotent on
re-run (keyed by the legacy id), a per-row error report. Personal identifiers are kept only as a keyed hash."""

from __future__ import annotations

import csv
import io
import json
from typing import Any, Literal

import sqlalchemy as sa
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from exchange.errors import BadImportFile
from exchange.identifiers import blind_index
from exchange.imports.schemas import LegacyCase, LegacyLicenseRow
from exchange.inbound.service import LEGACY_SOURCE, record_errors, upsert_case
from exchange.models import LegacyLicense
from gov_common.crypto import BlindIndex

MAX_BYTES = 20 * 1024 * 1024


MAX_ROWS = 100_000


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


async def import_rows(
    session: AsyncSession, *, kind: Literal["cases", "licenses"], rows: list[dict[str, Any]], index: BlindIndex
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
            problems = record_errors(exc) if isinstance(exc, ValidationError) else [{"field": "", "message": str(exc)}]
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
                    "applicant_id_hash": blind_index(index, row.applicant_id),
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
                        holder_id_hash=blind_index(index, row.holder_id),
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
