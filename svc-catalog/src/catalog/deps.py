"""Dependencies of svc-catalog's endpoints."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path

from catalog.errors import InvalidQuery

# A version number in a path; bounded like its column (a 32-bit integer), so that a huge number is a 422.
Version = Annotated[int, Path(ge=1, le=2**31 - 1, description="version number (1, 2, ...)")]


def region_param(region: str | None, name: str = "region") -> str | None:
    if region is not None and not (len(region) == 6 and region.isdigit() and region.startswith("45")):
        raise InvalidQuery(f"{name} must be a Guangxi GB/T 2260 code (45xxxx)", parameter=name)
    return region
