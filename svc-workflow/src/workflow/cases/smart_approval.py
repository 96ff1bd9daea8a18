"""Smart approval (智能审批) rules: pure checks over an application, each with a stable id that the
trace records when it decides a case. A rule set passes only when every rule passes. An item may carry its
own rule (catalog's ``SmartApprovalRule``, validated against the item when published): its conditions
replace the platform's two fixed rules, and the trace names the rule's id and version."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from jsonschema import Draft202012Validator

RULE_SET_ID = "smart-approval-v1"
_MISSING = object()


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


def rule_set_id(rule: Mapping[str, Any] | None) -> str:
    """The id the trace records: the item's rule with its version, or the platform's fixed rule set."""
    return f"item-rule {rule['id']} v{rule['version']}" if rule else RULE_SET_ID


def _holds(condition: Mapping[str, Any], form: Mapping[str, Any], materials: Sequence[Mapping[str, Any]]) -> bool:
    licence = condition.get("license_type")
    if licence is not None:
        return any(
            m.get("source") == "license" and m.get("verified") and m.get("license_type") == licence for m in materials
        )
    got, op, want = form.get(str(condition["field"]), _MISSING), condition["op"], condition.get("value")
    if got is _MISSING or got is None or got == "":
        return False  # every operator asks for the field to be filled in
    if op == "present" or (op == "equals" and got == want):
        return True
    if op == "not_equals":
        return bool(got != want)
    if op == "in":
        return got in (want or ())
    numeric = isinstance(got, int | float) and not isinstance(got, bool) and isinstance(want, int | float)
    if op == "at_least":
        return numeric and got >= want
    if op == "at_most":
        return numeric and got <= want
    return False


def item_rule(rule: Mapping[str, Any], application: Mapping[str, Any]) -> list[RuleResult]:
    """Each condition of the item's own rule (``all_of``) over the application's form and reused e-licences."""
    form, materials = application.get("form", {}), application.get("materials", [])
    results = []
    for index, condition in enumerate(rule.get("all_of", [])):
        name = f"{rule['id']}#{index + 1}"
        if condition.get("license_type") is not None:
            what = f"a verified e-licence {condition['license_type']!r} reused"
        else:
            value = "" if condition.get("op") == "present" else f" {condition.get('value')!r}"
            what = f"{condition.get('field')} {condition.get('op')}{value}"
        passed = _holds(condition, form, materials)
        results.append(RuleResult(name, passed, what if passed else f"not met: {what}"))
    return results


def evaluate(definition: Mapping[str, Any], application: Mapping[str, Any]) -> list[RuleResult]:
    """Every rule over an item definition (catalog's) and the case's application data: the item's own rule
    (``definition["rule"]``) when it has one, else the platform's fixed rules."""
    if definition.get("rule"):
        return item_rule(definition["rule"], application)
    return [
        materials_from_verified_licenses(definition.get("materials", []), application.get("materials", [])),
        form_meets_schema(definition.get("form_schema", {}), application.get("form", {})),
    ]
