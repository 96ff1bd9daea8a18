"""An item's own smart-approval rule (from the catalog) decides its cases instead of the fixed rules, and the
trace names the rule and its version, whether it approved or declined."""

from __future__ import annotations

from typing import Any

from gov_contracts.catalog import RuleCondition, SmartApprovalRule
from gov_contracts.workflow import CaseApproved

from ..conftest import food_definition, from_license, submitted, uploaded, valid_form

ACCEPT = {"action": "accept", "opinion": "予以受理"}
RULE = SmartApprovalRule(
    id="catering-fast-track",
    version=2,
    all_of=(
        RuleCondition(field="food_business_category", op="in", value=("餐饮服务",)),
        RuleCondition(license_type="营业执照"),
    ),
)


async def test_the_items_rule_decides_and_the_trace_names_its_version(pg_url: str, start_env: Any) -> None:
    async with start_env(pg_url) as env:
        await env.publish_item(food_definition(smart_approval=True, smart_approval_rule=RULE))
        # Uploaded papers would fail the fixed rules; the item's rule asks only for the category and the licence.
        materials = [uploaded("食品经营许可申请书"), from_license("营业执照", "L-1", license_type="营业执照")]
        fast = await env.submit(submitted(materials=materials))
        await env.act(fast.id, "accept", "acceptor", ACCEPT)
        decided = await env.act(fast.id, "review", "reviewer", {"action": "complete", "opinion": "ok"})
        assert (decided.json()["status"], decided.json()["decision"]) == ("delivering", "approved"), decided.text
        approved = CaseApproved.model_validate(await env.event_data(fast.id, CaseApproved.type))
        assert approved.decided_by == "smart-approval rule item-rule catering-fast-track v2"
        trace = (await env.client.get(f"/v1/cases/{fast.id}/trace", headers=env.staff("reviewer"))).json()["entries"]
        fired = next(e for e in trace if e["action"] == "approve")
        assert fired["details"]["rule_set"] == "item-rule catering-fast-track v2"
        assert [(r["rule"], r["passed"]) for r in fired["details"]["rules"]] == [
            ("catering-fast-track#1", True),
            ("catering-fast-track#2", True),
        ]

        # Another category: the rule declines, a person decides, and the trace says which condition failed.
        sales = {**valid_form(), "food_business_category": "食品销售"}
        manual = await env.submit(submitted(materials=materials, form=sales))
        await env.act(manual.id, "accept", "acceptor", ACCEPT)
        declined = await env.act(manual.id, "review", "reviewer", {"action": "complete", "opinion": "ok"})
        assert declined.json()["status"] == "deciding"
        trace = (await env.client.get(f"/v1/cases/{manual.id}/trace", headers=env.staff("reviewer"))).json()["entries"]
        note = next(e for e in trace if e["action"] == "smart_approval_declined")
        assert note["details"]["rule_set"] == "item-rule catering-fast-track v2"
        assert [r["passed"] for r in note["details"]["rules"]] == [False, True]
