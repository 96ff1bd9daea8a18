"""Dependencies of svc-catalog's endpoints."""

from __future__ import annotations

from catalog.errors import InvalidQuery


def region_param(region: str | None, name: str = "region") -> str | None:
    if region is not None and not (len(region) == 6 and region.isdigit() and region.startswith("45")):
        raise InvalidQuery(f"{name} must be a Guangxi GB/T 2260 code (45xxxx)", parameter=name)
    return region
