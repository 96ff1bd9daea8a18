"""The catalog editor's pure parts (workbench.pages.catalog): the form back to a definition, the catalog's
refusals put next to the fields they concern, and the differences between a draft and the published version;
identity's refusals on the staff admin's form; and the catalog and staff pages' sign-in and CSRF checks."""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.datastructures import FormData

from gov_common.testing import serve_lifespan
from workbench.main import create_app
from workbench.pages import catalog
from workbench.pages.staff import refusal_errors
from workbench.settings import Settings

DEFINITION: dict[str, Any] = {
    "basic_code": "000112004000",
    "name": "食品经营许可",
    "item_type": "01",
    "legal_basis": ["《中华人民共和国食品安全法》第三十五条"],
    "region": "450100",
    "department": {"code": "11450100MBQH0Y21QM", "name": "南宁市市场监督管理局"},
    "service_object": "both",
    "keywords": ["食品", "餐饮"],
    "life_events": [],
    "time_limit": {"statutory_days": 20, "promised_days": 5, "unit": "working_day"},
    "fees": [],
    "materials": [
        {
            "name": "食品经营许可申请书",
            "required": True,
            "original_or_copy": "original",
            "count": 1,
            "form": "paper_or_electronic",
            "license_type": None,
            "note": None,
        },
        {
            "name": "营业执照",
            "required": False,
            "original_or_copy": "copy",
            "count": 1,
            "form": "paper_or_electronic",
            "license_type": "营业执照",
            "note": None,
        },
    ],
    "form_schema": {"type": "object", "properties": {"a": {"type": "string"}}, "required": []},
    "process": {"steps": [{"kind": "accept", "name": "受理", "role": "窗口", "share_percent": 100}]},
    "onsite_visits": 1,
    "onsite_reason": "现场核查",
    "online_stages": [1, 2, 3, 4],
    "delivery": ["pickup", "mail"],
    "appointment": True,
    "contact": {"consultation_phone": "0771-1", "complaint_phone": "12345", "address": None},
    "result_license_type": "食品经营许可证",
    "smart_approval": False,
}


def _form(**changes: Any) -> FormData:
    """The editor's form as the page renders it for DEFINITION, with ``changes`` (None leaves a field out)."""
    d = DEFINITION
    fields: dict[str, Any] = {
        "name": d["name"],
        "item_type": d["item_type"],
        "service_object": d["service_object"],
        "legal_basis": "\n".join(d["legal_basis"]),
        "keywords": "、".join(d["keywords"]),
        "time_limit.statutory_days": "20",
        "time_limit.promised_days": "5",
        "onsite_visits": "1",
        "onsite_reason": d["onsite_reason"],
        "online_stages": ["1", "2", "3", "4"],
        "delivery": ["pickup", "mail"],
        "appointment": "true",
        "result_license_type": d["result_license_type"],
        "contact.consultation_phone": "0771-1",
        "contact.complaint_phone": "12345",
        "contact.address": "",
    }
    for i, m in enumerate(d["materials"]):
        fields[f"materials.{i}.name"] = m["name"]
        if m["required"]:
            fields[f"materials.{i}.required"] = "true"
        fields[f"materials.{i}.original_or_copy"] = m["original_or_copy"]
        fields[f"materials.{i}.count"] = str(m["count"])
        fields[f"materials.{i}.form"] = m["form"]
        fields[f"materials.{i}.license_type"] = m["license_type"] or ""
    fields.update(changes)
    items: list[tuple[str, str]] = []
    for k, v in fields.items():
        if v is None:
            continue
        items += [(k, x) for x in v] if isinstance(v, list) else [(k, v)]
    return FormData(items)


def test_an_unchanged_form_gives_back_the_same_definition() -> None:
    defn, errors, rows = catalog.definition_from_form(DEFINITION, _form())
    assert errors == {} and rows == [0, 1]
    assert defn == DEFINITION


