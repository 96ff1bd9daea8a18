"""Sample events for the tests of several services (a consumer's tests build the publisher's event from the
contract, never by importing the publisher). Each builder returns a valid contract; ``envelope`` wraps one as
``publish`` would, to hand to an ``EventHandlers`` directly."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

from gov_common.events import CloudEvent
from gov_contracts.base import Event
from gov_contracts.catalog import ItemDefinition, ItemPublished

NANNING = "450100"
NANNING_MARKET = "11450100MBQH0Y21QM"  # 南宁市市场监督管理局

# The Nanning food-business licence (食品经营许可) as catalog's demo data publishes it.
FOOD_LICENCE: dict[str, Any] = {
    "basic_code": "000112004000",
    "name": "食品经营许可",
    "item_type": "01",
    "legal_basis": ["《中华人民共和国食品安全法》第三十五条", "《食品经营许可和备案管理办法》"],
    "region": NANNING,
    "department": {"code": NANNING_MARKET, "name": "南宁市市场监督管理局"},
    "service_object": "both",
    "keywords": ["食品经营", "餐饮"],
    "life_events": ["经营许可", "开办企业"],
    "time_limit": {"statutory_days": 10, "promised_days": 3, "unit": "working_day"},
    "fees": [],
    "materials": [
        {"name": "食品经营许可申请书"},
        {"name": "营业执照", "license_type": "营业执照"},
        {"name": "与食品经营相适应的主要设备设施、经营布局、操作流程等文件"},
        {"name": "食品安全规章制度目录", "required": False},
    ],
    "form_schema": {
        "type": "object",
        "properties": {
            "enterprise_name": {"type": "string", "title": "企业名称", "minLength": 2, "maxLength": 100},
            "credit_code": {"type": "string", "title": "统一社会信用代码", "pattern": "^[0-9A-HJ-NPQRTUWXY]{18}$"},
            "legal_representative": {"type": "string", "title": "法定代表人", "minLength": 2, "maxLength": 50},
            "phone": {"type": "string", "title": "联系电话", "pattern": "^1[3-9][0-9]{9}$|^0[0-9]{2,3}-?[0-9]{7,8}$"},
            "business_address": {"type": "string", "title": "经营场所", "minLength": 4, "maxLength": 200},
            "food_business_category": {"type": "string", "enum": ["食品销售", "餐饮服务", "单位食堂"]},
        },
        "required": [
            "enterprise_name",
            "credit_code",
            "legal_representative",
            "phone",
            "business_address",
            "food_business_category",
        ],
    },
    "process": {
        "steps": [
            {"kind": "accept", "name": "受理", "role": "窗口受理人员", "share_percent": 10},
            {"kind": "review", "name": "审查", "role": "业务审核人员", "share_percent": 50},
            {"kind": "decide", "name": "决定", "role": "审批负责人", "share_percent": 30},
            {"kind": "deliver", "name": "送达", "role": "窗口发证人员", "share_percent": 10},
        ]
    },
    "onsite_visits": 0,
    "online_stages": [1, 2, 3, 4, 5, 6, 7],
    "delivery": ["electronic", "pickup", "mail"],
    "result_license_type": "食品经营许可证",
    "contact": {"consultation_phone": "0771-5563315", "complaint_phone": "12345"},
}


def item_definition(**overrides: Any) -> ItemDefinition:
    """The food-business licence's definition with ``overrides`` (top-level fields) applied."""
    body = copy.deepcopy(FOOD_LICENCE)
    body.update(overrides)
    return ItemDefinition.model_validate(body)


def implementation_code(definition: ItemDefinition) -> str:
    """An implementation code in catalog's format: basic code, region, department, serial."""
    return f"{definition.basic_code}{definition.region.ljust(12, '0')}{definition.department.code}000"


def item_published(
    definition: ItemDefinition | None = None,
    *,
    code: str | None = None,
    version: int = 1,
    inherits: str | None = None,
    online_level: str = "IV",
    fully_online: bool = True,
    published_at: datetime | None = None,
) -> ItemPublished:
    """``catalog.item.published`` for ``definition`` (the food-business licence by default)."""
    definition = definition or item_definition()
    return ItemPublished(
        implementation_code=code or implementation_code(definition),
        version=version,
        inherits=inherits,
        online_level=online_level,
        fully_online=fully_online,
        published_at=published_at or datetime.now(UTC),
        definition=definition,
    )


def envelope(event: Event, **attributes: Any) -> CloudEvent:
    """``event`` as the CloudEvent ``publish`` stages (``attributes`` override id, time...)."""
    model = type(event)
    return CloudEvent(
        type=model.type,
        source=model.publisher,
        subject=event.event_subject(),
        data=event.to_data(),
        dataschema=model.dataschema(),
        **attributes,
    )
