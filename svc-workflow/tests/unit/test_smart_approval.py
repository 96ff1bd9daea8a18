"""Smart-approval rules and region subtrees: pure functions."""

from __future__ import annotations

from gov_standards.regions import region_covers
from workflow.cases import smart_approval as rules

SCHEMA = {
    "type": "object",
    "properties": {"category": {"enum": ["食品销售", "餐饮服务"]}, "area": {"type": "number", "minimum": 10}},
    "required": ["category"],
}
MATERIALS = [{"name": "营业执照", "required": True}, {"name": "照片", "required": False}]


def test_every_rule_passes_with_verified_licenses_and_a_valid_form() -> None:
    given = [{"name": "营业执照", "source": "license", "verified": True}]
    results = rules.evaluate(
        {"materials": MATERIALS, "form_schema": SCHEMA},
        {"materials": given, "form": {"category": "食品销售", "area": 12}},
    )
    assert all(r.passed for r in results)


def test_an_uploaded_or_unverified_material_declines() -> None:
    uploaded = rules.materials_from_verified_licenses(MATERIALS, [{"name": "营业执照", "source": "upload"}])
    unverified = rules.materials_from_verified_licenses(
        MATERIALS, [{"name": "营业执照", "source": "license", "verified": False}]
    )
    missing = rules.materials_from_verified_licenses(MATERIALS, [])
    assert not uploaded.passed and not unverified.passed and "missing" in missing.detail


def test_a_form_outside_the_stated_conditions_declines() -> None:
    result = rules.form_meets_schema(SCHEMA, {"category": "食品销售", "area": 5})
    assert not result.passed and "area" in result.detail


def test_region_subtrees() -> None:
    assert region_covers("450000", "450102") and region_covers("450100", "450102")
    assert not region_covers("450200", "450102") and not region_covers("450102", "450100")
    assert region_covers("450102", "450102") and not region_covers(None, "450100")
    assert region_covers("450100", "450103000000")  # 12-digit exchange padding


def test_an_items_own_rule_replaces_the_fixed_rules() -> None:
    rule = {
        "id": "r",
        "version": 3,
        "all_of": [
            {"field": "staff", "op": "at_least", "value": 2},
            {"field": "staff", "op": "at_most", "value": 10},
            {"field": "kind", "op": "not_equals", "value": "烟花"},
            {"field": "note", "op": "present"},
            {"license_type": "营业执照"},
        ],
    }
    licence = {"name": "营业执照", "source": "license", "verified": True, "license_type": "营业执照"}
    good = {"form": {"staff": 5, "kind": "餐饮", "note": "x"}, "materials": [licence]}
    assert [r.passed for r in rules.evaluate({"rule": rule}, good)] == [True] * 5
    assert rules.rule_set_id(rule) == "item-rule r v3" and rules.rule_set_id(None) == "smart-approval-v1"
    bad = {"form": {"staff": "5", "kind": "烟花", "note": ""}, "materials": [{**licence, "verified": False}]}
    assert [r.passed for r in rules.evaluate({"rule": rule}, bad)] == [False] * 5  # a string is not a number
    assert [r.passed for r in rules.evaluate({"rule": rule}, {"form": {}, "materials": []})] == [False] * 5
