"""Demo data for `make run`: the license types the demo catalog's items produce, and the demo citizen's
business licence. Idempotent."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from certificates.context import Context, Holder
from certificates.licenses.service import IssueRequest, issue
from certificates.models import License, LicenseType
from certificates.settings import Settings
from gov_common.service import demo_subject
from gov_common.settings import ServiceSettings

# Type codes are placeholders in the national format's position (the real codes come from the national
# license catalog); names match catalog items' result_license_type. A field's ``sources`` name the form fields
# of the demo catalog's items that fill it when a license is issued on approval.
# Types without fields of their own name their holder, from the case's form.
SUBJECT_NAME = {
    "name": "subject_name",
    "label": "持证主体",
    "required": False,
    "sources": ["enterprise_name", "applicant_name"],
}
DEMO_TYPES: list[dict[str, Any]] = [
    {
        "code": "11100000000013338W001",
        "name": "营业执照",
        "department_name": "市场监督管理部门",
        "fields": [
            {"name": "entity_name", "label": "名称", "required": True, "sources": ["enterprise_name", "business_name"]},
            {"name": "entity_type", "label": "类型", "required": False},
            {"name": "legal_representative", "label": "法定代表人", "required": False},
            {"name": "business_scope", "label": "经营范围", "required": False},
            {"name": "address", "label": "住所", "required": False, "sources": ["business_address"]},
        ],
        "validity_years": None,
    },
    {
        "code": "11100000000013338W011",
        "name": "食品经营许可证",
        "department_name": "市场监督管理部门",
        "fields": [
            {"name": "operator_name", "label": "经营者名称", "required": True, "sources": ["enterprise_name"]},
            {"name": "business_premises", "label": "经营场所", "required": False, "sources": ["business_address"]},
            {"name": "main_business", "label": "主体业态", "required": False},
            {"name": "business_items", "label": "经营项目", "required": False, "sources": ["food_business_category"]},
        ],
        "validity_years": 5,
    },
    {
        "code": "11100000000014185J001",
        "name": "结婚证",
        "department_name": "民政部门",
        "fields": [
            {"name": "spouse_name", "label": "配偶姓名", "required": True},
            {"name": "registration_date", "label": "登记日期", "required": True},
        ],
        "validity_years": None,
    },
    # The other licenses the demo catalog's items produce (result_license_type), with only optional fields.
    {
        "code": "11100000000013338W021",
        "name": "食品生产许可证",
        "department_name": "市场监督管理部门",
        "fields": [SUBJECT_NAME],
        "validity_years": 5,
    },
    {
        "code": "11100000000013338W022",
        "name": "离婚证",
        "department_name": "民政部门",
        "fields": [SUBJECT_NAME],
        "validity_years": None,
    },
    {
        "code": "11100000000013338W023",
        "name": "出生医学证明",
        "department_name": "卫生健康部门",
        "fields": [SUBJECT_NAME],
        "validity_years": None,
    },
    {
        "code": "11100000000013338W024",
        "name": "社会保障卡",
        "department_name": "人力资源和社会保障部门",
        "fields": [SUBJECT_NAME],
        "validity_years": None,
    },
    {
        "code": "11100000000013338W025",
        "name": "建筑工程施工许可证",
        "department_name": "住房和城乡建设部门",
        "fields": [SUBJECT_NAME],
        "validity_years": None,
    },
    {
        "code": "11100000000013338W026",
        "name": "教师资格证书",
        "department_name": "教育部门",
        "fields": [SUBJECT_NAME],
        "validity_years": None,
    },
    {
        "code": "11100000000013338W027",
        "name": "无犯罪记录证明",
        "department_name": "公安机关",
        "fields": [SUBJECT_NAME],
        "validity_years": None,
    },
    {
        "code": "11100000000013338W028",
        "name": "医师执业证书",
        "department_name": "卫生健康部门",
        "fields": [SUBJECT_NAME],
        "validity_years": None,
    },
    {
        "code": "11100000000013338W029",
        "name": "公共场所卫生许可证",
        "department_name": "卫生健康部门",
        "fields": [SUBJECT_NAME],
        "validity_years": 4,
    },
    {
        "code": "11100000000013338W030",
        "name": "道路运输从业人员从业资格证",
        "department_name": "交通运输部门",
        "fields": [SUBJECT_NAME],
        "validity_years": 6,
    },
    {
        "code": "11100000000013338W031",
        "name": "就业创业证",
        "department_name": "人力资源和社会保障部门",
        "fields": [SUBJECT_NAME],
        "validity_years": None,
    },
]


BUSINESS_LICENCE = "11100000000013338W001"  # 营业执照, above
# identity's demo citizen zhangsan (its demo account, ID number and name of its synthetic base data) runs an
# individual business: the README's journey offers this 营业执照 as a material, as a citizen's wallet would.
DEMO_HOLDER_SUBJECT = demo_subject("zhangsan")
DEMO_HOLDER = Holder(id_type="citizen_id", id_number="450102199001011231", name="张三")
NANNING_MARKET, NANNING_MARKET_NAME, NANNING = "11450100MBQH0Y21QM", "南宁市市场监督管理局", "450100"
DEMO_FIELDS = {
    "entity_name": "南宁市兴宁区张三小吃店",
    "entity_type": "个体工商户",
    "legal_representative": "张三",
    "business_scope": "小吃服务",
    "address": "南宁市兴宁区民生路 1 号",
}


async def demo_licence(session: AsyncSession, settings: Settings) -> License:
    """zhangsan's 营业执照, issued (and sealed by Nanning's market regulation) the first time only."""
    found = await session.scalar(
        sa.select(License).where(License.holder_subject == DEMO_HOLDER_SUBJECT, License.type_code == BUSINESS_LICENCE)
    )
    if found is not None:
        return found
    license_type = await session.get(LicenseType, BUSINESS_LICENCE)
    assert license_type is not None, "seeded with the types"
    request = IssueRequest(
        license_type=license_type,
        holder=DEMO_HOLDER,
        holder_subject=DEMO_HOLDER_SUBJECT,
        issuer_code=NANNING_MARKET,
        issuer_name=NANNING_MARKET_NAME,
        region=NANNING,
        fields=DEMO_FIELDS,
    )
    return await issue(session, Context.build(settings), request)


async def seed_demo(session: AsyncSession, settings: ServiceSettings) -> list[str]:
    assert isinstance(settings, Settings)
    added = 0
    for spec in DEMO_TYPES:
        if await session.get(LicenseType, spec["code"]) is None:
            session.add(
                LicenseType(
                    **spec,
                    template={"title": spec["name"], "field_order": [f["name"] for f in spec["fields"]]},
                    created_at=datetime.now(UTC),
                )
            )
            added += 1
    await session.flush()
    licence = await demo_licence(session, settings)
    return [
        f"certificates: {len(DEMO_TYPES)} license types ({added} new), one per license the demo catalog's items produce",
        f"certificates: zhangsan's wallet holds a 营业执照 (e-license {licence.identifier}), to offer as a material",
        "certificates: verify a license without login at /api/certificates/v1/verify/<identifier>",
    ]
