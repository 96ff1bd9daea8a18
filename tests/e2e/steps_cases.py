"""A case from the applicant's first click to the department's last step, as the portal and the staff
workbench drive it through the gateway: find the item, apply with the form and materials, submit, then the
department's staff claim and complete each step from their inboxes."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from steps_people import Person, eventually

NANNING = "450100"
NANNING_MARKET = "11450100MBQH0Y21QM"  # 南宁市市场监督管理局, whose demo staff handle the journeys' cases
# The smallest file a material check reads as a PDF by its content.
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

COMPANY_FORM = {  # 内资有限公司设立登记
    "enterprise_name": "广西示例科技有限公司",
    "business_address": "南宁市青秀区民族大道100号",
    "registered_capital_fen": 100_000_000,
    "business_scope": "软件开发；信息技术咨询服务",
    "legal_representative": "李四",
    "phone": "13800000002",
}
FOOD_FORM = {  # 食品经营许可
    "enterprise_name": "张三小吃店",
    "credit_code": "92450100MA5L000013",
    "legal_representative": "张三",
    "phone": "13800000001",
    "business_address": "南宁市青秀区中山路8号",
    "food_business_category": "餐饮服务",
}


def find_item(client: httpx.Client, name: str, region: str = NANNING) -> dict[str, Any]:
    """The published item of ``region`` named ``name``, as the portal's search finds it (no sign-in)."""
    found = client.get("/api/catalog/v1/items", params={"q": name, "region": region, "limit": 50})
    assert found.status_code == 200, found.text
    items = [i for i in found.json()["items"] if i["name"] == name and i["region"] == region]
    assert len(items) == 1, found.json()
    return dict(items[0])


def apply(applicant: Person, item_code: str, name: str, form: dict[str, Any], **ids: str) -> dict[str, Any]:
    """Start the application, upload every material the pre-review asks for, submit; the submitted application."""
    body = {"item_code": item_code, "applicant": {"name": name, **ids}, "form": form}

    def start() -> httpx.Response | None:
        # Right after start-up the application service may not have read the catalog's items yet.
        answer = applicant.post("/api/application/v1/applications", key=str(uuid.uuid4()), json=body)
        not_yet = answer.status_code == 422 and answer.json()["type"].endswith(":item-not-available")
        return None if not_yet else answer

    created = eventually(start, f"item {item_code} to be open for applications")
    assert created.status_code == 201, created.text
    app = created.json()
    assert app["status"] == "draft"
    review = applicant.get(f"/api/application/v1/applications/{app['id']}/pre-review").json()
    assert review["ok"] is False and review["form_errors"] == [], review
    for material in review["missing_materials"]:
        uploaded = applicant.client.post(
            f"/api/application/v1/applications/{app['id']}/materials",
            headers=applicant.auth,
            data={"name": material["name"]},
            files={"file": ("material.pdf", PDF, "application/octet-stream")},
        )
        assert uploaded.status_code == 201 and uploaded.json()["media_type"] == "application/pdf", uploaded.text
    assert applicant.get(f"/api/application/v1/applications/{app['id']}/pre-review").json()["ok"] is True
    submitted = applicant.post(f"/api/application/v1/applications/{app['id']}/submit", key=str(uuid.uuid4()))
    assert submitted.status_code == 200, submitted.text
    body = dict(submitted.json())
    assert body["status"] == "submitted" and body["tracking_number"].startswith(app["region"])
    return body


def task_of(worker: Person, tracking_number: str, kind: str) -> dict[str, Any]:
    """The open task of ``kind`` for the case, once it reaches the worker's inbox."""

    def probe() -> dict[str, Any] | None:
        inbox = worker.get("/api/workflow/v1/tasks", params={"limit": 100})
        assert inbox.status_code == 200, inbox.text
        mine = [t for t in inbox.json()["items"] if t["tracking_number"] == tracking_number and t["kind"] == kind]
        return mine[0] if mine else None

    return eventually(probe, f"the {kind} task of {tracking_number} in {worker.name}'s inbox")


def do_step(worker: Person, tracking_number: str, kind: str, action: str, opinion: str) -> dict[str, Any]:
    """Claim the step from the inbox and complete it; the case as it now stands."""
    task = task_of(worker, tracking_number, kind)
    claimed = worker.post(f"/api/workflow/v1/tasks/{task['id']}/claim")
    assert claimed.status_code == 200 and claimed.json()["assignee"], claimed.text
    done = worker.post(f"/api/workflow/v1/tasks/{task['id']}/complete", json={"action": action, "opinion": opinion})
    assert done.status_code == 200, done.text
    return dict(done.json())


def handle(staff: dict[str, Person], tracking_number: str) -> dict[str, Any]:
    """The department accepts, reviews, approves and delivers (办结); the completed case."""
    case = do_step(staff["acceptor"], tracking_number, "accept", "accept", "材料齐全，予以受理")
    assert case["status"] == "reviewing" and case["tracking_number"] == tracking_number
    assert do_step(staff["reviewer"], tracking_number, "review", "complete", "审查通过")["status"] == "deciding"
    approved = do_step(staff["approver"], tracking_number, "decide", "approve", "准予许可")
    assert approved["decision"] == "approved" and approved["status"] == "delivering", approved
    done = do_step(staff["acceptor"], tracking_number, "deliver", "complete", "已送达")
    assert done["status"] == "completed" and done["closed_at"], done
    return done


def application_status(applicant: Person, application_id: str, status: str) -> dict[str, Any]:
    """The application as the applicant sees it once it reaches ``status`` (workflow's events move it)."""

    def probe() -> dict[str, Any] | None:
        app = applicant.get(f"/api/application/v1/applications/{application_id}")
        assert app.status_code == 200, app.text
        return dict(app.json()) if app.json()["status"] == status else None

    return eventually(probe, f"application {application_id} {status}")
