"""Bad input found by the API fuzzing (tests/integration/test_api_fuzz.py), kept as regressions."""

from __future__ import annotations

from ..conftest import Api

LICENSE_TYPE = {
    "code": "11100000000013338W098",
    "name": "医疗器械经营许可证",
    "department_name": "药品监督管理部门",
    "fields": [{"name": "company", "label": "企业名称", "required": True}],
    "validity_years": 5,
}


async def test_a_fields_required_flag_is_a_boolean_not_a_number(api: Api) -> None:
    admin = api.staff("platform_admin")
    numeric = {**LICENSE_TYPE, "fields": [{"name": "company", "label": "企业名称", "required": 0}]}
    refused = await api.client.post("/v1/license-types", json=numeric, headers=admin)
    assert refused.status_code == 422, refused.text
    assert refused.json()["errors"][0]["pointer"] == "/fields/0/required"
    created = await api.client.post("/v1/license-types", json=LICENSE_TYPE, headers=admin)
    assert created.status_code == 201, created.text
    assert created.json()["fields"][0]["required"] is True
