"""One-thing bundles: drafted by an editor, published by a publisher of the region, like items. The
merged materials and form are computed from the items' current versions when drafted and checked again
when published (the published definition pins the item versions it was built from)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

import gov_contracts
from catalog.access import check_editor, check_publisher, may_see_drafts
from catalog.bundles.merge import FormConflict, build_definition
from catalog.bundles.schemas import BundleCreate, BundleDefinition, StoredBundleRead
from catalog.caching import Published, json_bytes, published
from catalog.errors import BundleInvalid, BundleNotFound, InvalidTransition, ItemExists
from catalog.items.schemas import ItemDefinition
from catalog.items.service import PUBLIC, current
from catalog.models import BundleVersion
from gov_common.auth import Principal
from gov_common.pagination import decode_cursor, encode_cursor
from gov_contracts import catalog as contract
from gov_standards.china_time import utcnow
from gov_standards.regions import region_covers, region_prefix


def to_read(row: BundleVersion) -> StoredBundleRead:
    """The answer about a version, its definition as stored (built and checked when drafted)."""
    return StoredBundleRead(
        code=row.code,
        version=row.version,
        status=row.status,
        current=row.is_current,
        created_at=row.created_at,
        published_at=row.published_at,
        withdrawn_at=row.withdrawn_at,
        definition=row.definition,
    )


def public_answer(row: BundleVersion) -> Published:
    """A published or withdrawn version's answer, ready to send: final unless it is the current one."""
    return published(json_bytes(to_read(row)), version=row.version, final=not row.is_current)


async def public_answer_of(*, session: AsyncSession, code: str, version: int | None) -> Published | None:
    """The public answer about ``version`` (None: the current one) of a bundle, if it is published or
    withdrawn."""
    stmt = sa.select(BundleVersion).where(BundleVersion.code == code)
    if version is None:
        stmt = stmt.where(BundleVersion.is_current.is_(True))
    else:
        stmt = stmt.where(BundleVersion.version == version, BundleVersion.status.in_(PUBLIC))
    row = await session.scalar(stmt)
    return None if row is None else public_answer(row)


async def _build(session: AsyncSession, bundle_in: BundleCreate) -> BundleDefinition:
    parts: list[tuple[str, int, ItemDefinition]] = []
    problems: list[str] = []
    for code in bundle_in.items:
        row = await current(session, code)
        if row is None:
            problems.append(f"{code} has no published version")
        elif not (region_covers(row.region, bundle_in.region) or region_covers(bundle_in.region, row.region)):
            problems.append(f"{code} is implemented in {row.region}, outside the bundle's region {bundle_in.region}")
        else:
            parts.append((code, row.version, ItemDefinition.model_validate(row.definition)))
    if problems:
        raise BundleInvalid("; ".join(problems), problems=problems)
    try:
        return build_definition(
            code=bundle_in.code,
            name=bundle_in.name,
            region=bundle_in.region,
            life_event=bundle_in.life_event,
            description=bundle_in.description,
            items=parts,
        )
    except FormConflict as exc:
        raise BundleInvalid(str(exc), field=exc.field, items=exc.codes) from exc


async def create_bundle(*, session: AsyncSession, principal: Principal, bundle_in: BundleCreate) -> BundleVersion:
    check_editor(principal, bundle_in.region)
    latest = await session.scalar(
        sa.select(BundleVersion)
        .where(BundleVersion.code == bundle_in.code)
        .order_by(BundleVersion.version.desc())
        .with_for_update()
    )
    if latest is not None and latest.region != bundle_in.region:
        raise ItemExists(f"bundle code {bundle_in.code} belongs to region {latest.region}")
    if latest is not None and latest.status in ("draft", "submitted"):
        # The new draft replaces an open version (e.g. one whose items changed before it was published).
        latest.status = "superseded"
    defn = await _build(session, bundle_in)
    row = BundleVersion(
        code=bundle_in.code,
        version=(latest.version + 1) if latest else 1,
        status="draft",
        is_current=False,
        region=bundle_in.region,
        name=bundle_in.name,
        life_event=bundle_in.life_event,
        definition=defn.model_dump(mode="json"),
        created_by=principal.subject,
    )
    session.add(row)
    await session.flush()
    return row


