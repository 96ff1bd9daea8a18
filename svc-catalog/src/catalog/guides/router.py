"""Handling guides API (审查要点): staff read the guides of their region line's items and search them; the
item's catalog editors write them (``catalog_editor`` of a region covering the item, of its department)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from catalog.access import GUIDES_READ, ITEMS_WRITE
from catalog.guides import service
from catalog.guides.schemas import ReviewGuideRead, ReviewGuideUpdate
from gov_common.auth import Principal, scoped
from gov_common.deps import SessionDep
from gov_common.errors import Forbidden
from gov_common.pagination import Cursor, Limit, Page

router = APIRouter(prefix="/v1", tags=["review guides"])
Reader = Annotated[Principal, scoped(GUIDES_READ)]
Writer = Annotated[Principal, scoped(ITEMS_WRITE)]
Code = Annotated[str, "implementation code"]


def _staff(principal: Principal) -> None:
    if principal.kind != "staff":
        raise Forbidden("handling guides are for staff")


@router.get(
    "/review-guides",
    response_model=Page[ReviewGuideRead],
    summary="Search the handling guides (审查要点) of the items of your region line (staff)",
)
async def search(
    session: SessionDep,
    principal: Reader,
    q: Annotated[str | None, Query(max_length=50, description="in the item's name, its code or the guide")] = None,
    limit: Limit = 20,
    cursor: Cursor = None,
) -> Page[ReviewGuideRead]:
    _staff(principal)
    rows, nxt = await service.search_guides(
        session=session, principal=principal, q=(q or "").strip() or None, limit=limit, cursor=cursor
    )
    return Page(items=[service.to_read(r) for r in rows], next_cursor=nxt)


@router.get(
    "/items/{code}/review-guide",
    response_model=ReviewGuideRead,
    summary="An item's handling guide (staff of the item's region line)",
)
async def get_guide(code: Code, session: SessionDep, principal: Reader) -> ReviewGuideRead:
    _staff(principal)
    return service.to_read(await service.get_guide(session=session, principal=principal, code=code))


@router.put(
    "/items/{code}/review-guide",
    response_model=ReviewGuideRead,
    summary="Write an item's handling guide (catalog editor of the item); no new item version",
)
async def put_guide(code: Code, guide_in: ReviewGuideUpdate, session: SessionDep, principal: Writer) -> ReviewGuideRead:
    row = await service.write_guide(session=session, principal=principal, code=code, guide_in=guide_in)
    return service.to_read(row)
