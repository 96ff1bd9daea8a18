"""Demo data for ``make run``: a Nanning city platform, the shared-data catalog and a few records.
Idempotent: running it again adds nothing."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from exchange.access import SCOPE_CASES_WRITE, SCOPE_CATALOG_READ, SCOPE_HOTLINE, SCOPE_SHARED_QUERY, SCOPE_WEBHOOKS
from exchange.models import ExternalSystem, SharedDataset, SharedRecord
from gov_common.settings import ServiceSettings

NANNING_MARKET = "11450100MBQH0Y21QM"  # 南宁市市场监督管理局 (as in the catalog's items)
PUBLIC_SECURITY = "11450000MB1502383N"  # population base owner (demo)
DEMO_CLIENT = "nanning-city-platform"

DATASETS: list[dict[str, Any]] = [
    {
        "code": "population-base",
        "name": "人口基础信息库",
        "owner_department": PUBLIC_SECURITY,
        "fields": ["person_key", "name", "gender", "birth_date", "household_region", "marital_status"],
        "key_field": "person_key",
        "description": "Population base; person_key is the keyed hash of the ID number.",
    },
    {
        "code": "legal-person-base",
        "name": "法人单位基础信息库",
        "owner_department": NANNING_MARKET,
        "fields": ["credit_code", "name", "legal_representative", "registered_capital_fen", "status", "region"],
        "key_field": "credit_code",
        "description": "Legal-person base of registered market entities.",
    },
    {
        "code": "licenses",
        "name": "电子证照目录",
        "owner_department": NANNING_MARKET,
        "fields": ["license_number", "type_code", "holder_name", "valid_until", "status"],
        "key_field": "license_number",
    },
    {
        "code": "case-results",
        "name": "办件结果信息",
        "owner_department": NANNING_MARKET,
        "fields": ["tracking_number", "item_code", "result", "completed_at"],
        "key_field": "tracking_number",
    },
]

# Then the legal persons of identity's synthetic legal-person base (identity.basedata.SYNTHETIC_LEGAL_PERSONS),
# which identity checks enterprise registrations against; the representative masked, as the dataset shares it.
LEGAL_PERSONS: list[dict[str, Any]] = [
    {  # a legacy record whose check character is wrong (tests/e2e/test_city_platform.py reads it)
        "credit_code": "91450100MA5KXXXX0B",
        "name": "南宁示例科技有限公司",
        "legal_representative": "张**",
        "registered_capital_fen": 100_000_000,
        "status": "存续",
        "region": "450103",
    },
    {
        "credit_code": "914501000000000109",
        "name": "广西示例科技有限公司",
        "legal_representative": "李*",
        "registered_capital_fen": 100_000_000,
        "status": "存续",
        "region": "450100",
    },
    {
        "credit_code": "91450100MA5P0E2X04",
        "name": "南宁另一家公司 (e2e)",
        "legal_representative": "张*",
        "registered_capital_fen": 10_000_000,
        "status": "存续",
        "region": "450100",
    },
    {
        "credit_code": "91450103MA5R8K2L0D",
        "name": "南宁青秀示例贸易有限公司",
        "legal_representative": "陈*",
        "registered_capital_fen": 50_000_000,
        "status": "存续",
        "region": "450103",
    },
]


async def seed(session: AsyncSession, settings: ServiceSettings) -> list[str]:
    if await session.scalar(sa.select(ExternalSystem.id).where(ExternalSystem.client_id == DEMO_CLIENT)) is None:
        session.add(
            ExternalSystem(
                identifier=f"GX/city/{NANNING_MARKET}/nanning-platform",
                name="南宁市政务服务平台",
                kind="city_platform",
                region="450100",
                department=NANNING_MARKET,
                client_id=DEMO_CLIENT,
                scopes=sorted(
                    [SCOPE_CATALOG_READ, SCOPE_CASES_WRITE, SCOPE_WEBHOOKS, SCOPE_SHARED_QUERY, SCOPE_HOTLINE]
                ),
                created_by="demo",
            )
        )
    for spec in DATASETS:
        if await session.get(SharedDataset, spec["code"]) is None:
            session.add(
                SharedDataset(
                    description=spec.get("description", ""), **{k: v for k, v in spec.items() if k != "description"}
                )
            )
    await session.flush()
    for record in LEGAL_PERSONS:
        key = {"dataset_code": "legal-person-base", "record_key": record["credit_code"]}
        if await session.scalar(sa.select(SharedRecord.id).filter_by(**key)) is None:
            session.add(SharedRecord(**key, data=record))
    return [
        f"exchange: city platform client '{DEMO_CLIENT}' registered for region 450100 (Nanning)",
        "exchange: shared datasets population-base, legal-person-base, licenses, case-results",
        "exchange: try GET /api/exchange/v1/datasets with a staff token",
    ]
