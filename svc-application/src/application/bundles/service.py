"""Bundle applications (一件事一次办): one application for a published one-thing bundle, with the bundle's
merged form and materials given once, fanned out into one ordinary application per item (``bundle_id`` on
each), which the existing pipeline submits and the item's own department handles. The bundle follows its
parts and ends when every part has ended. Functions flush, never commit."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from application.applications import service as applications
from application.applications.schemas import ApplicantIn, ApplicationCreate
from application.domain import BUNDLE_DONE, Status, bundle_outcome, form_errors, part_form
from application.errors import (
    BundleApplicationNotFound,
    BundleNotAvailable,
    FormInvalid,
    InvalidState,
    ItemNotAvailable,
    LicenseNotUsable,
    PreReviewFailed,
    UnknownMaterial,
)
from application.licenses import License
from application.models import Application, BundleApplication, CatalogBundle, CatalogItem, Material
from application.storage import StoredFile
from gov_common.auth import Principal
from gov_contracts import application as ev
from gov_contracts import publish
from gov_contracts.catalog import BundlePublished, BundleWithdrawn
from gov_standards.china_time import utcnow

log = logging.getLogger(__name__)
S = Status


# ---------------------------------------------------------------- the catalog's bundles (our copy)


async def upsert_bundle(session: AsyncSession, view: BundlePublished) -> None:
    """Keep the published version; an older version arriving late does not replace a newer one."""
    d = view.definition
    values = {
        "version": view.version,
        "name": d.name,
        "region": d.region,
        "definition": d.model_dump(mode="json", include={"items", "materials", "form_schema"}),
        "published": True,
        "updated_at": utcnow(),
    }
    await applications.keep_published(session, CatalogBundle, values, code=view.code)


async def withdraw_bundle(session: AsyncSession, view: BundleWithdrawn) -> None:
    row = await session.get(CatalogBundle, view.code, with_for_update=True)
    if row is not None and row.version <= view.version:
        row.published, row.updated_at = False, utcnow()


async def published_bundle(session: AsyncSession, code: str) -> CatalogBundle:
    row = await session.get(CatalogBundle, code)
    if row is None or not row.published:
        raise BundleNotAvailable(f"no published one-thing bundle {code!r}", bundle_code=code)
    return row


def _merged(bundle: CatalogBundle) -> list[dict[str, Any]]:
    return list(bundle.definition.get("materials", []))


def material_uses(material: dict[str, Any]) -> list[tuple[str, str]]:
    """(item code, the material's name in that item) for each item the merged material stands for."""
    uses = [(u["implementation_code"], u["name"]) for u in material.get("satisfies", [])]
    return uses or [(code, material["name"]) for code in material.get("used_by", [])]


# ---------------------------------------------------------------- reading


async def get_bundle(session: AsyncSession, bundle_id: uuid.UUID, *, lock: bool = False) -> BundleApplication:
    query = sa.select(BundleApplication).where(BundleApplication.id == bundle_id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    bundle = (await session.execute(query)).scalar_one_or_none()
    if bundle is None:
        raise BundleApplicationNotFound()
    return bundle


async def parts_of(session: AsyncSession, bundle_id: uuid.UUID, *, lock: bool = False) -> list[Application]:
    """The bundle's applications, one per item, in the bundle's item order (created in that order)."""
    query = (
        sa.select(Application)
        .where(Application.bundle_id == bundle_id)
        .order_by(Application.created_at, Application.item_code)
    )
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    return list((await session.execute(query)).scalars())


async def materials_of_parts(session: AsyncSession, parts: Sequence[Application]) -> dict[uuid.UUID, list[Material]]:
    ids = [p.id for p in parts]
    rows = await session.scalars(
        sa.select(Material).where(Material.application_id.in_(ids)).order_by(Material.added_at, Material.id)
    )
    out: dict[uuid.UUID, list[Material]] = {i: [] for i in ids}
    for m in rows:
        out[m.application_id].append(m)
    return out


async def list_bundles(
    session: AsyncSession, *, where: Sequence[sa.ColumnElement[bool]], limit: int, after: tuple[Any, uuid.UUID] | None
) -> list[BundleApplication]:
    query = sa.select(BundleApplication).where(*where)
    if after is not None:
        at, last = after
        query = query.where(
            sa.or_(
                BundleApplication.created_at < at,
                sa.and_(BundleApplication.created_at == at, BundleApplication.id < last),
            )
        )
    query = query.order_by(BundleApplication.created_at.desc(), BundleApplication.id.desc()).limit(limit)
    return list((await session.execute(query)).scalars())


# ---------------------------------------------------------------- creating and filling in


async def create(
    session: AsyncSession, *, principal: Principal, bundle_code: str, applicant: ApplicantIn, form: dict[str, Any]
) -> tuple[BundleApplication, list[Application]]:
    """The bundle application and one draft per item. Refused, with nothing written, when the bundle is not
    published, any of its items is not (all of them named), the applicant may not apply for an item, or the
    form does not fit the merged form."""
    catalog = await published_bundle(session, bundle_code)
    codes = [i["implementation_code"] for i in catalog.definition.get("items", [])]
    items = {c: await session.get(CatalogItem, c) for c in codes}
    unavailable = [c for c, item in items.items() if item is None or not item.published]
    if unavailable or not codes:
        raise ItemNotAvailable(
            f"{len(unavailable)} item(s) of bundle {bundle_code!r} are not published", items=unavailable
        )
    schema = catalog.definition.get("form_schema", {"type": "object"})
    errors = [e for e in form_errors(schema, form) if e.code != "required"]
    if errors:
        raise FormInvalid(f"{len(errors)} field(s) of the form are not valid", errors=[e.as_dict() for e in errors])
    now = utcnow()
    bundle = BundleApplication(
        id=uuid.uuid4(),
        bundle_code=catalog.code,
        bundle_version=catalog.version,
        bundle_name=catalog.name,
        region=catalog.region,
        status=str(S.DRAFT),
        channel="hall" if principal.kind == "staff" else "online",
        applicant_kind="citizen",
        applicant_name_masked="",
        id_tail="",
        created_by=principal.subject,
        form=form,
        created_at=now,
        updated_at=now,
    )
    session.add(bundle)
    await session.flush()
    parts = []
    for code in codes:
        item = items[code]
        assert item is not None
        app_in = ApplicationCreate(item_code=code, applicant=applicant, form=part_form(item.form_schema, form))
        part = await applications.create_application(session, principal=principal, app_in=app_in)
        part.bundle_id = bundle.id
        parts.append(part)
    first = parts[0]
    bundle.applicant_subject, bundle.applicant_kind, bundle.enterprise = (
        first.applicant_subject,
        first.applicant_kind,
        first.enterprise,
    )
    bundle.agent_subject, bundle.applicant_name_masked, bundle.id_tail = (
        first.agent_subject,
        first.applicant_name_masked,
        first.id_tail,
    )
    await session.flush()
    return bundle, parts


def _ensure_draft(bundle: BundleApplication) -> None:
    if bundle.status != S.DRAFT:
        raise InvalidState(
            f"a bundle application {bundle.status} takes no changes: answer a supplement request on its part",
            current_status=bundle.status,
        )


async def update_form(
    session: AsyncSession, *, bundle: BundleApplication, parts: list[Application], form: dict[str, Any]
) -> None:
    _ensure_draft(bundle)
    catalog = await published_bundle(session, bundle.bundle_code)
    errors = [e for e in form_errors(catalog.definition.get("form_schema", {}), form) if e.code != "required"]
    if errors:
        raise FormInvalid(f"{len(errors)} field(s) of the form are not valid", errors=[e.as_dict() for e in errors])
    for part in parts:
        item = await applications.published_item(session, part.item_code)
        await applications.update_form(session, app=part, form=part_form(item.form_schema, form))
    bundle.form, bundle.updated_at = form, utcnow()


async def _targets(
    session: AsyncSession, *, bundle: BundleApplication, parts: list[Application], name: str
) -> tuple[dict[str, Any], list[tuple[Application, str]]]:
    """The merged material named ``name`` and, for each part needing it, the name it has in that part."""
    _ensure_draft(bundle)
    catalog = await published_bundle(session, bundle.bundle_code)
    merged = _merged(catalog)
    material = next((m for m in merged if m["name"] == name), None)
    if material is None:
        raise UnknownMaterial(f"the bundle asks for no material named {name!r}", known=[m["name"] for m in merged])
    by_item = {p.item_code: p for p in parts}
    targets = [(by_item[code], there) for code, there in material_uses(material) if code in by_item]
    for part, there in targets:
        await applications.check_material(session, app=part, name=there)
    return material, targets


async def check_material(
    session: AsyncSession, *, bundle: BundleApplication, parts: list[Application], name: str
) -> list[tuple[Application, str]]:
    """Before a file is read: the bundle takes materials now and asks for one named ``name``."""
    _, targets = await _targets(session, bundle=bundle, parts=parts, name=name)
    return targets


async def add_upload(
    session: AsyncSession,
    *,
    bundle: BundleApplication,
    targets: list[tuple[Application, str]],
    filename: str | None,
    stored: StoredFile,
    actor: str,
) -> list[Material]:
    """The file received once, recorded on every part that needs it (files are kept by content hash: one copy)."""
    added = [
        await applications.add_upload(session, app=part, name=there, filename=filename, stored=stored, actor=actor)
        for part, there in targets
    ]
    bundle.updated_at = utcnow()
    return added


async def license_type_for(
    session: AsyncSession, *, bundle: BundleApplication, parts: list[Application], name: str
) -> tuple[str, list[tuple[Application, str]]]:
    material, targets = await _targets(session, bundle=bundle, parts=parts, name=name)
    if not material.get("license_type"):
        raise LicenseNotUsable(f"no e-license replaces {name!r}: upload it")
    return str(material["license_type"]), targets


async def add_license(
    session: AsyncSession,
    *,
    bundle: BundleApplication,
    targets: list[tuple[Application, str]],
    license_: License,
    license_type: str,
    actor: str,
) -> list[Material]:
    """The e-license checked once, used by every part that needs it (免提交)."""
    added = [
        await applications.add_license(
            session, app=part, name=there, license_=license_, license_type=license_type, actor=actor
        )
        for part, there in targets
    ]
    bundle.updated_at = utcnow()
    return added


async def remove_material(
    session: AsyncSession, *, bundle: BundleApplication, parts: list[Application], name: str
) -> int:
    """Remove the merged material ``name`` from every part; how many records were removed."""
    _, targets = await _targets(session, bundle=bundle, parts=parts, name=name)
    removed = 0
    for part, there in targets:
        for m in await applications.materials_of(session, part.id):
            if m.name == there and m.round == 0:
                await session.delete(m)
                removed += 1
    bundle.updated_at = utcnow()
    return removed


# ---------------------------------------------------------------- pre-review and submission


async def review(session: AsyncSession, *, bundle: BundleApplication, parts: list[Application]) -> dict[str, Any]:
    """预审 of the whole bundle, in its merged terms: the form against the merged form, each merged material
    still missing for some part (once), the items no longer published."""
    catalog = await session.get(CatalogBundle, bundle.bundle_code)
    published = catalog is not None and catalog.published
    definition = catalog.definition if catalog is not None else {}
    schema = definition.get("form_schema", {"type": "object"})
    merged = _merged(catalog) if catalog is not None else []
    merged_of = {(code, there): m for m in merged for code, there in material_uses(m)}
    missing: dict[str, dict[str, Any]] = {}
    unavailable = []
    for part in parts:
        result, item = await applications.review(session, app=part)
        if not result.item_published or item is None:
            unavailable.append(part.item_code)
        for m in result.missing_materials:
            found = merged_of.get((part.item_code, m["name"]))
            name = found["name"] if found else m["name"]
            entry = missing.setdefault(
                name, {"name": name, "license_type": m.get("license_type"), "replaceable_by": [], "items": []}
            )
            entry["items"].append(part.item_code)
    errors = [e.as_dict() for e in form_errors(schema, bundle.form)]
    ok = published and not unavailable and not errors and not missing
    return {
        "ok": ok,
        "bundle_published": published,
        "items_unavailable": unavailable,
        "form_errors": errors,
        "missing_materials": list(missing.values()),
    }


async def submit(
    session: AsyncSession, *, bundle: BundleApplication, parts: list[Application], actor: str
) -> dict[uuid.UUID, list[Material]]:
    """Every part submitted through the ordinary pipeline (a tracking number and ``application.submitted``
    each, with ``bundle_id``), then ``application.bundle.submitted``; all or nothing."""
    if bundle.status != S.DRAFT:
        raise InvalidState(f"a bundle application {bundle.status} cannot be submitted", current_status=bundle.status)
    not_drafts = [p.item_code for p in parts if p.status != S.DRAFT]
    if not_drafts:
        raise InvalidState("every part must still be a draft", current_status=bundle.status, items=not_drafts)
    result = await review(session, bundle=bundle, parts=parts)
    if not result["ok"]:
        raise PreReviewFailed("the pre-review found what is missing", **result)
    held: dict[uuid.UUID, list[Material]] = {}
    for part in parts:
        held[part.id] = await applications.submit(session, app=part, actor=actor, bundle_code=bundle.bundle_code)
    now = utcnow()
    bundle.status, bundle.submitted_at, bundle.updated_at = str(S.SUBMITTED), now, now
    await publish(session, ev.BundleSubmitted(**_event_base(bundle, parts), submitted_at=now))
    return held


def _event_base(bundle: BundleApplication, parts: Sequence[Application]) -> dict[str, Any]:
    return {
        "bundle_id": str(bundle.id),
        "bundle_code": bundle.bundle_code,
        "bundle_version": bundle.bundle_version,
        "region": bundle.region,
        "applicant": ev.Applicant(
            subject=bundle.applicant_subject,
            kind=bundle.applicant_kind,
            enterprise=bundle.enterprise,
            agent=bundle.agent_subject,
            name_masked=bundle.applicant_name_masked,
            id_tail=bundle.id_tail,
        ),
        "parts": [
            ev.BundlePart(
                application_id=str(p.id),
                tracking_number=p.tracking_number,
                item=ev.ItemRef(implementation_code=p.item_code, version=p.item_version, name=p.item_name),
                department=ev.DepartmentRef(code=p.department_code, name=p.department_name),
                region=p.region,
                status=p.status,
            )
            for p in parts
        ],
    }


# ---------------------------------------------------------------- following the parts


async def part_changed(session: AsyncSession, *, application_id: uuid.UUID) -> None:
    """A part's status changed (a case event or the applicant's withdrawal): the bundle ends when every part
    has ended, ``completed`` when each was approved and completed, else ``partial``. The bundle's row lock
    orders two parts ending at once, so that the second sees the first."""
    bundle_id = await session.scalar(sa.select(Application.bundle_id).where(Application.id == application_id))
    if bundle_id is None:
        return
    bundle = await get_bundle(session, bundle_id, lock=True)
    if bundle.status != S.SUBMITTED:
        return
    parts = await parts_of(session, bundle.id)
    if not all(Status(p.status) in BUNDLE_DONE for p in parts):
        bundle.updated_at = utcnow()
        return
    outcome = bundle_outcome([(p.status, (p.decision or {}).get("outcome")) for p in parts])
    now = utcnow()
    bundle.status, bundle.completed_at, bundle.updated_at = outcome, now, now
    log.info("bundle application %s ended: %s", bundle.id, outcome)
    await publish(session, ev.BundleCompleted(**_event_base(bundle, parts), outcome=outcome, completed_at=now))
