"""Hall staff register an application for the person at the window (channel hall): with the person's account
named only when identity holds that person's ID number for it (a forged account id writes nothing), without
an account, once per Idempotency-Key, problem+json on bad input, and only for their department and region."""

from __future__ import annotations

import uuid

from ..conftest import ID_NUMBER
from .test_case_lookups import install_identity

OTHER_ID = "450102199001011231"


async def test_a_hall_application_names_the_persons_account_only_when_it_is_theirs(svc) -> None:
    calls = install_identity(svc, {"citizen-7": ID_NUMBER, "citizen-8": OTHER_ID})
    clerk = svc.staff("window-1", roles=("acceptor",))
    person = {"name": "张三", "id_number": ID_NUMBER, "kind": "citizen"}
    key = uuid.uuid4().hex
    first = await svc.create(clerk, code=svc.items[0], applicant={**person, "subject": "citizen-7"}, key=key)
    assert first.status_code == 201, first.text
    body = first.json()
    assert body["channel"] == "hall" and body["applicant"]["subject"] == "citizen-7"
    # The person sees it in their own space; the same key replays the first answer (one draft).
    mine = await svc.client.get(f"/v1/applications/{body['id']}", headers=svc.citizen("citizen-7"))
    assert mine.status_code == 200
    again = await svc.create(clerk, code=svc.items[0], applicant={**person, "subject": "citizen-7"}, key=key)
    assert again.json()["id"] == body["id"] and again.headers["idempotent-replayed"] == "true"
    assert calls == ["citizen-7"]

    # Another person's account (forged or mistaken), an unknown one, an enterprise named by account: refused.
    for subject in ("citizen-8", "citizen-404"):
        forged = await svc.create(clerk, code=svc.items[0], applicant={**person, "subject": subject})
        assert forged.status_code == 422 and forged.json()["type"].endswith(":applicant-invalid"), forged.text
        assert forged.headers["content-type"] == "application/problem+json"
    firm = {"name": "南宁示例", "kind": "enterprise", "credit_code": "91450100MA5KXXXX1Y", "subject": "citizen-7"}
    assert (await svc.create(clerk, code=svc.items[0], applicant=firm)).status_code == 422
    # Without an account: the case is the hall's; nobody's space shows it.
    walk_in = await svc.create(clerk, code=svc.items[0], applicant=person)
    assert walk_in.status_code == 201 and walk_in.json()["applicant"]["subject"] is None
    rows = await svc.sql("SELECT applicant_subject FROM application ORDER BY created_at")
    assert [r.applicant_subject for r in rows] == ["citizen-7", None]


async def test_naming_an_account_needs_identity(svc) -> None:
    clerk = svc.staff("window-1", roles=("acceptor",))
    resp = await svc.create(
        clerk, code=svc.items[0], applicant={"name": "张三", "id_number": ID_NUMBER, "subject": "citizen-7"}
    )
    assert resp.status_code == 503 and resp.headers["content-type"] == "application/problem+json"
    assert (await svc.sql("SELECT count(*) AS n FROM application"))[0].n == 0


async def test_a_clerk_acts_only_for_their_department_and_region(svc) -> None:
    clerk = svc.staff("window-1", roles=("acceptor",))
    draft = await svc.create(clerk, code=svc.items[0], applicant={"name": "张三", "id_number": ID_NUMBER})
    assert draft.status_code == 201
    app_id = draft.json()["id"]
    other_department = svc.staff("window-9", roles=("acceptor",), department="11450100MB0C1G2L3X")
    other_city = svc.staff("window-8", roles=("acceptor",), department="11450200MB1234567J", region="450200")
    for outsider in (other_department, other_city):
        assert (await svc.upload(app_id, outsider, "营业执照")).status_code == 404
        assert (await svc.submit(app_id, outsider)).status_code == 404
    # Bad input is problem+json and writes nothing.
    bad = await svc.create(clerk, code=svc.items[0], applicant={"name": "张三", "id_number": "45010219900101123"})
    assert bad.status_code == 422 and bad.headers["content-type"] == "application/problem+json"
    assert (await svc.sql("SELECT count(*) AS n FROM application"))[0].n == 1
