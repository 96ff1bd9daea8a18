"""Administrative division codes (GB/T 2260): 6 digits, province (2) + prefecture (2) + county (2); exchange
data pads them to 12 (``450100000000``). The subtree rule follows the code alone: 450000 covers all of
Guangxi, 450100 all of Nanning, 450103 only itself."""

from __future__ import annotations

import re
from typing import Literal

GUANGXI = "450000"

# Guangxi and its 14 prefecture-level cities (code, name, parent); counties are added as data by services.
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

# Province-level prefixes (mainland, plus Taiwan 71, Hong Kong 81 and Macao 82 as ID cards carry them).
PROVINCE_PREFIXES = frozenset(
    [
        "11",
        "12",
        "13",
        "14",
        "15",
        "21",
        "22",
        "23",
        "31",
        "32",
        "33",
        "34",
        "35",
        "36",
        "37",
        "41",
        "42",
        "43",
        "44",
        "45",
        "46",
        "50",
        "51",
        "52",
        "53",
        "54",
        "61",
        "62",
        "63",
        "64",
        "65",
        "71",
        "81",
        "82",
    ]
)

# Any region code as data carries it: 6 digits, or 12 where exchange data and events extend it (village level).
REGION_CODE_PATTERN = r"^\d{6}(\d{6})?$"
_REGION_CODE = re.compile(REGION_CODE_PATTERN)
_GUANGXI = re.compile(r"^45\d{4}$")
_GUANGXI_PADDED = re.compile(r"^45\d{4}(000000)?$")
Level = Literal["province", "city", "county"]


def normalise_region(code: str) -> str:
    """Six digits (a 12-digit code padded with zeros is cut back); ``ValueError`` for anything else."""
    code = code.strip()
    if len(code) == 12 and code.isdigit() and code.endswith("000000"):
        code = code[:6]
    if len(code) != 6 or not code.isdigit():
        raise ValueError("a GB/T 2260 region code has 6 digits")
    return code


def padded(code: str) -> str:
    """The 12-digit form used in exchange data and in implementation codes."""
    return code[:6] + "000000"


def is_region_code(code: str) -> bool:
    """A GB/T 2260 code of any province, in its 6-digit form or a 12-digit one (``REGION_CODE_PATTERN``)."""
    return bool(_REGION_CODE.match(code))


def is_guangxi_region(code: str, *, allow_padded: bool = False) -> bool:
    """A Guangxi code (45xxxx); with ``allow_padded`` also its 12-digit form (45xxxx000000)."""
    return bool((_GUANGXI_PADDED if allow_padded else _GUANGXI).match(code))


def region_prefix(code: str) -> str:
    """The prefix every code of ``code``'s subtree starts with (``450000`` → ``45``, ``450100`` → ``4501``,
    ``450103`` → itself; a 12-digit code counts by its first 6)."""
    prefix = code[:6]
    while prefix.endswith("00") and len(prefix) > 2:
        prefix = prefix[:-2]
    return prefix


def region_covers(scope: str | None, region: str | None) -> bool:
    """Whether ``region`` (6 or 12 digits) is ``scope`` or lies below it; nothing covers or is covered by an
    empty code."""
    if not scope or not region:
        return False
    return region[:6].startswith(region_prefix(scope))


def strictly_above(ancestor: str, region: str) -> bool:
    """Whether ``region`` lies below ``ancestor`` and is not ``ancestor`` itself."""
    return ancestor[:6] != region[:6] and region_covers(ancestor, region)


def level(code: str) -> Level:
    """``province`` (450000), ``city`` (450100) or ``county`` (450103)."""
    prefix = region_prefix(code)
    return "province" if len(prefix) == 2 else "city" if len(prefix) == 4 else "county"


def parent_of(code: str) -> str | None:
    """The code one level up (``450103`` → ``450100`` → ``450000`` → ``None``)."""
    prefix = region_prefix(code)
    if len(prefix) == 2:
        return None
    if len(prefix) == 4:
        return prefix[:2] + "0000"
    return prefix[:4] + "00"


def ancestors(code: str) -> list[str]:
    """The region and every region above it, sorted (province first): whose items serve someone in ``code``."""
    out: list[str] = []
    current: str | None = code[:6]
    while current is not None:
        out.append(current)
        current = parent_of(current)
    return sorted(out)
