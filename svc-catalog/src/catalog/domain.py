"""Rules an implementation list entry must follow against the item it inherits: it may only make the
service easier for applicants (shorter promised time, fewer or optional materials, fewer visits, more
online), never harder. Pure functions; the service layer turns violations into a problem response."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from catalog.items.schemas import ItemDefinition, Material
from gov_standards.regions import region_covers, strictly_above


@dataclass(frozen=True)
class Violation:
    field: str
    rule: str
    inherited: Any
    proposed: Any

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def inheritance_violations(parent: ItemDefinition, child: ItemDefinition) -> list[Violation]:
    """What in ``child`` is harder for applicants than in ``parent`` (empty when it may be published)."""
    out: list[Violation] = []

    def same(field: str, a: Any, b: Any) -> None:
        if a != b:
            out.append(Violation(field, "must stay as in the inherited item (the standard)", a, b))

    if not strictly_above(parent.region, child.region):
        out.append(Violation("region", "must lie below the inherited item's region", parent.region, child.region))
    same("basic_code", parent.basic_code, child.basic_code)
    same("result_license_type", parent.result_license_type, child.result_license_type)
    same("name", parent.name, child.name)
    same("item_type", parent.item_type, child.item_type)
    same("legal_basis", parent.legal_basis, child.legal_basis)
    same("service_object", parent.service_object, child.service_object)
    same("time_limit.statutory_days", parent.time_limit.statutory_days, child.time_limit.statutory_days)

    if child.time_limit.promised_days > parent.time_limit.promised_days:
        out.append(
            Violation(
                "time_limit.promised_days",
                "may only be shortened",
                parent.time_limit.promised_days,
                child.time_limit.promised_days,
            )
        )
    if child.onsite_visits > parent.onsite_visits:
        out.append(Violation("onsite_visits", "may only be reduced", parent.onsite_visits, child.onsite_visits))
    lost = sorted(set(parent.online_stages) - set(child.online_stages))
    if lost:
        out.append(Violation("online_stages", "stages online in the inherited item must stay online", lost, None))

    if child.appointment is False and parent.appointment:
        out.append(Violation("appointment", "an appointment offered by the inherited item must stay", True, False))
    if parent.cross_region_acceptance is not None and child.cross_region_acceptance is None:
        out.append(
            Violation("cross_region_acceptance", "异地代收 the inherited item allows must stay", "allowed", None)
        )
    dropped = sorted(set(parent.delivery) - set(child.delivery))
    if dropped:
        out.append(Violation("delivery", "delivery options of the inherited item must stay", dropped, None))

    inherited = {m.name: m for m in parent.materials}
    for m in child.materials:
        base = inherited.get(m.name)
        if base is not None:
            out.extend(_material_harder(base, m))
        if m.required and (base is None or not base.required):
            out.append(
                Violation(
                    f"materials[{m.name}]",
                    "a material may not become required that the inherited item does not require",
                    None if base is None else "optional",
                    "required",
                )
            )
        elif base is not None and m.count > base.count:
            out.append(Violation(f"materials[{m.name}].count", "may only be reduced", base.count, m.count))

    fees = {f.name: f for f in parent.fees}
    for f in child.fees:
        base_fee = fees.get(f.name)
        if base_fee is None:
            out.append(Violation(f"fees[{f.name}]", "a fee may not be added", None, f.amount_fen or f.formula))
        elif f.formula != base_fee.formula or (
            f.amount_fen is not None and base_fee.amount_fen is not None and f.amount_fen > base_fee.amount_fen
        ):
            out.append(
                Violation(
                    f"fees[{f.name}]",
                    "a fee may only be lowered",
                    base_fee.amount_fen or base_fee.formula,
                    f.amount_fen or f.formula,
                )
            )

    parent_required = set(parent.form_schema.get("required", []))
    added = sorted(set(child.form_schema.get("required", [])) - parent_required)
    if added:
        out.append(Violation("form_schema.required", "a form field may not become required", None, added))
    return out


_ORIGINAL_BURDEN = {"copy": 0, "original": 1, "original_and_copy": 2}
_FORMS = {"paper": {"paper"}, "electronic": {"electronic"}, "paper_or_electronic": {"paper", "electronic"}}


def _material_harder(base: Material, m: Material) -> list[Violation]:
    """How a material kept from the inherited item became harder to hand in."""
    out: list[Violation] = []
    field = f"materials[{m.name}]"
    if _ORIGINAL_BURDEN[m.original_or_copy] > _ORIGINAL_BURDEN[base.original_or_copy]:
        out.append(Violation(f"{field}.original_or_copy", "may not ask for more originals", base.original_or_copy,
                             m.original_or_copy))  # fmt: skip
    if not _FORMS[m.form] >= _FORMS[base.form]:
        out.append(Violation(f"{field}.form", "forms accepted by the inherited item must stay accepted", base.form,
                             m.form))  # fmt: skip
    if base.license_type and m.license_type != base.license_type:
        out.append(Violation(f"{field}.license_type", "the e-license that replaces it must stay", base.license_type,
                             m.license_type))  # fmt: skip
    return out


# JSON Schema types of a form property and the Python values a rule may compare with them.
_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
}


def _fits(value: Any, json_type: Any) -> bool:
    types = _JSON_TYPES.get(json_type) if isinstance(json_type, str) else None
    if types is None:
        return True  # an untyped (or multi-typed) property: the form's own validation decides
    if isinstance(value, bool) and bool not in types:
        return False
    return isinstance(value, types)


def smart_approval_rule_violations(defn: ItemDefinition) -> list[Violation]:
    """What is wrong with the item's own smart-approval rule against the item it belongs to: a field the form
    lacks, a comparison the field's type cannot make, a value outside the field's enumeration, a licence no
    material accepts, or a rule on an item without smart approval. Empty when the rule may be published."""
    rule = defn.smart_approval_rule
    if rule is None:
        return []
    out: list[Violation] = []
    if not defn.smart_approval:
        out.append(Violation("smart_approval_rule", "a rule needs smart_approval switched on", False, rule.id))
    properties = defn.form_schema.get("properties", {})
    properties = properties if isinstance(properties, dict) else {}
    licences = {m.license_type for m in defn.materials if m.license_type}
    for index, condition in enumerate(rule.all_of):
        where = f"smart_approval_rule.all_of[{index}]"
        if condition.license_type is not None:
            if condition.license_type not in licences:
                out.append(Violation(f"{where}.license_type", "no material of the item accepts this e-licence",
                                     sorted(licences), condition.license_type))  # fmt: skip
            continue
        prop = properties.get(condition.field)
        if not isinstance(prop, dict):
            out.append(Violation(f"{where}.field", "the form has no such field", sorted(properties), condition.field))
            continue
        json_type = prop.get("type")
        values = condition.value if isinstance(condition.value, tuple) else (condition.value,)
        if condition.op in ("at_least", "at_most") and json_type not in ("integer", "number"):
            out.append(Violation(f"{where}.op", "compares numbers, the field is not one", json_type, condition.op))
        elif condition.op in ("equals", "not_equals", "in"):
            wrong = [v for v in values if not _fits(v, json_type)]
            if wrong:
                out.append(Violation(f"{where}.value", "the value does not fit the field's type", json_type, wrong))
            enum = prop.get("enum")
            outside = [v for v in values if isinstance(enum, list) and v not in enum]
            if outside:
                out.append(Violation(f"{where}.value", "the value is not one the field allows", enum, outside))
    return out


# How a result accepted at another region's window goes back to the person (GB/T 39554.1 delivery modes).
RESULT_RETURNS = frozenset({"pickup", "mail"})


def cross_region_violations(defn: ItemDefinition) -> list[Violation]:
    """What is wrong with the item's cross-region acceptance (异地代收): a listed region covering the item's own
    (its windows, or its higher level's, accept the item anyway: they are not another region's), one listed twice, or an item whose result cannot go back to
    the accepting window or by post (delivery without pickup or mail). Empty when it may be published."""
    acceptance = defn.cross_region_acceptance
    if acceptance is None:
        return []
    out: list[Violation] = []
    own = [r for r in acceptance.regions if region_covers(r, defn.region)]
    if own:
        out.append(Violation("cross_region_acceptance.regions", "covers the item's own region", defn.region, own))
    twice = sorted({r for r in acceptance.regions if acceptance.regions.count(r) > 1})
    if twice:
        out.append(Violation("cross_region_acceptance.regions", "a region is listed once", None, twice))
    if not RESULT_RETURNS & set(defn.delivery):
        out.append(Violation("delivery", "a result accepted elsewhere goes back by pickup or mail",
                             sorted(RESULT_RETURNS), list(defn.delivery)))  # fmt: skip
    return out
