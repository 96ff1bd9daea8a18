"""The demo seed is real data: it must satisfy the same rules as anything an editor writes."""

from __future__ import annotations

from collections import Counter

from jsonschema import Draft202012Validator

from catalog.bundles.schemas import BundleCreate
from catalog.domain import inheritance_violations
from catalog.items.schemas import ItemDefinition
from catalog.items.service import implementation_code
from catalog.seed.loader import implementation_definition, item_definition, seed_document
from gov_standards.identifiers import is_credit_code as is_valid_credit_code


def test_at_least_forty_valid_items_across_the_seven_sectors() -> None:
    doc = seed_document()
    defs = [ItemDefinition.model_validate(item_definition(raw, doc)) for raw in doc["items"]]
    assert len(defs) >= 40
    assert len({d.basic_code for d in defs}) == len(defs), "basic codes are unique"
    assert len({implementation_code(d) for d in defs}) == len(defs)
    sectors = Counter(d.department.name for d in defs)
    for sector in (
        "市场监督管理局",
        "公安厅",
        "民政厅",
        "卫生健康委员会",
        "人力资源和社会保障厅",
        "住房",
        "交通运输厅",
    ):
        assert any(sector in name for name in sectors), sector
    for d in defs:
        assert d.time_limit.promised_days <= d.time_limit.statutory_days, d.name
        Draft202012Validator.check_schema(d.form_schema)
        assert set(d.form_schema["required"]) <= set(d.form_schema["properties"]), d.name
        assert d.legal_basis and all("《" in basis for basis in d.legal_basis), d.name
    assert sum(d.fully_online for d in defs) >= 20


def test_department_codes_carry_valid_check_characters() -> None:
    for key, dept in seed_document()["departments"].items():
        assert is_valid_credit_code(dept["code"]), key
        assert dept["code"][2:8] == dept["region"], key


def test_city_and_county_lists_only_make_it_easier() -> None:
    doc = seed_document()
    for raw in doc["implementations"]:
        basic, data = implementation_definition(raw, doc)
        parent = ItemDefinition.model_validate(
            item_definition(next(i for i in doc["items"] if i["basic_code"] == basic), doc)
        )
        assert inheritance_violations(parent, ItemDefinition.model_validate(data)) == [], raw


def test_three_bundles_of_seeded_items() -> None:
    doc = seed_document()
    basic = {i["basic_code"] for i in doc["items"]}
    basic |= {f"{i['inherits']}@{i['region']}" for i in doc["implementations"]}  # a city's implementation
    assert len(doc["bundles"]) >= 3
    for raw in doc["bundles"]:
        BundleCreate.model_validate(raw)
        assert set(raw["items"]) <= basic
