"""Forms from JSON Schema: fields, typed parsing, the API's errors in Chinese next to their field."""

from __future__ import annotations

from starlette.datastructures import FormData

from gov_web import forms

SCHEMA = {
    "type": "object",
    "properties": {
        "enterprise_name": {"type": "string", "title": "企业名称", "minLength": 2, "maxLength": 100},
        "phone": {"type": "string", "title": "联系电话", "pattern": "^1[3-9][0-9]{9}$"},
        "employee_count": {"type": "integer", "title": "从业人数", "minimum": 0},
        "category": {"type": "string", "title": "经营项目", "enum": ["食品销售", "餐饮服务", "单位食堂"]},
        "equipment": {"type": "string", "title": "设备种类", "enum": ["a", "b", "c", "d", "e", "f"]},
        "born": {"type": "string", "title": "出生日期", "format": "date"},
        "scope": {"type": "string", "title": "经营范围", "maxLength": 2000},
        "agreed": {"type": "boolean", "title": "同意"},
    },
    "required": ["enterprise_name", "phone"],
}


def test_each_property_becomes_a_field_of_its_kind_in_order() -> None:
    fields = forms.fields_of(SCHEMA, {"enterprise_name": "小吃店", "agreed": True})
    assert [(f.name, f.kind, f.required) for f in fields] == [
        ("enterprise_name", "text", True),
        ("phone", "text", True),
        ("employee_count", "integer", False),
        ("category", "radio", False),
        ("equipment", "select", False),
        ("born", "date", False),
        ("scope", "textarea", False),
        ("agreed", "checkbox", False),
    ]
    assert fields[0].label == "企业名称" and fields[0].value == "小吃店" and fields[0].id == "f-enterprise_name"
    assert fields[-1].value == "true"
    assert fields[3].options == ["食品销售", "餐饮服务", "单位食堂"]


def test_parse_types_the_values_and_names_what_is_not_a_number() -> None:
    form = FormData([("enterprise_name", " 小吃店 "), ("phone", ""), ("employee_count", "12"), ("agreed", "true")])
    data, errors = forms.parse(SCHEMA, form)
    assert data == {"enterprise_name": "小吃店", "employee_count": 12, "agreed": True}
    assert errors == {}
    data, errors = forms.parse(SCHEMA, FormData([("employee_count", "十二")]))
    assert errors == {"employee_count": "从业人数必须是整数"}
    assert data["agreed"] is False  # an unticked box is sent as nothing


def test_api_errors_are_put_next_to_their_field_in_chinese() -> None:
    errors = [
        {"pointer": "/phone", "code": "pattern", "message": "'12345' does not match"},
        {"pointer": "/form/enterprise_name", "code": "required", "message": "enterprise_name is required"},
        {"pointer": "/unknown", "code": "type", "message": "?"},
    ]
    assert forms.api_errors(SCHEMA, errors) == {
        "phone": "联系电话的格式不正确",
        "enterprise_name": "请填写企业名称",
        "": "表单内容有误，请检查后重试",
    }
    fields = forms.with_errors(forms.fields_of(SCHEMA), {"phone": "x"})
    assert [f.error for f in fields if f.error] == ["x"]
