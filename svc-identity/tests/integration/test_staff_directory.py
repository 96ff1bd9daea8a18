"""GET /v1/staff-directory: staff read the names of colleagues a case's trace names by account id, within
their region's branch only; a citizen, another branch's staff or an unknown id is left out alike; only staff
ask; bad input is problem+json."""

from __future__ import annotations

import uuid

from ..conftest import Idp

PATH = "/api/identity/v1/staff-directory"


async def test_staff_read_their_branchs_names_and_nothing_else(idp: Idp) -> None:
    acceptor, _ = await idp.staff("dir-acceptor", roles=("acceptor",), region="450100")
    reviewer, _ = await idp.staff("dir-reviewer", roles=("reviewer",), region="450100")
    province, _ = await idp.staff("dir-province", roles=("supervisor",), region="450000")  # above it
    liuzhou, _ = await idp.staff("dir-liuzhou", roles=("acceptor",), region="450200")  # a sibling city
    citizen = await idp.citizen("dir-citizen", id_number="450102199001011231", phone="13912345678")
    asked = [reviewer, province, liuzhou, citizen, uuid.uuid4()]
    async with idp.http() as http:
        resp = await http.get(
            PATH,
            params={"id": [str(i) for i in asked]},
            headers={"Authorization": f"Bearer {await idp.token_for(acceptor)}"},
        )
        from_province = await http.get(
            PATH,
            params={"id": [str(acceptor), str(liuzhou)]},
            headers={"Authorization": f"Bearer {await idp.token_for(province)}"},
        )
        from_liuzhou = await http.get(
            PATH, params={"id": [str(acceptor)]}, headers={"Authorization": f"Bearer {await idp.token_for(liuzhou)}"}
        )
    assert resp.status_code == 200, resp.text
    names = {item["id"]: item for item in resp.json()["items"]}
    assert set(names) == {str(reviewer), str(province)}
    assert names[str(reviewer)]["name"] == "dir-reviewer" and names[str(reviewer)]["region"] == "450100"
    assert set(names[str(reviewer)]) == {"id", "name", "department", "region"}  # no phone, no ID number
    assert {i["id"] for i in from_province.json()["items"]} == {str(acceptor), str(liuzhou)}  # the cities below
    assert from_liuzhou.status_code == 200 and from_liuzhou.json()["items"] == []


async def test_citizens_and_tokens_without_the_scope_are_refused(idp: Idp) -> None:
    acceptor, _ = await idp.staff("dir-acceptor2", roles=("acceptor",))
    citizen = await idp.citizen("dir-citizen2", id_number="450102199001011231", phone="13912345679")
    async with idp.http() as http:
        as_citizen = await http.get(
            PATH, params={"id": str(acceptor)}, headers={"Authorization": f"Bearer {await idp.token_for(citizen)}"}
        )
        no_scope = await http.get(
            PATH,
            params={"id": str(acceptor)},
            headers={"Authorization": f"Bearer {await idp.token_for(acceptor, scope='openid')}"},
        )
    assert as_citizen.status_code == 403 and as_citizen.headers["content-type"].startswith("application/problem+json")
    assert no_scope.status_code == 403


async def test_bad_input_is_problem_json(idp: Idp) -> None:
    acceptor, _ = await idp.staff("dir-acceptor3", roles=("acceptor",))
    auth = {"Authorization": f"Bearer {await idp.token_for(acceptor)}"}
    async with idp.http() as http:
        for params in ({"id": "../../v1/staff"}, {}, {"id": [str(uuid.uuid4()) for _ in range(51)]}):
            resp = await http.get(PATH, params=params, headers=auth)
            assert resp.status_code == 422, (params, resp.status_code)
            assert resp.headers["content-type"].startswith("application/problem+json")
