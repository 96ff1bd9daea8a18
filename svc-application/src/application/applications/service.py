"""Applications: drafts, forms, materials, pre-review, submission with tracking numbers, supplements,
withdrawal and the status the workflow reports. Functions flush, never commit."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from application.applications.schemas import ApplicantIn, ApplicationCreate
from application.domain import (
    WITHDRAWABLE,
    WORKFLOW_STATUS,
    MaterialHeld,
    PreReview,
    Status,
    accepts_for_another,
    can_transition,
    cross_region_allowed,
    form_errors,
    id_tail,
    mask_name,
    new_query_code,
    pre_review,
    tracking_number,
)
from application.errors import (
    ApplicantInvalid,
    ApplicationNotFound,
    CrossRegionNotAllowed,
    FormInvalid,
    InvalidState,
    ItemNotAvailable,
    LicenseNotUsable,
    MaterialNotFound,
    PreReviewFailed,
    UnknownMaterial,
)
from application.licenses import License
from application.models import (
    Application,
    CatalogBundle,
    CatalogItem,
    Hall,
    Material,
    StatusChange,
    TrackingSequence,
)
from application.storage import StoredFile
from gov_common.auth import Principal
from gov_contracts import application as ev
from gov_contracts import publish
from gov_contracts.catalog import ItemPublished, ItemWithdrawn
from gov_contracts.workflow import CaseAccepted, CaseEvent, SupplementRequested
from gov_standards.china_time import china_date as local_day
from gov_standards.china_time import utcnow
from gov_standards.regions import region_covers

log = logging.getLogger(__name__)
S = Status
EDITABLE = frozenset({S.DRAFT, S.SUPPLEMENT_REQUESTED})


# ---------------------------------------------------------------- the catalog's items (our copy)


async def keep_published(
    session: AsyncSession, model: type[CatalogItem] | type[CatalogBundle], values: dict[str, Any], **key: str
) -> None:
    """Keep our copy of a catalog record's published version (``values``, with its ``version``; ``key`` its
    primary key); an older version arriving late does not replace a newer one."""
    (key_value,) = key.values()
    row: CatalogItem | CatalogBundle | None = await session.get(model, key_value, with_for_update=True)
    if row is None:
        session.add(model(**key, **values))
        return
    if row.version > values["version"]:
        return
    for k, v in values.items():
        setattr(row, k, v)


async def upsert_item(session: AsyncSession, view: ItemPublished) -> None:
    """Keep the published version; an older version arriving late does not replace a newer one."""
    d = view.definition
    values = {
        "version": view.version,
        "name": d.name,
        "region": d.region,
        "department_code": d.department.code,
        "department_name": d.department.name,
        "service_object": d.service_object,
        "form_schema": d.form_schema,
        # what forms and pre-review read of a material; the rest of the standard stays the catalog's
        "materials": [m.model_dump(include={"name", "required", "license_type", "note"}) for m in d.materials],
        "fees": [f.model_dump(mode="json") for f in d.fees],
        "delivery": list(d.delivery),
        "cross_region": None
        if d.cross_region_acceptance is None
        else d.cross_region_acceptance.model_dump(mode="json"),
        "published": True,
        "updated_at": utcnow(),
    }
    await keep_published(session, CatalogItem, values, implementation_code=view.implementation_code)


async def withdraw_item(session: AsyncSession, view: ItemWithdrawn) -> None:
    item = await session.get(CatalogItem, view.implementation_code, with_for_update=True)
    if item is not None and item.version <= view.version:
        item.published, item.updated_at = False, utcnow()


async def published_item(session: AsyncSession, code: str) -> CatalogItem:
    item = await session.get(CatalogItem, code)
    if item is None or not item.published:
        raise ItemNotAvailable(f"no published item {code!r}", item_code=code)
    return item


# ---------------------------------------------------------------- reading


async def get_application(session: AsyncSession, application_id: uuid.UUID, *, lock: bool = False) -> Application:
    query = sa.select(Application).where(Application.id == application_id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    app = (await session.execute(query)).scalar_one_or_none()
    if app is None:
        raise ApplicationNotFound()
    return app


async def application_with_materials(
    session: AsyncSession, application_id: uuid.UUID
) -> tuple[Application, list[Material]]:
    """The application and its materials in one round trip (an outer join: a draft may have none)."""
    rows = (
        await session.execute(
            sa.select(Application, Material)
            .outerjoin(Material, Material.application_id == Application.id)
            .where(Application.id == application_id)
            .order_by(Material.added_at, Material.id)
        )
    ).all()
    if not rows:
        raise ApplicationNotFound()
    return rows[0][0], [m for _, m in rows if m is not None]


async def materials_of(session: AsyncSession, application_id: uuid.UUID) -> list[Material]:
    rows = await session.scalars(
        sa.select(Material).where(Material.application_id == application_id).order_by(Material.added_at, Material.id)
    )
    return list(rows)


async def material_of(session: AsyncSession, *, app: Application, material_id: uuid.UUID) -> Material:
    """A material of ``app`` (of any round); another application's material is not found here."""
    material = await session.scalar(
        sa.select(Material).where(Material.id == material_id, Material.application_id == app.id)
    )
    if material is None:
        raise MaterialNotFound()
    return material


