"""Shared data: deny without approval, only the approved fields with one, every access in the
hash-chained audit, which owners and auditors read and verify (and which detects tampering)."""

from __future__ import annotations

from typing import Any

POPULATION = {
    "code": "population-base",
    "name": "人口基础信息库",
    "owner_department": "11450000MB1502383N",
    "fields": ["person_key", "name", "gender", "birth_date", "household_region"],
    "key_field": "person_key",
}
PERSON = {"person_key": "pk-1", "name": "李四", "gender": "F", "birth_date": "1990-01-01", "household_region": "450103"}


async def _setup(ex: Any) -> dict[str, dict[str, str]]:
    await ex.register("dept-system", kind="department", department=ex.CONSUMER_DEPT)
    created = await ex.client.post("/v1/datasets", json=POPULATION, headers=ex.admin())
    assert created.status_code == 201, created.text
    assert created.headers["Location"] == f"/v1/datasets/{POPULATION['code']}"
    who = {
        "owner": ex.staff("owner-1", department=ex.POPULATION_OWNER, roles=("approver",), region="450000"),
        "owner_clerk": ex.staff("owner-2", department=ex.POPULATION_OWNER, region="450000"),
        "consumer_staff": ex.staff("consumer-1", department=ex.CONSUMER_DEPT),
        "consumer_system": ex.system("dept-system"),
        "auditor": ex.staff("auditor-1", department="11450000MB0000009X", roles=("supervisor",), region="450000"),
        "stranger": ex.staff("stranger-1", department="11450100MB0000002X", roles=("approver",)),
    }
    loaded = await ex.client.put(
        "/v1/datasets/population-base/records", json={"records": [PERSON]}, headers=who["owner"]
    )
    assert loaded.status_code == 200, loaded.text
    return who


async def test_only_approved_consumers_get_only_the_approved_fields(serve_exchange: Any) -> None:
    async with serve_exchange() as ex:
        who = await _setup(ex)
        path = "/v1/datasets/population-base/records/pk-1"
        denied = await ex.client.get(path, headers=who["consumer_system"])
        assert denied.status_code == 403
        assert denied.json()["type"] == "urn:gov-platform:problem:no-sharing-approval"

        ask = await ex.client.post(
            "/v1/sharing-requests",
            json={
                "dataset_code": "population-base",
                "purpose": "核验申请人户籍所在地",
                "fields": ["name", "household_region"],
                "valid_until": "2030-01-01T00:00:00+08:00",
            },
            headers={**who["consumer_staff"], "Idempotency-Key": "ask-1"},
        )
        assert ask.status_code == 201, ask.text
        request_id = ask.json()["id"]
        asked = {
            "dataset_code": "population-base",
            "purpose": "核验申请人户籍所在地",
            "fields": ["name", "household_region"],
            "valid_until": "2030-01-01T00:00:00+08:00",
        }
        again = await ex.client.post(
            "/v1/sharing-requests", json=asked, headers={**who["consumer_staff"], "Idempotency-Key": "ask-1"}
        )
        assert (
            again.status_code == 201 and again.json() == ask.json() and again.headers["Idempotent-Replayed"] == "true"
        )
        assert again.headers["Location"] == ask.headers["Location"]
        reused = await ex.client.post(
            "/v1/sharing-requests",
            json={**asked, "purpose": "核验申请人的婚姻登记情况"},
            headers={**who["consumer_staff"], "Idempotency-Key": "ask-1"},
        )
        assert reused.status_code == 409 and reused.json()["type"].endswith(":idempotency-key-reused")
        assert ask.json()["status"] == "pending"
        still = await ex.client.get(path, headers=who["consumer_system"])
        assert still.status_code == 403, "a pending request grants nothing"

        for refused_by in ("stranger", "owner_clerk", "consumer_staff"):
            resp = await ex.client.post(
                f"/v1/sharing-requests/{request_id}/decision", json={"decision": "approve"}, headers=who[refused_by]
            )
            assert resp.status_code == 403, refused_by
        inbox = await ex.client.get("/v1/sharing-requests?role=owner&status=pending", headers=who["owner"])
        assert [r["id"] for r in inbox.json()["items"]] == [request_id]
        ok = await ex.client.post(
            f"/v1/sharing-requests/{request_id}/decision", json={"decision": "approve"}, headers=who["owner"]
        )
        assert ok.status_code == 200 and ok.json()["status"] == "approved"
        twice = await ex.client.post(
            f"/v1/sharing-requests/{request_id}/decision",
            json={"decision": "refuse", "reason": "x"},
            headers=who["owner"],
        )
        assert twice.status_code == 409

        got = await ex.client.get(path, headers=who["consumer_system"])
        assert got.status_code == 200, got.text
        assert got.json()["record"] == {"name": "李四", "household_region": "450103"}
        assert "birth_date" not in got.json()["record"] and "gender" not in got.json()["record"]
        missing = await ex.client.get("/v1/datasets/population-base/records/nobody", headers=who["consumer_staff"])
        assert missing.status_code == 404

        unscoped = ex.system("dept-system", scopes=["exchange.catalog.read"])
        assert (await ex.client.get(path, headers=unscoped)).status_code == 403
        citizen = await ex.client.get(path, headers=ex.issuer.headers("citizen-1"))
        assert citizen.status_code == 403

        # a system whose token holds the scope but whose registry grant does not: no catalog, no asking
        await ex.register("hooks-only", kind="department", department=ex.CONSUMER_DEPT, scopes=[])
        ungranted = ex.system("hooks-only")
        ask_body = {"dataset_code": "population-base", "purpose": "核验申请人户籍所在地"}
        for resp in (
            await ex.client.get("/v1/datasets", headers=ungranted),
            await ex.client.post(
                "/v1/sharing-requests",
                json={**ask_body, "fields": ["name"], "valid_until": "2030-01-01T00:00:00+08:00"},
                headers=ungranted,
            ),
        ):
            assert resp.status_code == 403 and resp.json()["required_scope"] == "exchange.shared.query", resp.text


