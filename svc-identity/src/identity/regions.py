"""The GB/T 2260 region tree: Guangxi and its 14 prefecture-level cities are seeded by the migration;
counties are added as data. Subtree membership follows the code itself (province 2 digits, prefecture
4, county 6), so checking it needs no database."""

from __future__ import annotations

GUANGXI = "450000"
GUANGXI_REGIONS: tuple[tuple[str, str, str | None], ...] = (
    (GUANGXI, "广西壮族自治区", None),
    ("450100", "南宁市", GUANGXI),
    ("450200", "柳州市", GUANGXI),
    ("450300", "桂林市", GUANGXI),
    ("450400", "梧州市", GUANGXI),
    ("450500", "北海市", GUANGXI),
    ("450600", "防城港市", GUANGXI),
    ("450700", "钦州市", GUANGXI),
    ("450800", "贵港市", GUANGXI),
    ("450900", "玉林市", GUANGXI),
    ("451000", "百色市", GUANGXI),
    ("451100", "贺州市", GUANGXI),
    ("451200", "河池市", GUANGXI),
    ("451300", "来宾市", GUANGXI),
    ("451400", "崇左市", GUANGXI),
)


def normalise_region(code: str) -> str:
    """Six digits; exchange data often pads to 12 (``450100000000``)."""
    code = code.strip()
    if len(code) == 12 and code.isdigit() and code.endswith("000000"):
        code = code[:6]
    if len(code) != 6 or not code.isdigit():
        raise ValueError("a GB/T 2260 region code has 6 digits")
    return code


def region_prefix(code: str) -> str:
    """The significant part of a code: ``450000`` -> ``45``, ``450100`` -> ``4501``, ``450102`` -> itself."""
    if code.endswith("0000"):
        return code[:2]
    if code.endswith("00"):
        return code[:4]
    return code


def within(code: str, ancestor: str) -> bool:
    """Whether region ``code`` is ``ancestor`` or lies below it."""
    return code.startswith(region_prefix(ancestor))


def parent_of(code: str) -> str | None:
    prefix = region_prefix(code)
    if len(prefix) == 2:
        return None
    if len(prefix) == 4:
        return prefix[:2] + "0000"
    return prefix[:4] + "00"
