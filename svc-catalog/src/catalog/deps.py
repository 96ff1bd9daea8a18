"""Dependencies of svc-catalog's endpoints."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Query, Request

from catalog.errors import InvalidQuery
from gov_common.auth import Principal, current_principal


async def optional_principal(request: Request) -> Principal | None:
    """The caller when a bearer token is sent (staff see drafts of their region), else ``None``; a bad token
    is still refused."""
    if not request.headers.get("authorization"):
        return None
    return await current_principal(request)


MaybePrincipalDep = Annotated[Principal | None, Depends(optional_principal)]
IdempotencyKey = Annotated[
    str | None, Header(alias="Idempotency-Key", max_length=200, description="repeat a create safely")
]
Limit = Annotated[int, Query(ge=1, le=100, description="page size")]
Cursor = Annotated[str | None, Query(max_length=500, description="next_cursor of the previous page")]


def region_param(region: str | None, name: str = "region") -> str | None:
    if region is not None and not (len(region) == 6 and region.isdigit() and region.startswith("45")):
        raise InvalidQuery(f"{name} must be a Guangxi GB/T 2260 code (45xxxx)", parameter=name)
    return region
