"""Handling guides (审查要点): written by the item's catalog editors, read by staff of the item's region line,
searched by item name, code and text. Keyword-only functions taking the session; they never commit."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from catalog.access import ADMIN, check_editor, may_read_guide
from catalog.errors import ItemNotFound, ReviewGuideChanged, ReviewGuideNotFound
from catalog.guides.schemas import ReviewGuideRead, ReviewGuideUpdate
from catalog.models import ItemVersion, ReviewGuide
from gov_common.auth import Principal
from gov_common.pagination import decode_cursor, encode_cursor
from gov_standards.china_time import utcnow
from gov_standards.regions import ancestors, region_prefix


def to_read(row: ReviewGuide) -> ReviewGuideRead:
    return ReviewGuideRead(
        implementation_code=row.implementation_code,
        item_name=row.item_name,
        region=row.region,
        department_code=row.department_code,
        text=row.text,
        revision=row.revision,
        updated_by=row.updated_by,
        updated_at=row.updated_at,
    )


async def get_guide(*, session: AsyncSession, principal: Principal, code: str) -> ReviewGuide:
    """The item's guide; none, or one of an item outside the caller's region line, is a 404 alike."""
    row = await session.get(ReviewGuide, code)
    if row is None or not may_read_guide(principal, row.region):
        raise ReviewGuideNotFound(f"no handling guide for {code}")
    return row


async def write_guide(
    *, session: AsyncSession, principal: Principal, code: str, guide_in: ReviewGuideUpdate
) -> ReviewGuide:
    """Write the item's guide as an editor of the item (its latest version's region and department)."""
    latest = await session.scalar(
        sa.select(ItemVersion)
        .where(ItemVersion.implementation_code == code)
        .order_by(ItemVersion.version.desc())
        .limit(1)
    )
    if latest is None:
        raise ItemNotFound(f"no item {code}")
    check_editor(principal, latest.region, latest.department_code)
    row = await session.get(ReviewGuide, code, with_for_update=True)
    revision = 0 if row is None else row.revision
    if guide_in.expected_revision is not None and guide_in.expected_revision != revision:
        raise ReviewGuideChanged(
            f"the guide is at revision {revision}, not {guide_in.expected_revision}; read it again",
            current_revision=revision,
        )
    if row is None:
        row = ReviewGuide(implementation_code=code, revision=0)
        session.add(row)
    row.region = latest.region
    row.department_code = latest.department_code
    row.item_name = latest.name
    row.text = guide_in.text
    row.revision = revision + 1
    row.updated_by = principal.subject
    row.updated_at = utcnow()
    await session.flush()
    return row


async def search_guides(
    *, session: AsyncSession, principal: Principal, q: str | None, limit: int, cursor: str | None
) -> tuple[list[ReviewGuide], str | None]:
    """The guides the caller may read (their region line), by item name then code; ``q`` matches the item's
    name, code or the guide's text."""
    stmt = sa.select(ReviewGuide)
    if ADMIN not in principal.roles:
        region = principal.region or ""
        stmt = stmt.where(
            sa.or_(ReviewGuide.region.like(region_prefix(region) + "%"), ReviewGuide.region.in_(ancestors(region)))
        )
    if q:
        needle = q.lower()
        stmt = stmt.where(
            sa.or_(
                sa.func.lower(ReviewGuide.item_name).contains(needle, autoescape=True),
                sa.func.lower(ReviewGuide.text).contains(needle, autoescape=True),
                ReviewGuide.implementation_code.contains(q, autoescape=True),
            )
        )
    after = decode_cursor(cursor, n=str, c=str)
    if after:
        stmt = stmt.where(
            sa.or_(
                ReviewGuide.item_name > after["n"],
                sa.and_(ReviewGuide.item_name == after["n"], ReviewGuide.implementation_code > after["c"]),
            )
        )
    rows = list(
        (
            await session.scalars(
                stmt.order_by(ReviewGuide.item_name, ReviewGuide.implementation_code).limit(limit + 1)
            )
        ).all()
    )
    nxt = None
    if len(rows) > limit:
        last = rows[limit - 1]
        nxt = encode_cursor({"n": last.item_name, "c": last.implementation_code})
    return [r for r in rows[:limit] if may_read_guide(principal, r.region)], nxt
