"""Administrative division codes (GB/T 2260) of the catalog; the subtree rule is gov_common.regions'."""

from __future__ import annotations

import re

from gov_common.regions import region_covers

PROVINCE = "450000"
_CODE = re.compile(r"^45\d{4}$")


def is_guangxi_region(code: str) -> bool:
    return bool(_CODE.match(code))


def level(code: str) -> str:
    """``province`` (450000), ``city`` (4501 00) or ``county`` (450103)."""
    if code[2:] == "0000":
        return "province"
    if code[4:] == "00":
        return "city"
    return "county"


def strictly_above(ancestor: str, region: str) -> bool:
    return ancestor != region and region_covers(ancestor, region)


def padded(code: str) -> str:
    """The 12-digit form used in exchange data and in implementation codes."""
    return code + "000000"


def ancestors(code: str) -> list[str]:
    """The province, the city and the region itself: whose items serve someone living in ``code``."""
    out = [PROVINCE, code[:4] + "00", code]
    return sorted(set(out))
