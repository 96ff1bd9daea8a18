"""Bulk import of historical data: good rows kept, bad rows reported by row number, legacy identifiers
failing today's check flagged not dropped, a second run creating nothing new; no clear ID in the database."""

from __future__ import annotations

from typing import Any

# 91450100MA5KXXXX0B fails the GB 32100 check character (a real legacy shape); 11450100MBQH0Y21QM passes.
CASES_CSV = """legacy_id,tracking_number,item_code,item_name,region,department,applicant_id_type,applicant_id,status,received_at,status_at
L-001,NN2019-1,ITEM-1,食品经营许可,450103,11450100MBQH0Y21QM,citizen_id,11010519491231002X,completed,2019-03-01T09:00:00+08:00,2019-03-05T17:00:00+08:00
L-002,NN2019-2,ITEM-1,食品经营许可,450103,91450100MA5KXXXX0B,citizen_id,110105194912310021,completed,2019-03-02T09:00:00+08:00,
L-003,NN2019-3,,食品经营许可,450103,11450100MBQH0Y21QM,citizen_id,11010519491231002X,completed,2019-03-02T09:00:00+08:00,
L-004,NN2019-4,ITEM-1,食品经营许可,110000,11450100MBQH0Y21QM,citizen_id,11010519491231002X,done,not-a-time,
"""


async def test_an_import_run_twice_creates_nothing_new_and_reports_bad_rows(serve_exchange: Any) -> None:
    async with serve_exchange() as ex:
        headers = {**ex.admin(), "Content-Type": "text/csv"}
        first = await ex.client.post("/v1/imports/cases", content=CASES_CSV.encode(), headers=headers)
        assert first.status_code == 200, first.text
        report = first.json()
        assert (report["rows"], report["created"], report["unchanged"]) == (4, 2, 0)
        assert [(e["row"], e["legacy_id"]) for e in report["errors"]] == [(3, "L-003"), (4, "L-004")]
        assert {e["field"] for e in report["errors"][1]["errors"]} == {"region", "status", "received_at"}
        assert report["flagged"] == [
            {
                "row": 2,
                "legacy_id": "L-002",
                "errors": [],
                "flags": ["department_check_failed", "applicant_id_check_failed"],
            }
        ]

        second = await ex.client.post("/v1/imports/cases", content=CASES_CSV.encode(), headers=headers)
        assert (second.json()["created"], second.json()["unchanged"]) == (0, 2)
        assert len(second.json()["errors"]) == 2, "bad rows are reported again"
        rows = await ex.sql("SELECT external_id, flags, applicant_id_hash FROM case_record ORDER BY external_id")
        assert [r.external_id for r in rows] == ["L-001", "L-002"]
        assert "11010519491231002X" not in str(rows), "the ID number is kept only as a keyed hash"
        events = await ex.sql("SELECT type FROM outbox_event")
        assert [e.type for e in events] == ["exchange.case.synced"] * 2, "the second run published nothing"

        licenses = [
            {
                "legacy_id": "LIC-1",
                "number": "GX-FOOD-0001",
                "type_code": "JY",
                "type_name": "食品经营许可证",
                "issuer_code": "11450100MBQH0Y21QM",
                "holder_id_type": "credit_code",
                "holder_id": "91450100MA5KXXXX0B",
                "issued_on": "2018-06-01",
            },
            {"legacy_id": "LIC-2", "number": "x"},
        ]
        json_headers = {**ex.admin(), "Content-Type": "application/json"}
        lic = await ex.client.post("/v1/imports/licenses", json=licenses, headers=json_headers)
        assert (lic.json()["created"], len(lic.json()["errors"])) == (1, 1)
        assert lic.json()["flagged"][0]["flags"] == ["holder_id_check_failed"]
        lic2 = await ex.client.post("/v1/imports/licenses", json=licenses, headers=json_headers)
        assert (lic2.json()["created"], lic2.json()["unchanged"]) == (0, 1)


async def test_imports_are_for_platform_admins_and_need_a_readable_file(serve_exchange: Any) -> None:
    async with serve_exchange() as ex:
        clerk = ex.staff("clerk", department=ex.NN_MARKET, roles=("acceptor",))
        refused = await ex.client.post(
            "/v1/imports/cases", content=CASES_CSV.encode(), headers={**clerk, "Content-Type": "text/csv"}
        )
        assert refused.status_code == 403
        bad = await ex.client.post(
            "/v1/imports/cases", content=b"{not json", headers={**ex.admin(), "Content-Type": "application/json"}
        )
        assert bad.status_code == 400 and bad.json()["type"].endswith(":malformed-json"), "README: API conventions"
        xml = await ex.client.post(
            "/v1/imports/cases", content=b"<x/>", headers={**ex.admin(), "Content-Type": "text/xml"}
        )
        assert xml.status_code == 415 and xml.json()["type"].endswith(":unsupported-media-type")
        assert await ex.sql("SELECT id FROM case_record") == []