async def _for_update(session: AsyncSession, code: str, version: int) -> BundleVersion:
    row = await session.scalar(
        sa.select(BundleVersion).where(BundleVersion.code == code, BundleVersion.version == version).with_for_update()
    )
    if row is None:
        raise BundleNotFound(f"no version {version} of bundle {code}")
    return row


async def submit(*, session: AsyncSession, principal: Principal, code: str, version: int) -> BundleVersion:
    row = await _for_update(session, code, version)
    check_editor(principal, row.region)
    if row.status != "draft":
        raise InvalidTransition(f"only a draft is submitted; version {version} is {row.status}")
    row.status = "submitted"
    row.submitted_at = utcnow()
    await session.flush()
    return row


async def publish(*, session: AsyncSession, principal: Principal, code: str, version: int) -> BundleVersion:
    row = await _for_update(session, code, version)
    check_publisher(principal, row.region)
    if row.status != "submitted":
        raise InvalidTransition(f"only a submitted version is published; version {version} is {row.status}")
    old = BundleDefinition.model_validate(row.definition)
    # Rebuilt from the items' versions current now, to be sure none was withdrawn or changed meanwhile.
    defn = await _build(
        session,
        BundleCreate(
            code=old.code,
            name=old.name,
            region=old.region,
            life_event=old.life_event,
            description=old.description,
            items=[i.implementation_code for i in old.items],
        ),
    )
    if defn != old:
        # A publisher publishes exactly what was submitted; items changed meanwhile make a new version.
        raise BundleInvalid("its items changed since it was submitted; draft a new version", changed=True)
    previous = await session.scalar(
        sa.select(BundleVersion).where(BundleVersion.code == code, BundleVersion.is_current.is_(True))
    )
    if previous is not None:
        previous.is_current = False
    row.status = "published"
    row.is_current = True
    row.published_at = utcnow()
    row.published_by = principal.subject
    await session.flush()
    await gov_contracts.publish(
        session,
        contract.BundlePublished(
            code=code,
            version=row.version,
            published_at=row.published_at,
            definition=contract.BundleDefinition.model_validate(defn.model_dump(mode="json")),
        ),
    )
    return row


async def withdraw(*, session: AsyncSession, principal: Principal, code: str) -> BundleVersion:
    row = await session.scalar(
        sa.select(BundleVersion).where(BundleVersion.code == code, BundleVersion.is_current.is_(True))
    )
    if row is None:
        raise BundleNotFound(f"no published bundle {code}")
    check_publisher(principal, row.region)
    row.status = "withdrawn"
    row.is_current = False
    row.withdrawn_at = utcnow()
    await session.flush()
    await gov_contracts.publish(
        session,
        contract.BundleWithdrawn(code=code, version=row.version, region=row.region, withdrawn_at=row.withdrawn_at),
    )
    return row


async def get_bundle(
    *, session: AsyncSession, code: str, version: int | None, principal: Principal | None
) -> BundleVersion:
    stmt = sa.select(BundleVersion).where(BundleVersion.code == code)
    stmt = stmt.where(BundleVersion.version == version) if version else stmt.where(BundleVersion.is_current.is_(True))
    row = await session.scalar(stmt)
    if row is None or (row.status in ("draft", "submitted") and not may_see_drafts(principal, row.region)):
        raise BundleNotFound(f"no bundle {code}" + (f" version {version}" if version else ""))
    return row


async def list_bundles(
    *, session: AsyncSession, region: str | None, life_event: str | None, limit: int, cursor: str | None
) -> tuple[list[BundleVersion], str | None]:
    stmt = sa.select(BundleVersion).where(BundleVersion.is_current.is_(True))
    if region:
        stmt = stmt.where(BundleVersion.region.like(region_prefix(region) + "%"))
    if life_event:
        stmt = stmt.where(BundleVersion.life_event == life_event)
    key = decode_cursor(cursor, c=str)
    if key:
        stmt = stmt.where(BundleVersion.code > key["c"])
    rows = (await session.scalars(stmt.order_by(BundleVersion.code).limit(limit + 1))).all()
    nxt = encode_cursor({"c": rows[limit - 1].code}) if len(rows) > limit else None
    return list(rows[:limit]), nxt
