"""Pure rules of applications: tracking numbers, status graph, form checks, pre-review, masking, scopes."""

from __future__ import annotations

import hmac
import re
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

from jsonschema import Draft202012Validator

from gov_common.errors import json_pointer
from gov_standards.regions import region_covers

TRACKING_RE = re.compile(r"^(?P<region>\d{6})(?P<day>\d{8})(?P<seq>\d{6})$")
ID_NUMBER_RE = re.compile(r"^\d{17}[\dX]$")


def tracking_number(region: str, day: date, seq: int) -> str:
    """办件编号: 6-digit region (GB/T 2260) + yyyymmdd (Beijing time) + 6-digit sequence of that region and day."""
    if not (1 <= seq <= 999_999):
        raise ValueError("the daily sequence of a region runs from 1 to 999999")
    return f"{region[:6]}{day:%Y%m%d}{seq:06d}"


def is_tracking_number(value: str) -> bool:
    return TRACKING_RE.match(value) is not None


# 32 symbols without 0/O, 1/I: read aloud and typed from a paper receipt without mistakes.
QUERY_CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
QUERY_CODE_LENGTH = 8  # 40 bits: tracking numbers are sequential, so this alone keeps a stranger out


def new_query_code() -> str:
    """The secret given with a tracking number for the public status query (查询码)."""
    return "".join(secrets.choice(QUERY_CODE_ALPHABET) for _ in range(QUERY_CODE_LENGTH))


def query_code_matches(expected: str | None, given: str) -> bool:
    """Constant-time comparison of a query code, ignoring case and surrounding blanks."""
    candidate = given.strip().upper().encode()
    return expected is not None and hmac.compare_digest(expected.encode(), candidate)


class Status(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    REFUSED = "refused"
    SUPPLEMENT_REQUESTED = "supplement_requested"
    SUPPLEMENTED = "supplemented"
    APPROVED = "approved"
    REJECTED = "rejected"
    COMPLETED = "completed"
    WITHDRAWN = "withdrawn"


S = Status
# What may follow what; anything else is refused (API) or ignored and logged (events out of order).
TRANSITIONS: dict[Status, frozenset[Status]] = {
    S.DRAFT: frozenset({S.SUBMITTED, S.WITHDRAWN}),
    S.SUBMITTED: frozenset({S.ACCEPTED, S.REFUSED, S.SUPPLEMENT_REQUESTED, S.WITHDRAWN, S.APPROVED, S.REJECTED}),
    S.ACCEPTED: frozenset({S.SUPPLEMENT_REQUESTED, S.APPROVED, S.REJECTED, S.WITHDRAWN}),
    S.SUPPLEMENT_REQUESTED: frozenset({S.SUPPLEMENTED, S.WITHDRAWN, S.REJECTED}),
    S.SUPPLEMENTED: frozenset({S.ACCEPTED, S.SUPPLEMENT_REQUESTED, S.APPROVED, S.REJECTED, S.WITHDRAWN}),
    S.APPROVED: frozenset({S.COMPLETED}),
    S.REJECTED: frozenset({S.COMPLETED}),
    S.REFUSED: frozenset(),
    S.COMPLETED: frozenset(),
    S.WITHDRAWN: frozenset(),
}
# Workflow case events and the status they bring.
WORKFLOW_STATUS: dict[str, Status] = {
    "workflow.case.accepted": S.ACCEPTED,
    "workflow.case.refused": S.REFUSED,
    "workflow.case.supplement_requested": S.SUPPLEMENT_REQUESTED,
    "workflow.case.approved": S.APPROVED,
    "workflow.case.rejected": S.REJECTED,
    "workflow.case.completed": S.COMPLETED,
    "workflow.case.withdrawn": S.WITHDRAWN,
}
WITHDRAWABLE = frozenset({S.DRAFT, S.SUBMITTED, S.ACCEPTED, S.SUPPLEMENT_REQUESTED, S.SUPPLEMENTED})


def can_transition(current: str, target: Status) -> bool:
    return target in TRANSITIONS.get(Status(current), frozenset())


# ---------------------------------------------------------------- bundle applications (一件事)

# A part has ended: nothing more will happen to its case.
BUNDLE_DONE = frozenset({S.COMPLETED, S.REFUSED, S.WITHDRAWN})


def bundle_outcome(parts: Iterable[tuple[str, str | None]]) -> str:
    """How a bundle whose parts have all ended ends, from each part's (status, decision outcome):
    ``completed`` when every part was approved and completed, else ``partial``."""
    done = all(status == S.COMPLETED and outcome == S.APPROVED for status, outcome in parts)
    return "completed" if done else "partial"


def part_form(schema: dict[str, Any], form: dict[str, Any]) -> dict[str, Any]:
    """What of the bundle's merged form one item's form holds: its own fields (all, when it names none)."""
    fields = schema.get("properties")
    if not isinstance(fields, dict):
        return dict(form)
    return {k: v for k, v in form.items() if k in fields}


@dataclass(frozen=True)
class FieldError:
    pointer: str  # JSON pointer into the form (RFC 6901)
    message: str
    code: str  # the JSON Schema keyword that failed

    def as_dict(self) -> dict[str, str]:
        field_name = self.pointer.lstrip("/").replace("/", ".")
        return {"pointer": self.pointer, "field": field_name, "message": self.message, "code": self.code}


def form_errors(schema: dict[str, Any], data: dict[str, Any]) -> list[FieldError]:
    """Every way ``data`` fails the item's form schema, each pointing at the field (a missing required
    field points at the field itself, not at its parent object)."""
    errors: list[FieldError] = []
    for err in Draft202012Validator(schema).iter_errors(data):
        path = list(err.absolute_path)
        if err.validator == "required" and isinstance(err.validator_value, list):
            present = err.instance if isinstance(err.instance, dict) else {}
            for name in err.validator_value:
                if name not in present:
                    errors.append(FieldError(json_pointer([*path, name]), f"{name} is required", "required"))
            continue
        errors.append(FieldError(json_pointer(path), err.message, str(err.validator)))
    return sorted(errors, key=lambda e: (e.pointer, e.code))


@dataclass(frozen=True)
class MaterialHeld:
    name: str
    source: str  # upload | license


@dataclass
class PreReview:
    """预审: what is missing before the application may be submitted."""

    item_published: bool
    form_errors: list[FieldError] = field(default_factory=list)
    missing_materials: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.item_published and not self.form_errors and not self.missing_materials

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "item_published": self.item_published,
            "form_errors": [e.as_dict() for e in self.form_errors],
            "missing_materials": self.missing_materials,
        }


