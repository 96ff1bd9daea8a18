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


async def test_creates_document_a_required_key_and_the_replayed_201_and_dates_are_iso(api: Api) -> None:
    paths = (await api.client.get("/openapi.json")).json()["paths"]
    for path, model in (
        ("/v1/licenses", "LicenseRead"),
        ("/v1/licenses/imports", "LicenseRead"),
        ("/v1/wallet/grants", "GrantRead"),
    ):
        operation = paths[path]["post"]
        assert "200" not in operation["responses"], f"{path}: a replay answers the first 201, not a 200"
        answer = operation["responses"]["201"]
        assert answer["content"]["application/json"]["schema"] == {"$ref": f"#/components/schemas/{model}"}
        assert "Idempotent-Replayed" in answer["headers"], path
        assert [p["required"] for p in operation["parameters"] if p["name"] == "Idempotency-Key"] == [True], path
    numeric = await api.client.post(
        "/v1/licenses/00000000-0000-0000-0000-000000000000/renewals",
        json={"valid_until": 1767225600},
        headers=api.staff("approver"),
    )
    assert numeric.status_code == 422, numeric.text
    assert numeric.json()["errors"][0]["pointer"] == "/valid_until"