def test_the_editors_changes_reach_the_definition_and_what_is_not_edited_stays() -> None:
    form = _form(
        **{
            "time_limit.promised_days": "3",
            "keywords": "食品，餐饮 小吃",
            "online_stages": ["1", "2", "3", "4", "5", "9"],
            "materials.1.required": "true",
            "materials.0.remove": "true",
            "materials.new.name": "健康证明",
            "materials.new.count": "1",
            "appointment": None,
        }
    )
    defn, errors, rows = catalog.definition_from_form(DEFINITION, form)
    assert errors == {}
    assert defn["time_limit"] == {"statutory_days": 20, "promised_days": 3, "unit": "working_day"}
    assert defn["keywords"] == ["食品", "餐饮", "小吃"] and defn["online_stages"] == [1, 2, 3, 4, 5]
    assert defn["appointment"] is False
    assert [m["name"] for m in defn["materials"]] == ["营业执照", "健康证明"] and rows == [1, -1]
    assert defn["materials"][0]["required"] is True and defn["materials"][1]["required"] is False
    for fixed in ("basic_code", "region", "department", "fees", "form_schema", "process"):
        assert defn[fixed] == DEFINITION[fixed]


def test_a_material_name_not_in_the_definition_is_ignored_and_bad_numbers_are_named() -> None:
    form = _form(**{"materials.0.name": "伪造的材料", "time_limit.promised_days": "三天", "delivery": []})
    defn, errors, rows = catalog.definition_from_form(DEFINITION, form)
    assert [m["name"] for m in defn["materials"]] == ["营业执照"] and rows == [1]
    assert errors["time_limit.promised_days"] == ["承诺时限（工作日）必须是整数"]
    assert errors["delivery"] == ["请至少选择一种送达方式"]


def test_every_may_only_ease_violation_lands_next_to_its_field() -> None:
    sent = copy.deepcopy(DEFINITION)
    violations = [
        {"field": "time_limit.promised_days", "rule": "may only be shortened", "inherited": 5, "proposed": 30},
        {"field": "onsite_visits", "rule": "may only be reduced", "inherited": 1, "proposed": 3},
        {
            "field": "online_stages",
            "rule": "stages online in the inherited item must stay online",
            "inherited": [4],
            "proposed": None,
        },
        {
            "field": "materials[营业执照]",
            "rule": "a material may not become required that the inherited item does not require",
            "inherited": "optional",
            "proposed": "required",
        },
        {"field": "materials[营业执照].count", "rule": "may only be reduced", "inherited": 1, "proposed": 2},
        {"field": "fees[审核费]", "rule": "a fee may not be added", "inherited": None, "proposed": 100},
        {
            "field": "name",
            "rule": "must stay as in the inherited item (the standard)",
            "inherited": "食品经营许可",
            "proposed": "食品许可",
        },
    ]
    fields = catalog.shown_errors(catalog.violation_fields(violations, sent["materials"], [0, 1]))
    assert fields["time_limit.promised_days"] == ["只能缩短，不能比上级事项长（上级事项：5；本次：30）"]
    assert fields["onsite_visits"] == ["只能减少，不能比上级事项多（上级事项：1；本次：3）"]
    assert fields["online_stages"] == ["上级事项可网上办理的环节须保留（上级事项：受理；本次：无）"]
    assert fields["materials.1.required"] == ["上级事项不要求的材料不能设为必交（上级事项：非必交；本次：必交）"]
    assert fields["materials.1.count"][0].startswith("只能减少")
    assert fields["fixed"] == ["收费[审核费]：不能增加收费项目（上级事项：无；本次：100）"]
    assert fields["name"][0].startswith("须与承接的上级事项一致")
    assert sum(len(v) for v in fields.values()) == len(violations), "none is lost"
    # The ids the summary links to are the fields' ids.
    assert catalog.field_id("materials.1.required") == "e-materials-1-required"


def test_validation_errors_of_the_definition_land_next_to_their_fields() -> None:
    errors = [
        {
            "pointer": "/definition/time_limit",
            "message": "Value error, the promised time limit may not exceed the statutory one",
            "code": "value_error",
        },
        {
            "pointer": "/definition/materials/1/count",
            "message": "Input should be less than or equal to 50",
            "code": "less_than_equal",
        },
        {
            "pointer": "/definition",
            "message": "Value error, 0 on-site visits needs stages 1-6 online (全程网办)",
            "code": "value_error",
        },
        {
            "pointer": "/definition/contact/consultation_phone",
            "message": "String should have at least 3 characters",
            "code": "string_too_short",
        },
        {"pointer": "/definition/form_schema", "message": "bad", "code": "value_error"},
    ]
    fields = catalog.shown_errors(catalog.validation_fields(errors, [0, -1]))
    assert fields["time_limit.promised_days"] == ["承诺时限不能超过法定时限"]
    assert fields["materials.new.count"] == ["份数太大"]
    assert fields["onsite_visits"] == ["到现场次数为 0 时，须勾选第 1-6 个环节网上办理"]
    assert fields["contact.consultation_phone"] == ["请填写咨询电话"]
    assert fields["fixed"] == ["事项要素填写有误"]


