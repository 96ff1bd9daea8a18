"""A hall acceptor checks the person at the window against the population base data (POST
/v1/real-name-checks): the answer, and the person's account only when name and number match; nobody else may
ask; every check is audited without the number."""

from __future__ import annotations

import sqlalchemy as sa

from identity.models import AuditEvent

from ..conftest import Idp
from .test_accounts import V1, bearer

LISI = "450102198506152342"  # 李四 in the synthetic population base
CHEN = "450103199511115678"  # 陈七: in the base, no account


async def test_hall_staff_check_a_person_and_find_their_account(idp: Idp) -> None:
    citizen = await idp.citizen("lisi", id_number=LISI, phone="13800000002", real_name="李四", level=2)
    acceptor, _ = await idp.staff("nn-acceptor", roles=("acceptor",))
    headers = bearer(await idp.token_for(acceptor))
    async with idp.http() as http:
        match = await http.post(f"{V1}/real-name-checks", json={"id_number": LISI, "name": "李四"}, headers=headers)
        wrong_name = await http.post(
            f"{V1}/real-name-checks", json={"id_number": LISI, "name": "张三"}, headers=headers
        )
        no_account = await http.post(
            f"{V1}/real-name-checks", json={"id_number": CHEN, "name": "陈七"}, headers=headers
        )
        bad = await http.post(
            f"{V1}/real-name-checks", json={"id_number": "450102198506152343", "name": "李四"}, headers=headers
        )
        extra = await http.post(
            f"{V1}/real-name-checks", json={"id_number": LISI, "name": "李四", "account": "x"}, headers=headers
        )
    assert match.status_code == 200, match.text
    assert match.json() == {"matches": True, "account_id": str(citizen), "assurance_level": 2}
    # A wrong name tells nothing about the account (no probing who has one by number alone).
    assert wrong_name.json() == {"matches": False, "account_id": None, "assurance_level": None}
    assert no_account.json() == {"matches": True, "account_id": None, "assurance_level": None}
    for refused in (bad, extra):
        assert refused.status_code == 422 and refused.headers["content-type"] == "application/problem+json"
    async with idp.db.transaction() as session:
        rows = list(await session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "person.real_name_checked")))
    assert len(rows) == 3 and {r.actor for r in rows} == {str(acceptor)}
    assert all(LISI not in str(r.__dict__) for r in rows)


async def test_only_hall_acceptors_check_people(idp: Idp) -> None:
    citizen = await idp.citizen("lisi", id_number=LISI, phone="13800000002", real_name="李四")
    reviewer, _ = await idp.staff("nn-reviewer", roles=("reviewer",))
    acceptor, _ = await idp.staff("nn-acceptor", roles=("acceptor",))
    body = {"id_number": LISI, "name": "李四"}
    async with idp.http() as http:
        by_citizen = await http.post(f"{V1}/real-name-checks", json=body, headers=bearer(await idp.token_for(citizen)))
        by_reviewer = await http.post(
            f"{V1}/real-name-checks", json=body, headers=bearer(await idp.token_for(reviewer))
        )
        without_scope = await http.post(
            f"{V1}/real-name-checks", json=body, headers=bearer(await idp.token_for(acceptor, scope="openid"))
        )
        anonymous = await http.post(f"{V1}/real-name-checks", json=body)
    assert by_citizen.status_code == 403 and by_reviewer.status_code == 403
    assert without_scope.status_code == 403 and anonymous.status_code == 401


async def test_a_staff_member_checking_name_after_name_is_stopped_for_the_hour(idp: Idp) -> None:
    """The check tells whether a name and an ID number belong together; beyond the hourly quota a staff member
    is refused (429 with Retry-After, nothing audited as checked) while a colleague still checks."""
    idp.identity.settings.real_name_checks_per_hour = 3
    first, _ = await idp.staff("nn-acceptor", roles=("acceptor",))
    colleague, _ = await idp.staff("nn-acceptor-2", roles=("acceptor",))
    headers = bearer(await idp.token_for(first))
    async with idp.http() as http:
        answers = [
            await http.post(f"{V1}/real-name-checks", json={"id_number": LISI, "name": name}, headers=headers)
            for name in ("张三", "王五", "赵六", "李四")
        ]
        other = await http.post(
            f"{V1}/real-name-checks",
            json={"id_number": LISI, "name": "李四"},
            headers=bearer(await idp.token_for(colleague)),
        )
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    refused = answers[-1]
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["type"].endswith("too-many-real-name-checks")
    assert 3500 <= int(refused.headers["retry-after"]) <= 3601
    assert "matches" not in refused.json(), "a refused check answers nothing about the person"
    assert other.status_code == 200 and other.json()["matches"] is True
    async with idp.db.transaction() as session:
        actors = list(
            await session.scalars(sa.select(AuditEvent.actor).where(AuditEvent.action == "person.real_name_checked"))
        )
    assert sorted(actors) == sorted([str(first)] * 3 + [str(colleague)])
