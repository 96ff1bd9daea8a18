"""Journey 2: an enterprise agent (经办人) applies for an enterprise item for the enterprise, the department
handles the case and the business license (营业执照) is issued to the enterprise; the same agent is refused
what the representative did not grant and an enterprise it does not act for."""

from __future__ import annotations

import re
import uuid

from harness import Platform
from identity_flows import DEMO_PASSWORD, sign_in
from steps_cases import COMPANY_FORM, NANNING_MARKET, application_status, apply, find_item, handle
from steps_people import (
    Person,
    agent,
    authorize_for_enterprise,
    browser,
    citizen,
    eventually,
    problem,
    staff,
)

from gov_standards.identifiers import credit_check_character

APPLYING = "openid application.applications.read application.applications.write"  # what identity's demo grants the agent wangwu


def demo_enterprise(platform: Platform) -> str:
    found = re.search(r"enterprise (\w{18}): representative lisi, agent wangwu", platform.demo_text("identity"))
    assert found, platform.demo_text("identity")
    return found.group(1)


def test_an_agent_applies_for_the_enterprise_and_is_refused_beyond_its_grant(platform: Platform) -> None:
    enterprise = demo_enterprise(platform)
    wangwu = agent(platform, "wangwu", enterprise, APPLYING)
    item = find_item(wangwu.client, "内资有限公司设立登记")
    assert item["service_object"] == "enterprise" and item["department"]["code"] == NANNING_MARKET

    # The agent applies in the enterprise's name: the credit code comes from the token, not from the form.
    submitted = apply(wangwu, item["implementation_code"], COMPANY_FORM["enterprise_name"], COMPANY_FORM)
    applicant = submitted["applicant"]
    assert applicant["kind"] == "enterprise" and applicant["enterprise"] == enterprise
    assert applicant["agent"] == applicant["subject"]  # the agent's own account acted
    mine = wangwu.get("/api/application/v1/applications").json()["items"]
    assert [a["tracking_number"] for a in mine] == [submitted["tracking_number"]]

    department = {role: staff(platform, f"nn-{role}") for role in ("acceptor", "reviewer", "approver")}
    case = handle(department, submitted["tracking_number"])
    assert case["item_code"] == item["implementation_code"]
    application_status(wangwu, submitted["id"], "completed")  # the agent follows the case to its end

    # The license belongs to the enterprise: its representative sees it in the enterprise's wallet.
    lisi = agent(platform, "lisi", enterprise, "openid certificates.licenses.read")

    def issued() -> list[dict[str, object]]:
        page = lisi.get("/api/certificates/v1/wallet/licenses", params={"type": "营业执照"})
        assert page.status_code == 200, page.text
        return [lic for lic in page.json()["items"] if lic["case_id"] == case["id"]]

    (license_,) = eventually(issued, "the business license in the enterprise's wallet")
    assert license_["holder_id_type"] == "credit_code" and license_["status"] == "active"
    assert license_["issuer"]["code"] == NANNING_MARKET
    assert license_["fields"]["entity_name"] == COMPANY_FORM["enterprise_name"]
    assert "tracking_number" not in license_["fields"]  # only the license type's own fields
    verified = lisi.client.get(f"/api/certificates/v1/verify/{license_['identifier']}")
    assert verified.status_code == 200 and verified.json()["result"] == "authentic", verified.text
    # Nobody else's wallet holds it: the citizen lisi, acting for herself, has no such license.
    own = citizen(platform, "lisi").get("/api/certificates/v1/wallet/licenses").json()["items"]
    assert case["id"] not in [lic["case_id"] for lic in own]

    refuse_beyond_the_grant(platform, wangwu, enterprise, item["implementation_code"])


def refuse_beyond_the_grant(platform: Platform, wangwu: Person, enterprise: str, item_code: str) -> None:
    # An action the representative did not grant: the enterprise's licenses (license:read).
    body = problem(wangwu.get("/api/certificates/v1/wallet/licenses"), 403)
    assert body["required_scope"] == "certificates.licenses.read"
    # ... nor may the agent ask for it at sign-in.
    asked = authorize_for_enterprise(browser(platform), "wangwu", enterprise, "openid certificates.licenses.read")
    assert asked["error"] == "invalid_scope", asked
    # An agent who signed in to read only may not apply.
    reader = agent(platform, "wangwu", enterprise, "openid application.applications.read")
    form = {"item_code": item_code, "applicant": {"name": "广西示例科技有限公司"}, "form": {}}
    problem(reader.post("/api/application/v1/applications", key=str(uuid.uuid4()), json=form), 403)
    # Only the representative manages agents.
    grant = {
        "agent_username": "zhangsan",
        "scopes": ["application.applications.read"],
        "expires_at": "2027-06-01T00:00:00+08:00",
    }
    problem(wangwu.post(f"/api/identity/v1/enterprises/{enterprise}/agents", json=grant), 403)
    # An item for citizens only is not the enterprise's to apply for.
    personal = find_item(wangwu.client, "个体工商户设立登记", region="450103")
    form = {"item_code": personal["implementation_code"], "applicant": {"name": "广西示例科技有限公司"}, "form": {}}
    problem(wangwu.post("/api/application/v1/applications", key=str(uuid.uuid4()), json=form), 422)

    # Another enterprise, registered by zhangsan, who grants wangwu nothing: wangwu cannot act for it.
    first17 = "91450100MA5P0E2X0"
    other = first17 + credit_check_character(first17)
    # An enterprise is registered on the legal-person base's word only for someone verified in person:
    # zhangsan shows his ID card at a Nanning hall first, then signs in again (his token carries level 3).
    account_id = citizen(platform, "zhangsan").get("/api/identity/v1/me").json()["id"]
    checked = staff(platform, "nn-acceptor").post(f"/api/identity/v1/accounts/{account_id}/in-person-verification")
    assert checked.status_code == 200 and checked.json()["assurance_level"] == 3, checked.text
    zhangsan = citizen(platform, "zhangsan")
    registered = zhangsan.post(
        "/api/identity/v1/enterprises", json={"name": "南宁另一家公司 (e2e)", "credit_code": other}
    )
    assert registered.status_code == 201, registered.text
    refused = authorize_for_enterprise(browser(platform), "wangwu", other, APPLYING)
    assert refused["error"] == "access_denied", refused
    # The agent's token for the first enterprise does not reach the other one's applications either.
    zhangsan_firm = agent(platform, "zhangsan", other, APPLYING)
    theirs = find_item(zhangsan_firm.client, "内资有限公司设立登记")
    draft = zhangsan_firm.post(
        "/api/application/v1/applications",
        key=str(uuid.uuid4()),
        json={"item_code": theirs["implementation_code"], "applicant": {"name": "南宁另一家公司"}, "form": {}},
    )
    assert draft.status_code == 201, draft.text
    problem(wangwu.get(f"/api/application/v1/applications/{draft.json()['id']}"), 404)  # not confirmed to exist
    assert sign_in(browser(platform), "wangwu", DEMO_PASSWORD, scope="openid")  # as himself he still signs in