def test_the_differences_name_each_changed_element_in_chinese() -> None:
    draft = copy.deepcopy(DEFINITION)
    draft["time_limit"]["promised_days"] = 3
    draft["materials"][1]["required"] = True
    draft["keywords"] = ["食品"]
    rows = catalog.differences(DEFINITION, draft)
    assert ("承诺时限（工作日）", "5", "3") in rows
    assert ("申请材料[营业执照].必交", "否", "是") in rows
    assert ("关键词", "食品、餐饮", "食品") in rows
    assert len(rows) == 3
    assert catalog.differences(DEFINITION, DEFINITION) == []


def test_identitys_refusals_land_next_to_the_staff_form_fields() -> None:
    urn = "urn:gov-platform:problem:"
    assert refusal_errors({"type": urn + "username-taken"}) == {"username": "该用户名已被使用，请换一个"}
    granted = refusal_errors({"type": urn + "role-not-grantable", "roles": ["staff_admin"]})
    assert granted == {"roles": "只有平台管理员可以授予或收回这些角色：人员管理员"}
    assert refusal_errors({"type": urn + "outside-region"}) == {"region": "该区划不在您的管理范围内"}
    invalid = refusal_errors(
        {"type": urn + "validation-error", "errors": [{"pointer": "/username"}, {"pointer": "/phone"}]}
    )
    assert set(invalid) == {"username", "phone"}


# The pages in-process on their own SQLite database, no platform behind them: each needs a signed-in staff
# member, each form its CSRF token, and a malformed id is a page that does not exist.
CODE = "000112002000450100000000011450100MBQH0Y21QM000"
STAFF_ID = "6f1c2f8e-1111-4222-8333-944455556666"


@pytest.fixture
async def app_client(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(
        data_dir=tmp_path, public_url="http://workbench.test", gateway_url="http://127.0.0.1:9", log_json=False
    )
    async with serve_lifespan(create_app(settings)) as served:
        served.base_url = httpx.URL("http://workbench.test")
        yield served


async def test_the_catalog_and_staff_pages_need_a_signed_in_staff_member(app_client: httpx.AsyncClient) -> None:
    for path in (
        "/catalog",
        f"/catalog/items/{CODE}",
        f"/catalog/items/{CODE}/versions/2",
        f"/catalog/items/{CODE}/versions/2/edit",
        f"/catalog/implement/{CODE}",
        "/guides?q=x",
        f"/guides/{CODE}",
        "/staff",
        "/staff/new",
        f"/staff/{STAFF_ID}",
    ):
        resp = await app_client.get(path)
        assert resp.status_code == 303 and resp.headers["location"].startswith("/login?next=%2F"), path


async def test_every_catalog_and_staff_form_needs_its_csrf_token(app_client: httpx.AsyncClient) -> None:
    await app_client.get("/login")
    for path in (
        f"/catalog/items/{CODE}/versions/2/edit",
        f"/catalog/items/{CODE}/versions",
        f"/catalog/items/{CODE}/versions/2/publish",
        f"/catalog/items/{CODE}/withdraw",
        f"/catalog/implement/{CODE}",
        f"/guides/{CODE}",
        "/staff/new",
        f"/staff/{STAFF_ID}/roles",
        f"/staff/{STAFF_ID}/totp",
    ):
        resp = await app_client.post(path, data={"csrf_token": "guess"})
        assert resp.status_code == 403 and "页面已过期" in resp.text, path


async def test_malformed_staff_ids_are_pages_that_do_not_exist(app_client: httpx.AsyncClient) -> None:
    for path in ("/staff/not-a-uuid", "/staff/1%27%20OR%201=1", "/catalog/items/a/versions/x"):
        assert (await app_client.get(path)).status_code == 404, path
