"""Demo data for ``make run``: the Guangxi basic catalog, some city and county implementation lists and
three one-thing bundles, from ``catalog.json`` in this package. Published through the same service
functions as the API (so the events go through the outbox); items already present are left alone."""

from __future__ import annotations

import copy
import json
from functools import cache
from importlib import resources
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from catalog.access import ADMIN
from catalog.bundles import service as bundles
from catalog.bundles.schemas import BundleCreate
from catalog.items import service as items
from catalog.items.schemas import ItemCreate, ItemDefinition
from catalog.models import BundleVersion, ItemVersion
from gov_common.auth import Principal
from gov_common.settings import ServiceSettings
from gov_standards.regions import GUANGXI as PROVINCE

SEEDER = Principal(subject="catalog-demo-seed", kind="staff", roles=frozenset({ADMIN}), region=PROVINCE)


@cache
def seed_document() -> dict[str, Any]:
    return json.loads(resources.files("catalog.seed").joinpath("catalog.json").read_text(encoding="utf-8"))


def _process() -> dict[str, Any]:
    return {
        "steps": [
            {"kind": "accept", "name": "受理", "role": "窗口受理人员", "share_percent": 10},
            {"kind": "review", "name": "审查", "role": "业务审核人员", "share_percent": 50},
            {"kind": "decide", "name": "决定", "role": "审批负责人", "share_percent": 30},
            {"kind": "deliver", "name": "送达", "role": "窗口发证人员", "share_percent": 10},
        ],
        "countersign_departments": [],
    }


def _material(raw: dict[str, Any]) -> dict[str, Any]:
    return {
        "required": True,
        "original_or_copy": "original",
        "count": 1,
        "form": "paper_or_electronic",
        **raw,
    }


def item_definition(raw: dict[str, Any], doc: dict[str, Any] | None = None) -> dict[str, Any]:
    """The full element-standard definition of a compact seed entry of the basic catalog."""
    doc = doc or seed_document()
    dept = doc["departments"][raw["department"]]
    names = raw["form"]["required"] + raw["form"]["optional"]
    return {
        "basic_code": raw["basic_code"],
        "name": raw["name"],
        "item_type": raw["item_type"],
        "legal_basis": raw["legal_basis"],
        "region": dept["region"],
        "department": {"code": dept["code"], "name": dept["name"]},
        "service_object": raw["service_object"],
        "keywords": raw["keywords"],
        "life_events": raw["life_events"],
        "time_limit": {**raw["time_limit"], "unit": "working_day"},
        "fees": raw["fees"],
        "materials": [_material(m) for m in raw["materials"]],
        "form_schema": {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "type": "object",
            "properties": {n: doc["fields"][n] for n in names},
            "required": raw["form"]["required"],
        },
        "process": _process(),
        "onsite_visits": raw["onsite_visits"],
        "onsite_reason": raw["onsite_reason"],
        "online_stages": raw["online_stages"],
        "delivery": raw["delivery"],
        "appointment": raw["appointment"],
        "result_license_type": raw.get("result_license_type"),
        "smart_approval": raw.get("smart_approval", False),
        "contact": {"consultation_phone": dept["consultation_phone"], "complaint_phone": doc["complaint_phone"]},
    }


def implementation_definition(raw: dict[str, Any], doc: dict[str, Any] | None = None) -> tuple[str, dict[str, Any]]:
    """(basic code inherited, definition) of a city or county implementation list entry."""
    doc = doc or seed_document()
    base = next(i for i in doc["items"] if i["basic_code"] == raw["inherits"])
    defn = copy.deepcopy(item_definition(base, doc))
    dept = doc["departments"][raw["department"]]
    defn["region"] = raw["region"]
    defn["department"] = {"code": dept["code"], "name": dept["name"]}
    defn["contact"]["consultation_phone"] = dept["consultation_phone"]
    defn["time_limit"]["promised_days"] = raw["promised_days"]
    if "onsite_visits" in raw:
        defn["onsite_visits"] = raw["onsite_visits"]
        defn["onsite_reason"] = None if raw["onsite_visits"] == 0 else defn["onsite_reason"]
    if "online_stages" in raw:
        defn["online_stages"] = raw["online_stages"]
    for m in defn["materials"]:
        if m["name"] in raw.get("optional", []):
            m["required"] = False
    return raw["inherits"], defn


async def _publish_item(session: AsyncSession, item_in: ItemCreate) -> str:
    code = items.implementation_code(item_in.definition)
    if await session.scalar(sa.select(ItemVersion.id).where(ItemVersion.implementation_code == code).limit(1)):
        return code
    row = await items.create_item(session=session, principal=SEEDER, item_in=item_in)
    await items.submit(session=session, principal=SEEDER, code=code, version=row.version)
    await items.publish(session=session, principal=SEEDER, code=code, version=row.version)
    return code


async def seed_demo(session: AsyncSession, _settings: ServiceSettings) -> list[str]:
    """Idempotent: publishes what is missing; returns lines for the launcher."""
    doc = seed_document()
    # A bundle names a basic catalog item by its basic code, a city's implementation by "<basic>@<region>".
    by_basic: dict[str, str] = {}
    for raw in doc["items"]:
        defn = ItemDefinition.model_validate(item_definition(raw, doc))
        by_basic[raw["basic_code"]] = await _publish_item(session, ItemCreate(definition=defn))
    for raw in doc["implementations"]:
        basic, data = implementation_definition(raw, doc)
        by_basic[f"{basic}@{raw['region']}"] = await _publish_item(
            session, ItemCreate(inherits=by_basic[basic], definition=ItemDefinition.model_validate(data))
        )
    for raw in doc["bundles"]:
        if await session.scalar(sa.select(BundleVersion.id).where(BundleVersion.code == raw["code"]).limit(1)):
            continue
        bundle_in = BundleCreate(**{**raw, "items": [by_basic[c] for c in raw["items"]]})
        row = await bundles.create_bundle(session=session, principal=SEEDER, bundle_in=bundle_in)
        await bundles.submit(session=session, principal=SEEDER, code=row.code, version=row.version)
        await bundles.publish(session=session, principal=SEEDER, code=row.code, version=row.version)
    total = await session.scalar(sa.select(sa.func.count()).where(ItemVersion.is_current.is_(True)))
    return [
        f"catalog: {total} published items, {len(doc['bundles'])} one-thing bundles (一件事)",
        "  search:  GET /api/catalog/v1/items?q=营业执照",
        "  browse:  GET /api/catalog/v1/life-events  ·  GET /api/catalog/v1/departments",
        "  figures: GET /api/catalog/v1/stats/online-rate?by=department",
    ]
