"""Inheritance rules of implementation lists and the element standard's own checks (no I/O)."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from catalog.domain import inheritance_violations
from catalog.items.schemas import ItemDefinition, online_level


def _defn(data: dict[str, Any]) -> ItemDefinition:
    return ItemDefinition.model_validate(data)


def _fields(parent: dict[str, Any], child: dict[str, Any]) -> list[str]:
    return [v.field for v in inheritance_violations(_defn(parent), _defn(child))]


def test_the_seeded_nanning_entry_is_easier_and_passes(food: dict[str, Any], nanning: dict[str, Any]) -> None:
    assert nanning["time_limit"]["promised_days"] < food["time_limit"]["promised_days"]
    assert _fields(food, nanning) == []


def test_a_city_cannot_lengthen_the_promised_time(food: dict[str, Any], nanning: dict[str, Any]) -> None:
    nanning["time_limit"]["promised_days"] = food["time_limit"]["promised_days"] + 1
    violations = inheritance_violations(_defn(food), _defn(nanning))
    assert [(v.field, v.inherited, v.proposed) for v in violations] == [("time_limit.promised_days", 5, 6)]


def test_a_city_cannot_change_the_statutory_time(food: dict[str, Any], nanning: dict[str, Any]) -> None:
    nanning["time_limit"]["statutory_days"] = 8
    assert "time_limit.statutory_days" in _fields(food, nanning)


def test_a_city_cannot_add_a_required_material(food: dict[str, Any], nanning: dict[str, Any]) -> None:
    nanning["materials"].append(
        {
            "name": "房屋产权证明",
            "required": True,
            "original_or_copy": "copy",
            "count": 1,
            "form": "paper",
            "license_type": None,
            "note": None,
        }
    )
    assert _fields(food, nanning) == ["materials[房屋产权证明]"]


def test_a_city_may_add_an_optional_material_or_make_one_optional(
    food: dict[str, Any], nanning: dict[str, Any]
) -> None:
    nanning["materials"][0]["required"] = False
    nanning["materials"].append(
        {
            "name": "情况说明",
            "required": False,
            "original_or_copy": "copy",
            "count": 1,
            "form": "paper",
            "license_type": None,
            "note": None,
        }
    )
    assert _fields(food, nanning) == []


def test_a_city_cannot_make_an_optional_material_required_again(food: dict[str, Any], nanning: dict[str, Any]) -> None:
    food["materials"][2]["required"] = False
    assert _fields(food, nanning) == [f"materials[{food['materials'][2]['name']}]"]


def test_more_visits_fewer_online_stages_new_fees_and_required_fields_are_refused(
    food: dict[str, Any], nanning: dict[str, Any]
) -> None:
    nanning["onsite_visits"] = 2
    nanning["onsite_reason"] = "另行核查"
    nanning["online_stages"] = [1, 2, 3]
    nanning["fees"] = [{"name": "工本费", "legal_basis": "某收费文件", "amount_fen": 500, "formula": None}]
    nanning["form_schema"]["required"] = [*nanning["form_schema"]["required"], "main_equipment"]
    assert sorted(_fields(food, nanning)) == [
        "fees[工本费]",
        "form_schema.required",
        "online_stages",
        "onsite_visits",
    ]


def test_the_region_must_lie_below_the_inherited_one(food: dict[str, Any], nanning: dict[str, Any]) -> None:
    liuzhou = dict(nanning, region="450200")
    assert _fields(nanning, liuzhou) == ["region"]  # a sibling city cannot inherit Nanning's entry
    assert _fields(food, dict(food)) == ["region"]  # nor the province its own item


def test_promised_time_may_not_exceed_statutory(food: dict[str, Any]) -> None:
    food["time_limit"] = {"statutory_days": 5, "promised_days": 6, "unit": "working_day"}
    with pytest.raises(ValidationError, match="promised time limit may not exceed"):
        _defn(food)


@pytest.mark.parametrize(
    ("schema", "message"),
    [
        ({"type": "object", "properties": {"a": {"type": "strnig"}}}, "not a valid JSON Schema"),
        ({"type": "array", "items": {"type": "string"}}, "must describe an object"),
        ({"type": "object", "properties": {"a": {"minLength": -1}}}, "not a valid JSON Schema"),
    ],
)
def test_a_form_schema_must_be_a_valid_object_schema(
    food: dict[str, Any], schema: dict[str, Any], message: str
) -> None:
    food["form_schema"] = schema
    with pytest.raises(ValidationError, match=message):
        _defn(food)


def test_fully_online_needs_stages_one_to_six_and_visits_need_a_reason(food: dict[str, Any]) -> None:
    food["onsite_visits"] = 0
    food["online_stages"] = [1, 2, 3]
    with pytest.raises(ValidationError, match="stages 1-6"):
        _defn(food)
    food["onsite_visits"], food["onsite_reason"], food["online_stages"] = 1, None, [1, 2]
    with pytest.raises(ValidationError, match="need a reason"):
        _defn(food)


def test_process_shares_add_up_and_start_with_acceptance(food: dict[str, Any]) -> None:
    food["process"]["steps"][1]["share_percent"] = 40
    with pytest.raises(ValidationError, match="add up to 100"):
        _defn(food)


def test_a_fee_has_an_amount_or_a_formula(food: dict[str, Any]) -> None:
    food["fees"] = [{"name": "工本费", "legal_basis": "某收费文件", "amount_fen": None, "formula": None}]
    with pytest.raises(ValidationError, match="either amount_fen or formula"):
        _defn(food)


def test_the_department_code_must_carry_a_valid_check_character(food: dict[str, Any]) -> None:
    code = food["department"]["code"]
    food["department"]["code"] = code[:-1] + ("0" if code[-1] != "0" else "1")
    with pytest.raises(ValidationError, match="credit code"):
        _defn(food)


def test_online_levels() -> None:
    assert online_level([1, 2, 3, 4, 5, 6], 0) == "IV"
    assert online_level([1, 2, 3, 4, 5, 6, 7], 1) == "III"
    assert online_level([1, 2, 3], 1) == "II"
    assert online_level([1], 1) == "I"


def test_a_city_cannot_change_the_license_an_item_produces(food: dict[str, Any], nanning: dict[str, Any]) -> None:
    assert food["result_license_type"] == "食品经营许可证"
    nanning["result_license_type"] = "营业执照"
    assert _fields(food, nanning) == ["result_license_type"]


def test_a_city_cannot_make_a_material_harder_to_hand_in(food: dict[str, Any], nanning: dict[str, Any]) -> None:
    name = food["materials"][0]["name"]
    easy = {"original_or_copy": "copy", "form": "paper_or_electronic", "license_type": "营业执照"}
    food["materials"][0].update(easy)
    child = next(m for m in nanning["materials"] if m["name"] == name)
    child.update(easy)
    assert _fields(food, nanning) == []
    child.update(original_or_copy="original_and_copy", form="paper", license_type=None)
    assert sorted(_fields(food, nanning)) == [
        f"materials[{name}].form",
        f"materials[{name}].license_type",
        f"materials[{name}].original_or_copy",
    ]


def test_a_city_cannot_drop_delivery_options_or_the_appointment(food: dict[str, Any], nanning: dict[str, Any]) -> None:
    food["appointment"] = True
    food["delivery"] = nanning["delivery"] = ["electronic", "pickup", "mail"]
    nanning["appointment"] = True
    assert _fields(food, nanning) == []
    nanning["appointment"] = False
    nanning["delivery"] = ["electronic"]
    assert sorted(_fields(food, nanning)) == ["appointment", "delivery"]