async def test_every_access_is_audited_and_the_chain_verifies(serve_exchange: Any) -> None:
    async with serve_exchange() as ex:
        who = await _setup(ex)
        path = "/v1/datasets/population-base/records/pk-1"
        await ex.client.get(path, headers={**who["consumer_system"], "X-Request-ID": "req-denied"})
        ask = await ex.client.post(
            "/v1/sharing-requests",
            json={
                "dataset_code": "population-base",
                "purpose": "核验申请人户籍所在地",
                "fields": ["name"],
                "valid_until": "2030-01-01T00:00:00+08:00",
            },
            headers=who["consumer_system"],
        )
        await ex.client.post(
            f"/v1/sharing-requests/{ask.json()['id']}/decision", json={"decision": "approve"}, headers=who["owner"]
        )
        first = await ex.client.get(path, headers={**who["consumer_system"], "X-Request-ID": "req-ok-1"})
        await ex.client.get(path, headers={**who["consumer_staff"], "X-Request-ID": "req-ok-2"})

        log = await ex.client.get("/v1/audit?dataset=population-base", headers=who["owner_clerk"])
        assert log.status_code == 200
        entries = log.json()["items"]
        assert [e["request_id"] for e in entries] == ["req-denied", "req-ok-1", "req-ok-2"]
        assert entries[0]["actor"] == f"GX/city/{ex.NN_MARKET}/dept-system"
        assert entries[2]["actor"] == "consumer-1"
        assert all(e["consumer_department"] == ex.CONSUMER_DEPT for e in entries)
        from exchange.identifiers import sha256_json

        assert entries[1]["response_hash"] == sha256_json(first.json()), "the hash of what was answered"
        assert entries[1]["prev_hash"] == entries[0]["hash"]

        stranger = await ex.client.get("/v1/audit", headers=who["stranger"])
        assert stranger.json()["items"] == [], "another department sees none of the owner's entries"
        assert (await ex.client.get("/v1/audit", headers=ex.system("dept-system"))).status_code == 403

        for reader in ("owner_clerk", "auditor"):
            check = await ex.client.get("/v1/audit/verify", headers=who[reader])
            assert check.json() == {"valid": True, "entries": 3, "broken_at": None, "head": entries[-1]["hash"]}

        await ex.sql("UPDATE access_audit SET actor = 'someone-else' WHERE request_id = 'req-ok-1'")
        broken = await ex.client.get("/v1/audit/verify", headers=who["auditor"])
        assert broken.json()["valid"] is False and broken.json()["broken_at"] == entries[1]["seq"]


async def test_concurrent_accesses_chain_without_forks(serve_exchange: Any) -> None:
    import asyncio

    async with serve_exchange() as ex:
        who = await _setup(ex)
        ask = await ex.client.post(
            "/v1/sharing-requests",
            json={
                "dataset_code": "population-base",
                "purpose": "并发核验申请人身份",
                "fields": ["name"],
                "valid_until": "2030-01-01T00:00:00+08:00",
            },
            headers=who["consumer_staff"],
        )
        await ex.client.post(
            f"/v1/sharing-requests/{ask.json()['id']}/decision", json={"decision": "approve"}, headers=who["owner"]
        )
        path = "/v1/datasets/population-base/records/pk-1"
        answers = await asyncio.gather(*(ex.client.get(path, headers=who["consumer_staff"]) for _ in range(20)))
        assert [a.status_code for a in answers] == [200] * 20
        check = await ex.client.get("/v1/audit/verify", headers=who["auditor"])
        assert check.json()["valid"] is True and check.json()["entries"] == 20
        prevs = await ex.sql("SELECT prev_hash FROM access_audit")
        assert len({p.prev_hash for p in prevs}) == 20, "no two entries chain onto the same predecessor"
