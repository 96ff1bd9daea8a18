"""Items: drafting, the version lifecycle and publishing. Keyword-only functions taking the session;
they flush, never commit (the request's session dependency commits once)."""

from __future__ import annotations

import logging
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

import gov_contracts
from catalog.access import ADMIN, check_editor, check_publisher, may_see_drafts
from catalog.caching import Published, json_bytes, published
from catalog.domain import cross_region_violations, inheritance_violations, smart_approval_rule_violations
from catalog.errors import (
    InheritanceViolation,
    InheritedItemMissing,
    InvalidCrossRegionAcceptance,
    InvalidSmartApprovalRule,
    InvalidTransition,
    ItemExists,
    ItemNotFound,
    VersionImmutable,
)
from catalog.items.schemas import ItemCreate, ItemDefinition, StoredItemRead
from catalog.models import ItemLifeEvent, ItemTerm, ItemVersion
from catalog.search.text import weighted_terms
from gov_common.auth import Principal
from gov_common.errors import Forbidden, json_pointer
from gov_common.pagination import read_time_id_cursor, time_id_cursor
from gov_contracts import catalog as contract
from gov_standards.china_time import utcnow
from gov_standards.regions import GUANGXI as PROVINCE
from gov_standards.regions import padded, region_prefix

log = logging.getLogger(__name__)
# The statuses anyone may read; drafts and submitted versions are for the region's catalog staff.
PUBLIC = ("published", "withdrawn")


def implementation_code(defn: ItemDefinition) -> str:
    """实施编码: basic code + 12-digit region + implementing department's credit code + suffix 000."""
    return f"{defn.basic_code}{padded(defn.region)}{defn.department.code}000"


def to_read(row: ItemVersion) -> StoredItemRead:
    """The answer about a version, its definition as stored (validated when it was written)."""
    return StoredItemRead(
        implementation_code=row.implementation_code,
        version=row.version,
        status=row.status,
        current=row.is_current,
        inherits=row.inherits,
        online_level=row.online_level,
        fully_online=row.fully_online,
        created_at=row.created_at,
        submitted_at=row.submitted_at,
        published_at=row.published_at,
        withdrawn_at=row.withdrawn_at,
        definition=row.definition,
    )


def public_answer(row: ItemVersion) -> Published:
    """A published or withdrawn version's answer, ready to send: final unless it is the current one."""
    return published(json_bytes(to_read(row)), version=row.version, final=not row.is_current)


def _apply(row: ItemVersion, defn: ItemDefinition) -> None:
    row.definition = defn.model_dump(mode="json")
    row.name = defn.name
    row.region = defn.region
    row.basic_code = defn.basic_code
    row.item_type = defn.item_type
    row.department_code = defn.department.code
    row.department_name = defn.department.name
    row.service_object = defn.service_object
    row.fully_online = defn.fully_online
    row.online_level = defn.online_level
    row.promised_days = defn.time_limit.promised_days


async def current(session: AsyncSession, code: str) -> ItemVersion | None:
    return await session.scalar(
        sa.select(ItemVersion).where(ItemVersion.implementation_code == code, ItemVersion.is_current.is_(True))
    )


async def get_current(*, session: AsyncSession, code: str) -> ItemVersion:
    row = await current(session, code)
    if row is None:
        raise ItemNotFound(f"no published item {code}")
    return row


async def current_answer(*, session: AsyncSession, code: str) -> Published | None:
    row = await current(session, code)
    return None if row is None else public_answer(row)


async def public_version_answer(*, session: AsyncSession, code: str, version: int) -> Published | None:
    """A version's answer when it is public (published or withdrawn), whoever asks."""
    row = await session.scalar(
        sa.select(ItemVersion).where(
            ItemVersion.implementation_code == code,
            ItemVersion.version == version,
            ItemVersion.status.in_(PUBLIC),
        )
    )
    return None if row is None else public_answer(row)


