"""The region-subtree rule every service scopes staff by (GB/T 2260 codes: province 2 digits, prefecture 2,
county 2; exchange data pads them to 12 digits): 450000 covers all of Guangxi, 450100 all of Nanning,
450103 only itself."""

from __future__ import annotations


def region_prefix(code: str) -> str:
    """The prefix every code inside ``code``'s subtree starts with (``450100`` → ``4501``)."""
    prefix = code[:6]
    while prefix.endswith("00") and len(prefix) > 2:
        prefix = prefix[:-2]
    return prefix


def region_covers(scope: str | None, region: str | None) -> bool:
    """Whether someone of region ``scope`` acts in ``region`` (6 or 12 digits each)."""
    if not scope or not region:
        return False
    return region[:6].startswith(region_prefix(scope))