async def history_of(session: AsyncSession, application_id: uuid.UUID) -> list[StatusChange]:
    rows = await session.scalars(
        sa.select(StatusChange).where(StatusChange.application_id == application_id).order_by(StatusChange.at)
    )
    return list(rows)


async def list_applications(
    session: AsyncSession,
    *,
    where: Sequence[sa.ColumnElement[bool]],
    limit: int,
    after: tuple[datetime, uuid.UUID] | None,
) -> list[Application]:
    query = sa.select(Application).where(*where)
    if after is not None:
        # A row comparison, not OR-ed terms: PostgreSQL starts the index scan at the cursor instead of filtering.
        query = query.where(sa.tuple_(Application.created_at, Application.id) < after)
    query = query.order_by(Application.created_at.desc(), Application.id.desc()).limit(limit)
    return list(await session.scalars(query))


# ---------------------------------------------------------------- writing


async def _change(
    session: AsyncSession,
    app: Application,
    to: Status,
    *,
    cause: str,
    actor: str,
    detail: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> None:
    now = at or utcnow()
    session.add(
        StatusChange(
            id=uuid.uuid4(),
            application_id=app.id,
            from_status=app.status,
            to_status=str(to),
            cause=cause,
            actor=actor,
            at=now,
            detail=detail or {},
        )
    )
    app.status, app.updated_at = str(to), now


def _resolve_applicant(principal: Principal, applicant: ApplicantIn, item: CatalogItem) -> dict[str, Any]:
    if principal.kind == "citizen":
        if not applicant.id_number:
            raise ApplicantInvalid("a citizen gives their ID number (id_number)")
        resolved = {"kind": "citizen", "subject": principal.subject, "enterprise": None, "agent": None}
        tail = id_tail(applicant.id_number)
    elif principal.kind == "enterprise":
        assert principal.enterprise is not None
        resolved = {
            "kind": "enterprise",
            "subject": principal.subject,
            "enterprise": principal.enterprise,
            "agent": principal.subject,
        }
        tail = id_tail(principal.enterprise)
    else:  # hall staff register the person or enterprise at the window
        if applicant.kind == "enterprise":
            if not applicant.credit_code:
                raise ApplicantInvalid("an enterprise applicant at the hall needs its credit_code")
            resolved = {"kind": "enterprise", "subject": applicant.subject, "enterprise": applicant.credit_code}
            tail = id_tail(applicant.credit_code)
        else:
            if not applicant.id_number:
                raise ApplicantInvalid("a person applying at the hall needs an id_number")
            resolved = {"kind": "citizen", "subject": applicant.subject, "enterprise": None}
            tail = id_tail(applicant.id_number)
        resolved["agent"] = None
    if item.service_object not in ("both", resolved["kind"]):
        raise ApplicantInvalid(f"this item serves {item.service_object} applicants only")
    masked = mask_name(applicant.name) if resolved["kind"] == "citizen" else applicant.name
    return {**resolved, "name_masked": masked, "id_tail": tail}


def check_form_types(item: CatalogItem, form: dict[str, Any]) -> None:
    """A draft may lack required fields (pre-review reports them), but what it has must fit the schema."""
    errors = [e for e in form_errors(item.form_schema, form) if e.code != "required"]
    if errors:
        raise FormInvalid(f"{len(errors)} field(s) of the form are not valid", errors=[e.as_dict() for e in errors])


async def _acceptance(
    session: AsyncSession, *, principal: Principal, item: CatalogItem, hall_id: uuid.UUID | None
) -> dict[str, Any]:
    """Where a hall case is accepted: the hall (of the acceptor's region), and for a window of another region
    (异地代收) that region and department, which the item must allow (else nothing is written)."""
    if principal.kind != "staff":
        if hall_id is not None:
            raise ApplicantInvalid("only hall staff name the accepting hall (hall_id)")
        return {}
    if hall_id is not None:
        hall = await session.get(Hall, hall_id)
        if hall is None or not region_covers(principal.region, hall.region):
            raise ApplicantInvalid("hall_id names no hall of the acceptor's region", hall_id=str(hall_id))
    if not accepts_for_another(principal.region, item.region):
        return {"accepting_hall_id": hall_id}
    if not principal.department or not cross_region_allowed(item.cross_region, principal.region):
        raise CrossRegionNotAllowed(
            f"{item.name} ({item.implementation_code}) of region {item.region} may not be accepted by a window "
            f"of region {principal.region}",
            item_code=item.implementation_code,
            item_region=item.region,
            accepting_region=principal.region,
        )
    return {
        "accepting_region": principal.region,
        "accepting_department": principal.department,
        "accepting_hall_id": hall_id,
    }


async def create_application(session: AsyncSession, *, principal: Principal, app_in: ApplicationCreate) -> Application:
    item = await published_item(session, app_in.item_code)
    applicant = _resolve_applicant(principal, app_in.applicant, item)
    check_form_types(item, app_in.form)
    acceptance = await _acceptance(session, principal=principal, item=item, hall_id=app_in.hall_id)
    now = utcnow()
    app = Application(
        id=uuid.uuid4(),
        tracking_number=None,
        status=str(S.DRAFT),
        channel="hall" if principal.kind == "staff" else "online",
        item_code=item.implementation_code,
        item_version=item.version,
        item_name=item.name,
        region=item.region,
        department_code=item.department_code,
        department_name=item.department_name,
        applicant_subject=applicant["subject"],
        applicant_kind=applicant["kind"],
        enterprise=applicant["enterprise"],
        agent_subject=applicant["agent"],
        applicant_name_masked=applicant["name_masked"],
        id_tail=applicant["id_tail"],
        created_by=principal.subject,
        form=app_in.form,
        created_at=now,
        updated_at=now,
        **acceptance,
    )
    session.add(app)
    await session.flush()
    session.add(
        StatusChange(
            id=uuid.uuid4(),
            application_id=app.id,
            from_status=None,
            to_status=str(S.DRAFT),
            cause="created",
            actor=principal.subject,
            at=now,
            detail={"channel": app.channel, **({"accepted_for": acceptance_of(app)} if app.accepting_region else {})},
        )
    )
    return app


def acceptance_of(app: Application) -> dict[str, Any] | None:
    """异地代收: who accepted ``app`` at another region's window (its creator), or None."""
    if app.accepting_region is None or app.accepting_department is None:
        return None
    return {
        "region": app.accepting_region,
        "department": app.accepting_department,
        "acceptor": app.created_by,
        "hall_id": str(app.accepting_hall_id) if app.accepting_hall_id else None,
    }


def _ensure_editable(app: Application) -> None:
    if Status(app.status) not in EDITABLE:
        raise InvalidState(f"an application {app.status} cannot be changed", current_status=app.status)


async def update_form(session: AsyncSession, *, app: Application, form: dict[str, Any]) -> None:
    _ensure_editable(app)
    item = await published_item(session, app.item_code)
    check_form_types(item, form)
    app.form, app.updated_at = form, utcnow()


def _material_spec(item: CatalogItem, name: str, app: Application) -> dict[str, Any]:
    for m in item.materials:
        if m["name"] == name:
            return m
    for m in (app.supplement_request or {}).get("missing", []):
        if m.get("material") == name:
            return {"name": name, "required": True, "license_type": None}
    raise UnknownMaterial(f"the item asks for no material named {name!r}", known=[m["name"] for m in item.materials])


def _round(app: Application) -> int:
    return int((app.supplement_request or {}).get("round", 0)) if app.status == S.SUPPLEMENT_REQUESTED else 0


async def check_material(session: AsyncSession, *, app: Application, name: str) -> None:
    """Before a file is read: the application takes materials now and asks for one named ``name``."""
    _ensure_editable(app)
    item = await published_item(session, app.item_code)
    _material_spec(item, name, app)


async def add_upload(
    session: AsyncSession, *, app: Application, name: str, filename: str | None, stored: StoredFile, actor: str
) -> Material:
    """Record a received file (the caller ran :func:`check_material` first)."""
    material = Material(
        id=uuid.uuid4(),
        application_id=app.id,
        name=name,
        source="upload",
        filename=(filename or "")[:255] or None,
        media_type=stored.media_type,
        size=stored.size,
        sha256=stored.sha256,
        license_id=None,
        license_type=None,
        verified=False,
        round=_round(app),
        added_at=utcnow(),
        added_by=actor,
    )
    session.add(material)
    app.updated_at = material.added_at
    return material


async def license_type_for(session: AsyncSession, *, app: Application, name: str) -> str:
    _ensure_editable(app)
    item = await published_item(session, app.item_code)
    spec = _material_spec(item, name, app)
    if not spec.get("license_type"):
        raise LicenseNotUsable(f"no e-license replaces {name!r}: upload it")
    return str(spec["license_type"])


async def add_license(
    session: AsyncSession, *, app: Application, name: str, license_: License, license_type: str, actor: str
) -> Material:
    material = Material(
        id=uuid.uuid4(),
        application_id=app.id,
        name=name,
        source="license",
        filename=None,
        media_type=None,
        size=None,
        sha256=None,
        license_id=license_.license_id,
        license_type=license_type,
        verified=True,
        round=_round(app),
        added_at=utcnow(),
        added_by=actor,
    )
    session.add(material)
    app.updated_at = material.added_at
    return material


async def remove_material(session: AsyncSession, *, app: Application, material_id: uuid.UUID) -> None:
    _ensure_editable(app)
    material = await session.get(Material, material_id)
    if material is None or material.application_id != app.id or material.round != _round(app):
        raise ApplicationNotFound("no such material of this application in the current round")
    await session.delete(material)


async def review(
    session: AsyncSession, *, app: Application, licenses_by_type: dict[str, list[dict[str, Any]]] | None = None
) -> tuple[PreReview, CatalogItem | None]:
    result, item, _ = await _review(session, app=app, licenses_by_type=licenses_by_type)
    return result, item


async def _review(
    session: AsyncSession, *, app: Application, licenses_by_type: dict[str, list[dict[str, Any]]] | None = None
) -> tuple[PreReview, CatalogItem | None, list[Material]]:
    item = await session.get(CatalogItem, app.item_code)
    materials = await materials_of(session, app.id)
    result = pre_review(
        published=item is not None and item.published,
        schema=item.form_schema if item is not None else {"type": "object"},
        form=app.form,
        required=item.materials if item is not None else [],
        held=[MaterialHeld(m.name, m.source) for m in materials],
        licenses_by_type=licenses_by_type,
    )
    return result, item, materials


async def next_tracking_number(session: AsyncSession, *, region: str, at: datetime) -> str:
    """Take the next number of the region's day in one atomic upsert (the row lock orders concurrent
    takers on PostgreSQL; SQLite writes one at a time)."""
    day = local_day(at)
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = (
        insert(TrackingSequence)
        .values(region=region[:6], day=day, last=1)
        .on_conflict_do_update(index_elements=["region", "day"], set_={"last": TrackingSequence.last + 1})
        .returning(TrackingSequence.last)
    )
    seq = (await session.execute(stmt)).scalar_one()
    return tracking_number(region, day, seq)


def material_refs(materials: Sequence[Material]) -> list[ev.MaterialRef]:
    return [
        ev.MaterialRef(
            name=m.name,
            source=m.source,
            sha256=m.sha256,
            license_id=m.license_id,
            license_type=m.license_type,
            verified=m.verified,
        )
        for m in materials
    ]


async def submit(
    session: AsyncSession, *, app: Application, actor: str, bundle_code: str | None = None
) -> list[Material]:
    """Pre-review, then a tracking number, the status and ``application.submitted`` (one transaction).
    Returns the application's materials (what the answer shows). A part of a bundle application names its
    bundle (``bundle_code``; the bundle's id is the application's ``bundle_id``)."""
    if app.status != S.DRAFT:
        raise InvalidState(f"an application {app.status} cannot be submitted", current_status=app.status)
    result, item, materials = await _review(session, app=app)
    if not result.ok:
        raise PreReviewFailed("the pre-review found what is missing", **result.as_dict())
    assert item is not None
    now = utcnow()
    app.query_code = new_query_code()
    app.submitted_at = now
    app.item_version = item.version  # the version it was checked against
    await _change(session, app, S.SUBMITTED, cause="submitted", actor=actor, at=now)
    # Taken last: the sequence row stays locked until commit, so concurrent submits of the region wait on
    # it; what needs no number is flushed before (the upsert's autoflush), outside the lock.
    app.tracking_number = await next_tracking_number(session, region=app.region, at=now)
    data = ev.ApplicationSubmitted(
        application_id=str(app.id),
        tracking_number=app.tracking_number,
        submitted_at=now,
        channel=app.channel,
        item=ev.ItemRef(implementation_code=app.item_code, version=app.item_version, name=app.item_name),
        bundle_code=bundle_code,
        bundle_id=str(app.bundle_id) if app.bundle_id else None,
        region=app.region,
        department=ev.DepartmentRef(code=app.department_code, name=app.department_name),
        applicant=ev.Applicant(
            subject=app.applicant_subject,
            kind=app.applicant_kind,
            enterprise=app.enterprise,
            agent=app.agent_subject,
            name_masked=app.applicant_name_masked,
            id_tail=app.id_tail,
        ),
        form=app.form,
        materials=material_refs(materials),
        accepted_for=acceptance_of(app),
    )
    await publish(session, data)
    return materials


async def supplement(session: AsyncSession, *, app: Application, form: dict[str, Any] | None, actor: str) -> None:
    """Answer a supplement request (补正): every material asked for is added in this round."""
    if app.status != S.SUPPLEMENT_REQUESTED or app.case_id is None or app.tracking_number is None:
        raise InvalidState(f"an application {app.status} has no open supplement request", current_status=app.status)
    request = app.supplement_request or {}
    if form is not None:
        item = await published_item(session, app.item_code)
        errors = form_errors(item.form_schema, form)
        if errors:
            raise FormInvalid("the corrected form is not valid", errors=[e.as_dict() for e in errors])
        app.form = form
    current = [m for m in await materials_of(session, app.id) if m.round == request.get("round", 0)]
    have = {m.name for m in current}
    missing = [
        {"name": m.get("material"), "reason": m.get("reason")}
        for m in request.get("missing", [])
        if m.get("material") and m.get("material") not in have
    ]
    if missing:
        raise PreReviewFailed(
            "add every material asked for first",
            ok=False,
            missing_materials=missing,
            form_errors=[],
            item_published=True,
        )
    now = utcnow()
    await _change(session, app, S.SUPPLEMENTED, cause="supplemented", actor=actor, at=now)
    data = ev.ApplicationSupplemented(
        application_id=str(app.id),
        tracking_number=app.tracking_number,
        case_id=app.case_id,
        supplemented_at=now,
        materials=material_refs(current),
        form=form,
    )
    await publish(session, data)


async def withdraw(session: AsyncSession, *, app: Application, reason: str, actor: str) -> None:
    if Status(app.status) not in WITHDRAWABLE:
        raise InvalidState(f"an application {app.status} can no longer be withdrawn", current_status=app.status)
    was_draft = app.status == S.DRAFT
    now = utcnow()
    await _change(session, app, S.WITHDRAWN, cause="withdrawn", actor=actor, at=now, detail={"reason": reason})
    if was_draft or app.tracking_number is None:
        return  # nobody downstream knows a draft
    data = ev.ApplicationWithdrawn(
        application_id=str(app.id),
        tracking_number=app.tracking_number,
        case_id=app.case_id,
        withdrawn_at=now,
        reason=reason,
    )
    await publish(session, data)


async def apply_case_event(session: AsyncSession, *, case: CaseEvent, actor: str) -> bool:
    """Follow the workflow: the status the case event brings, if it may follow the current one. Returns
    whether anything changed (a late or repeated event changes nothing and is logged)."""
    event_type = case.type
    target = WORKFLOW_STATUS.get(event_type)
    if target is None:
        return False
    try:
        app_id = uuid.UUID(case.application_id)
    except ValueError:
        log.warning("%s for a malformed application id", event_type)
        return False
    app = await session.get(Application, app_id, with_for_update=True)
    if app is None:
        log.warning("%s for an unknown application %s", event_type, app_id)
        return False
    app.case_id = app.case_id or case.case_id
    if app.status == target or not can_transition(app.status, target):
        log.info("ignored %s for application %s in status %s", event_type, app.id, app.status)
        return False
    detail: dict[str, Any] = {"case_id": case.case_id}
    if isinstance(case, SupplementRequested):
        previous = int((app.supplement_request or {}).get("round", 0))
        missing = [m.model_dump() for m in case.missing]
        app.supplement_request = {
            "round": previous + 1,
            "case_id": case.case_id,
            "missing": missing,
            "note": case.note,
            "requested_at": case.occurred_at.isoformat(),
        }
        detail["missing"] = missing
    elif target in (S.REFUSED, S.REJECTED, S.APPROVED, S.WITHDRAWN):
        # each decision carries some of these (refused: reason; rejected: reason and legal basis; approved:
        # opinion and the licence it yields); the rest are null
        app.decision = {
            "outcome": str(target),
            "reason": getattr(case, "reason", None),
            "legal_basis": getattr(case, "legal_basis", None),
            "opinion": getattr(case, "opinion", None),
            "result_license_type": getattr(case, "result_license_type", None),
        }
    elif isinstance(case, CaseAccepted):
        detail["deadline"] = case.deadline.isoformat()
    await _change(session, app, target, cause=event_type, actor=actor, detail=detail)
    return True