async def get_version(*, session: AsyncSession, code: str, version: int, principal: Principal | None) -> ItemVersion:
    """A version; drafts and submitted versions only for staff of the region (others get 404)."""
    row = await session.scalar(
        sa.select(ItemVersion).where(ItemVersion.implementation_code == code, ItemVersion.version == version)
    )
    if row is None or (
        row.status in ("draft", "submitted") and not may_see_drafts(principal, row.region, row.department_code)
    ):
        raise ItemNotFound(f"no version {version} of item {code}")
    return row


async def list_versions(*, session: AsyncSession, code: str, principal: Principal | None) -> list[ItemVersion]:
    rows = list(
        (
            await session.scalars(
                sa.select(ItemVersion).where(ItemVersion.implementation_code == code).order_by(ItemVersion.version)
            )
        ).all()
    )
    visible = [r for r in rows if r.status in PUBLIC or may_see_drafts(principal, r.region, r.department_code)]
    if not visible:
        raise ItemNotFound(f"no item {code}")
    return visible


async def work_queue(
    *, session: AsyncSession, principal: Principal, status: str, limit: int, cursor: str | None
) -> tuple[list[ItemVersion], str | None]:
    """Versions in ``status`` (draft or submitted) that the caller may see: catalog staff, their region's
    subtree (and department, when their token names one); oldest first."""
    if not may_see_drafts(principal, principal.region or PROVINCE):
        raise Forbidden("the work queue is for catalog editors and publishers")
    stmt = sa.select(ItemVersion).where(ItemVersion.status == status)
    if ADMIN not in principal.roles:
        stmt = stmt.where(ItemVersion.region.like(region_prefix(principal.region or "") + "%"))
        if principal.department:
            stmt = stmt.where(ItemVersion.department_code == principal.department)
    after_key = read_time_id_cursor(cursor)
    if after_key:
        after, after_id = after_key
        stmt = stmt.where(
            sa.or_(
                ItemVersion.created_at > after,
                sa.and_(ItemVersion.created_at == after, ItemVersion.id > after_id),
            )
        )
    rows = (await session.scalars(stmt.order_by(ItemVersion.created_at, ItemVersion.id).limit(limit + 1))).all()
    nxt = None
    if len(rows) > limit:
        last = rows[limit - 1]
        nxt = time_id_cursor(last.created_at, last.id)
    return list(rows[:limit]), nxt


async def _check_inheritance(session: AsyncSession, defn: ItemDefinition, inherits: str | None) -> None:
    """The definition's own smart-approval rule and cross-region acceptance fit it, and it makes nothing harder than the item it inherits
    (checked when a version is written, submitted and published)."""
    rule_violations = smart_approval_rule_violations(defn)
    if rule_violations:
        raise InvalidSmartApprovalRule(
            "; ".join(f"{v.field}: {v.rule} ({v.proposed!r})" for v in rule_violations),
            violations=[v.as_dict() for v in rule_violations],
        )
    acceptance_violations = cross_region_violations(defn)
    if acceptance_violations:
        raise InvalidCrossRegionAcceptance(
            "; ".join(f"{v.field}: {v.rule} ({v.proposed!r})" for v in acceptance_violations),
            violations=[v.as_dict() for v in acceptance_violations],
        )
    if defn.region == PROVINCE:
        if inherits is not None:
            raise InheritanceViolation("the provincial basic catalog inherits nothing", violations=[])
        return
    if inherits is None:
        raise InheritedItemMissing(
            "an item below the province implements an item of the basic catalog: name it in `inherits`"
        )
    parent = await current(session, inherits)
    if parent is None:
        raise InheritedItemMissing(f"{inherits} has no published version to inherit")
    violations = inheritance_violations(ItemDefinition.model_validate(parent.definition), defn)
    if violations:
        raise InheritanceViolation(
            "; ".join(f"{v.field}: {v.rule} (inherited {v.inherited!r}, proposed {v.proposed!r})" for v in violations),
            violations=[v.as_dict() for v in violations],
        )


