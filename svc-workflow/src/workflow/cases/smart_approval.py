"""Smart approval (智能审批) rules: pure checks over an application, each with a stable id that the
trace records when it decides a case. A rule set passes only when every rule passes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from jsonschema import Draft202012Validator

RULE_SET_ID = "smart-approval-v1"


@dataclass(frozen=True)
class RuleResult:
    rule: str
    passed: bool
    detail: str


def materials_from_verified_licenses(
    required: Sequence[Mapping[str, Any]], given: Sequence[Mapping[str, Any]]
) -> RuleResult:
    """Every required material of the item came from a verified e-license (免提交), none was uploaded."""
    rule = "materials-from-verified-licenses"
    by_name = {m.get("name"): m for m in given}
    for material in required:
        if not material.get("required", True):
            continue
        got = by_name.get(material.get("name"))
        if got is None:
            return RuleResult(rule, False, f"material {material.get('name')!r} is missing")
        if got.get("source") != "license" or not got.get("verified"):
            return RuleResult(rule, False, f"material {material.get('name')!r} is not a verified e-license")
    uploaded = [m for m in given if m.get("source") != "license" or not m.get("verified")]
    if uploaded:
        return RuleResult(rule, False, f"{len(uploaded)} material(s) not from a verified e-license")
    return RuleResult(rule, True, "every material came from a verified e-license")


def form_meets_schema(form_schema: Mapping[str, Any], form: Mapping[str, Any]) -> RuleResult:
    """The form data meets every condition the item's form schema states (types, ranges, enumerations)."""
    rule = "form-meets-stated-conditions"
    errors = sorted(Draft202012Validator(dict(form_schema)).iter_errors(dict(form)), key=lambda e: list(e.path))
    if errors:
        where = "/".join(str(p) for p in errors[0].path) or "(form)"
        return RuleResult(rule, False, f"{len(errors)} condition(s) not met, first at {where}")
    return RuleResult(rule, True, "the form meets the stated conditions")


def evaluate(definition: Mapping[str, Any], application: Mapping[str, Any]) -> list[RuleResult]:
    """Every rule over an item definition (catalog's) and the case's application data."""
    return [
        materials_from_verified_licenses(definition.get("materials", []), application.get("materials", [])),
        form_meets_schema(definition.get("form_schema", {}), application.get("form", {})),
    ]
