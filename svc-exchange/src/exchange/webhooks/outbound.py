"""What leaves the platform through webhooks: an explicit allow-list of event types and, per type, of the
fields a delivery carries. Internal event payloads are never forwarded as they are (they hold applicants,
holders' names, form fields and license fields); each delivery's ``data`` is built from this table alone,
which docs/events.md ("Outbound events") documents. A type outside the table cannot be subscribed to.

Every outbound record names its ``region`` (GB/T 2260); a delivery goes only to systems whose registered
region covers it, and a record without a region goes to no system at all. No I/O: unit tested."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from gov_common.events import CloudEvent
from gov_standards.regions import is_region_code


@dataclass(frozen=True)
class Outbound:
    """One outbound event type: outbound field -> dotted path in the internal event data."""

    fields: Mapping[str, str]
    time: str | None = None  # dotted path of when it happened; None: the event's own time
    fixed: Mapping[str, str] = field(default_factory=dict)  # values the type itself says (a case's status)
    description: str = ""


def _case(status: str) -> Outbound:
    return Outbound(
        {"tracking_number": "tracking_number", "item_code": "item_code", "region": "region"},
        time="occurred_at",
        fixed={"status": status},
        description=f"a case's status became {status}",
    )


def _order(description: str, **extra: str) -> Outbound:
    """A supervision order on a case the receiving platform pushed: the platform's own case id, no reason."""
    return Outbound(
        {
            "order_id": "order_id",
            "case_id": "case.external_id",
            "tracking_number": "case.tracking_number",
            "item_code": "case.item_code",
            "department": "department",
            "region": "region",
            "deadline": "deadline",
            **extra,
        },
        time="occurred_at",
        description=description,
    )


CASE_STATUSES = ("accepted", "refused", "supplement_requested", "approved", "rejected", "completed", "withdrawn")

OUTBOUND: dict[str, Outbound] = {
    "catalog.item.published": Outbound(
        {
            "implementation_code": "implementation_code",
            "version": "version",
            "name": "definition.name",
            "online_level": "online_level",
            "region": "definition.region",
        },
        time="published_at",
        description="a service item version was published (pull the definition with GET /v1/catalog/changes)",
    ),
    "catalog.item.withdrawn": Outbound(
        {"implementation_code": "implementation_code", "version": "version", "region": "region"},
        time="withdrawn_at",
        description="a service item was withdrawn",
    ),
    **{f"workflow.case.{status}": _case(status) for status in CASE_STATUSES},
    "workflow.supervision.order_issued": _order(
        "a supervisor issued a supervision order (督办) on one of your pushed cases; the department replies by "
        "`deadline` (only to the platform that pushed the case)"
    ),
    "workflow.supervision.order_escalated": _order(
        "the order was not answered in time and went one level up the region tree (new `deadline`)",
        to_region="to_region",
        escalations="escalations",
    ),
    "workflow.supervision.order_replied": _order(
        "the department replied to the order (`late`: after its deadline)", late="late"
    ),
    "certificates.license.issued": Outbound(
        {
            "license_id": "license_id",
            "identifier": "identifier",
            "type_code": "type_code",
            "issuer_code": "issuer.code",
            "version": "version",
            "region": "region",
        },
        description="an e-license (or a new version of one) was issued",
    ),
    "certificates.license.revoked": Outbound(
        {"license_id": "license_id", "region": "region"},
        time="revoked_at",
        description="an e-license was revoked",
    ),
    "hotline.order.forwarded": Outbound(
        {
            "order_id": "order_id",
            "number": "number",
            "kind": "kind",
            "category": "category",
            "urgency": "urgency",
            "title": "title",
            "content": "content",
            "address": "address",
            "due": "due",
            "city": "city",
            "region": "region",
        },
        time="occurred_at",
        description="a 12345 work order the province forwarded to your hotline (only to the city platform of "
        "`city`): the matter, no caller; answer, close or return it by a signed call to "
        "POST /v1/hotline/orders/{order_id}/replies",
    ),
    "evaluation.rating.submitted": Outbound(
        {
            "rating_id": "rating_id",
            "level": "level",
            "channel": "channel",
            "item_code": "item_code",
            "department": "department",
            "region": "region",
        },
        time="rated_at",
        description="a rating (好差评) was given; no rater, no free text",
    ),
}
SUBSCRIBABLE: tuple[str, ...] = tuple(OUTBOUND)


def _at(data: Mapping[str, Any], path: str) -> Any:
    value: Any = data
    for part in path.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def _scalar(value: Any) -> Any:
    # a path that meets an object or a list gives nothing: a field is one value, never a nested payload
    return None if isinstance(value, Mapping | list) else value


def outbound_data(event: CloudEvent) -> dict[str, Any] | None:
    """The ``data`` an external system may receive of ``event``, or None when none may (a type outside
    the allow-list, or a record without a region)."""
    spec = OUTBOUND.get(event.type)
    if spec is None:
        return None
    data = {name: _scalar(_at(event.data, path)) for name, path in spec.fields.items()}
    region = data.get("region")
    if not isinstance(region, str) or not is_region_code(region):
        return None
    when = _at(event.data, spec.time) if spec.time else None
    return {**data, **spec.fixed, "time": when if when is not None else event.time.isoformat()}