async def create_item(*, session: AsyncSession, principal: Principal, item_in: ItemCreate) -> ItemVersion:
    """Version 1 of a new item, as a draft."""
    defn = item_in.definition
    check_editor(principal, defn.region, defn.department.code)
    code = implementation_code(defn)
    exists = await session.scalar(sa.select(ItemVersion.id).where(ItemVersion.implementation_code == code).limit(1))
    if exists is not None:
        raise ItemExists(f"{code} exists; add a version to it instead", implementation_code=code)
    await _check_inheritance(session, defn, item_in.inherits)
    row = ItemVersion(
        implementation_code=code,
        version=1,
        status="draft",
        is_current=False,
        inherits=item_in.inherits,
        created_by=principal.subject,
    )
    _apply(row, defn)
    return await _insert(session, row)


async def _insert(session: AsyncSession, row: ItemVersion) -> ItemVersion:
    """Insert a new version; a concurrent request that got there first (the same code and version) makes
    this one a 409, never a 500 (one with the same Idempotency-Key waits on its claim and replays)."""
    try:
        async with session.begin_nested():
            session.add(row)
            await session.flush()
    except IntegrityError:
        raise ItemExists(
            f"{row.implementation_code} version {row.version} was created meanwhile; read it and try again",
            implementation_code=row.implementation_code,
        ) from None
    return row


async def create_version(
    *,
    session: AsyncSession,
    principal: Principal,
    code: str,
    definition: ItemDefinition,
) -> ItemVersion:
    """The next version of an item, as a draft: the way to change a published item."""
    versions = (
        await session.scalars(
            sa.select(ItemVersion).where(ItemVersion.implementation_code == code).order_by(ItemVersion.version)
        )
    ).all()
    if not versions:
        raise ItemNotFound(f"no item {code}")
    latest = versions[-1]
    check_editor(principal, latest.region, latest.department_code)
    if implementation_code(definition) != code:
        raise VersionImmutable(
            "basic code, region and department make the implementation code; they cannot change in a new version"
        )
    if latest.status in ("draft", "submitted"):
        raise InvalidTransition(f"version {latest.version} is still {latest.status}; change that one")
    await _check_inheritance(session, definition, latest.inherits)
    row = ItemVersion(
        implementation_code=code,
        version=latest.version + 1,
        status="draft",
        is_current=False,
        inherits=latest.inherits,
        created_by=principal.subject,
    )
    _apply(row, definition)
    return await _insert(session, row)


async def _lock_code(session: AsyncSession, code: str) -> None:
    """Serialise the changes of one implementation code (publish, withdraw): every version's row is locked,
    so two of them never interleave and their events leave in the order of the changes."""
    await session.execute(sa.select(ItemVersion.id).where(ItemVersion.implementation_code == code).with_for_update())


async def _version_for_update(session: AsyncSession, code: str, version: int) -> ItemVersion:
    stmt = sa.select(ItemVersion).where(ItemVersion.implementation_code == code, ItemVersion.version == version)
    row = await session.scalar(stmt.with_for_update())
    if row is None:
        raise ItemNotFound(f"no version {version} of item {code}")
    return row


async def update_draft(
    *, session: AsyncSession, principal: Principal, code: str, version: int, definition: ItemDefinition
) -> ItemVersion:
    row = await _version_for_update(session, code, version)
    check_editor(principal, row.region, row.department_code)
    if row.status != "draft":
        raise VersionImmutable(
            f"version {version} is {row.status}; a change is a new version", current_status=row.status
        )
    if implementation_code(definition) != code:
        raise VersionImmutable("basic code, region and department make the implementation code; they cannot change")
    await _check_inheritance(session, definition, row.inherits)
    _apply(row, definition)
    await session.flush()
    return row


async def submit(*, session: AsyncSession, principal: Principal, code: str, version: int) -> ItemVersion:
    row = await _version_for_update(session, code, version)
    check_editor(principal, row.region, row.department_code)
    if row.status != "draft":
        raise InvalidTransition(
            f"only a draft is submitted; version {version} is {row.status}", current_status=row.status
        )
    await _check_inheritance(session, ItemDefinition.model_validate(row.definition), row.inherits)
    row.status = "submitted"
    row.submitted_at = utcnow()
    await session.flush()
    return row


