"""Issuing on approval: the license takes its type's fields out of what the approved case offers (its whole form,
the item name and the tracking number), so that an approval of a demo item issues a license instead of
dead-lettering on fields the type does not know."""

from __future__ import annotations

import pytest

from certificates.demo import DEMO_TYPES
from certificates.errors import InvalidFields
from certificates.licenses.service import check_fields, fields_from_case
from certificates.models import LicenseType


def _type(name: str) -> LicenseType:
    spec = next(t for t in DEMO_TYPES if t["name"] == name)
    return LicenseType(**spec, template={})


def test_fields_come_by_name_or_by_source_and_nothing_else_passes() -> None:
    offered = {
        "item_name": "内资有限公司设立登记",
        "tracking_number": "45010020261128000001",
        "enterprise_name": "广西示例科技有限公司",
        "legal_representative": "李四",
        "business_address": "",
        "phone": "13800000002",
    }
    fields = fields_from_case(_type("营业执照"), offered)
    assert fields == {"entity_name": "广西示例科技有限公司", "legal_representative": "李四"}
    assert check_fields(_type("营业执照"), fields) == fields
    with pytest.raises(InvalidFields):
        check_fields(_type("营业执照"), fields_from_case(_type("营业执照"), {"phone": "13800000002"}))
