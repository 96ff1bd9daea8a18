from __future__ import annotations

import copy
from typing import Any

import pytest

from catalog.bundles.merge import FormConflict, build_definition, merge_forms, merge_materials
from catalog.items.schemas import ItemDefinition
from catalog.seed.loader import item_definition, seed_document


def _item(basic_code: str) -> ItemDefinition:
    doc = seed_document()
    return ItemDefinition.model_validate(
        item_definition(next(i for i in doc["items"] if i["basic_code"] == basic_code), doc)
    )


def test_newborn_materials_are_merged_and_deduplicated() -> None:
    parts = [("cert", _item("000107001000")), ("hukou", _item("000104001000")), ("medins", _item("000109001000"))]
    merged = {m.name: m for m in merge_materials(parts)}
    # 出生登记 asks both parents' ID cards (2), 出生医学证明 the mother's: one document, by e-license type.
    by_license = [m for m in merged.values() if m.license_type == "居民身份证"]
    assert len(by_license) == 1
    assert by_license[0].count == 2
    assert by_license[0].used_by == ("cert", "hukou", "medins")
    assert by_license[0].required is True
    total = sum(len(d.materials) for _, d in parts)
    assert len(merged) < total


def _with_material(item: ItemDefinition, index: int, **changes: Any) -> ItemDefinition:
    # definitions are frozen like the contract they extend: a changed one is a copy
    materials = list(item.materials)
    materials[index] = materials[index].model_copy(update=changes)
    return item.model_copy(update={"materials": tuple(materials)})


def test_required_wins_and_the_stricter_original_demand_wins() -> None:
    a = _with_material(_item("000104004000"), 1, required=False)
    b = _with_material(_item("000104004000"), 1, original_or_copy="original")
    merged = merge_materials([("a", a), ("b", b)])
    assert merged[1].required is True
    assert merged[1].original_or_copy == "original"


def test_forms_are_united_and_conflicting_fields_refused() -> None:
    cert, hukou = _item("000107001000"), _item("000104001000")
    form = merge_forms([("cert", cert), ("hukou", hukou)])
    assert set(form["properties"]) == set(cert.form_schema["properties"]) | set(hukou.form_schema["properties"])
    assert "father_name" in form["required"]  # optional in one item, required in the other
    clash = copy.deepcopy(hukou.form_schema)
    clash["properties"]["baby_name"] = {"type": "integer"}
    with pytest.raises(FormConflict, match="baby_name"):
        merge_forms([("cert", cert), ("hukou", hukou.model_copy(update={"form_schema": clash}))])


def test_a_bundle_takes_the_longest_promised_time_and_is_fully_online_only_if_all_are() -> None:
    items: list[tuple[str, int, Any]] = [("a", 1, _item("000112001000")), ("b", 1, _item("000112004000"))]
    defn = build_definition(
        code="YJS-T", name="测试", region="450000", life_event="开办企业", description="测试", items=items
    )
    assert defn.promised_days == 5
    assert defn.fully_online is False
    assert [i.name for i in defn.items] == ["内资有限公司设立登记", "食品经营许可"]