async def return_to_draft(*, session: AsyncSession, principal: Principal, code: str, version: int) -> ItemVersion:
    """A publisher sends a submitted version back to its editors."""
    row = await _version_for_update(session, code, version)
    check_publisher(principal, row.region, row.department_code)
    if row.status != "submitted":
        raise InvalidTransition(f"only a submitted version is returned; version {version} is {row.status}")
    row.status = "draft"
    row.submitted_at = None
    await session.flush()
    return row


async def _index(session: AsyncSession, row: ItemVersion) -> None:
    defn = ItemDefinition.model_validate(row.definition)
    weights = weighted_terms(
        {
            "name": [defn.name],
            "keywords": defn.keywords,
            "life_events": defn.life_events,
            "department": [defn.department.name],
            "materials": [m.name for m in defn.materials],
            "legal_basis": defn.legal_basis,
        }
    )
    session.add_all(ItemTerm(term=t, item_version_id=row.id, weight=w) for t, w in weights.items())
    session.add_all(ItemLifeEvent(life_event=e, item_version_id=row.id) for e in set(defn.life_events))


async def _unindex(session: AsyncSession, row: ItemVersion) -> None:
    await session.execute(sa.delete(ItemTerm).where(ItemTerm.item_version_id == row.id))
    await session.execute(sa.delete(ItemLifeEvent).where(ItemLifeEvent.item_version_id == row.id))


async def publish(*, session: AsyncSession, principal: Principal, code: str, version: int) -> ItemVersion:
    """Make a submitted version the current one and emit ``catalog.item.published`` with its definition."""
    await _lock_code(session, code)
    row = await _version_for_update(session, code, version)
    check_publisher(principal, row.region, row.department_code)
    if row.status != "submitted":
        raise InvalidTransition(f"only a submitted version is published; version {version} is {row.status}")
    defn = ItemDefinition.model_validate(row.definition)
    await _check_inheritance(session, defn, row.inherits)
    previous = await current(session, code)
    if previous is not None:
        previous.is_current = False
        await _unindex(session, previous)
    row.status = "published"
    row.is_current = True
    row.published_at = utcnow()
    row.published_by = principal.subject
    await session.flush()
    await _index(session, row)
    await gov_contracts.publish(
        session,
        contract.ItemPublished(
            implementation_code=code,
            version=row.version,
            inherits=row.inherits,
            online_level=row.online_level,
            fully_online=row.fully_online,
            published_at=row.published_at,
            definition=contract.ItemDefinition.model_validate(defn.model_dump(mode="json")),
        ),
    )
    await session.flush()
    log.info("item %s version %d published", code, row.version)
    return row


async def withdraw(*, session: AsyncSession, principal: Principal, code: str) -> ItemVersion:
    """Withdraw the current version: the item is no longer offered; emits ``catalog.item.withdrawn``."""
    await _lock_code(session, code)
    row = await current(session, code)
    if row is None:
        raise ItemNotFound(f"no published item {code}")
    check_publisher(principal, row.region, row.department_code)
    row.status = "withdrawn"
    row.is_current = False
    row.withdrawn_at = utcnow()
    await _unindex(session, row)
    await gov_contracts.publish(
        session,
        contract.ItemWithdrawn(
            implementation_code=code, version=row.version, region=row.region, withdrawn_at=row.withdrawn_at
        ),
    )
    await session.flush()
    log.info("item %s version %d withdrawn", code, row.version)
    return row


def validate_form_data(form_schema: dict[str, Any], data: dict[str, Any]) -> list[dict[str, str]]:
    """Errors of ``data`` against an item's form schema (empty when valid), as JSON pointers; the schema
    is a stored one, checked as a JSON Schema when it was written."""
    from jsonschema import Draft202012Validator

    validator = Draft202012Validator(form_schema)
    return [
        {"pointer": json_pointer(err.absolute_path), "message": err.message}
        for err in sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.absolute_path)))
    ]