def pre_review(
    *,
    published: bool,
    schema: dict[str, Any],
    form: dict[str, Any],
    required: Sequence[dict[str, Any]],
    held: Iterable[MaterialHeld],
    licenses_by_type: dict[str, list[dict[str, Any]]] | None = None,
) -> PreReview:
    """Check the form, every required material and that the item is still published. A missing material
    that an e-license of the applicant can replace says so (``replaceable_by``)."""
    have = {m.name for m in held}
    missing = []
    for material in required:
        if not material.get("required", True) or material["name"] in have:
            continue
        entry: dict[str, Any] = {"name": material["name"], "license_type": material.get("license_type")}
        licenses = (licenses_by_type or {}).get(material.get("license_type") or "", [])
        entry["replaceable_by"] = licenses
        missing.append(entry)
    return PreReview(item_published=published, form_errors=form_errors(schema, form), missing_materials=missing)


def mask_name(name: str) -> str:
    """A person's name with all but its first character hidden (张**)."""
    name = name.strip()
    return name[:1] + "*" * max(1, len(name) - 1)


def id_tail(identifier: str) -> str:
    return identifier.strip().upper()[-4:]


# ---------------------------------------------------------------- 异地代收 (accepting for another region)


def accepts_for_another(window_region: str | None, item_region: str) -> bool:
    """A window accepts an item for another region (异地代收) unless the window's region covers the item's
    (a hall's windows serve every department of their region subtree)."""
    return not region_covers(window_region, item_region)


def cross_region_allowed(cross_region: Mapping[str, Any] | None, window_region: str | None) -> bool:
    """Whether the item's catalog element lets a window of ``window_region`` accept it: any region of the
    province when it lists none, else one inside a listed region."""
    if cross_region is None or not window_region:
        return False
    regions = cross_region.get("regions") or []
    return not regions or any(region_covers(r, window_region) for r in regions)
