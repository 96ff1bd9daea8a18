"""How identity shows the personal identifiers it holds (masks) and which mobile numbers it accepts. The
identifier standards themselves (GB 11643, GB 32100) are gov_standards.identifiers."""

from __future__ import annotations


def mask_id_number(value: str) -> str:
    """First 3 and last 2 characters; the rest hidden (enough to recognise, not to reuse)."""
    return value[:3] + "*" * (len(value) - 5) + value[-2:]


def mask_phone(value: str) -> str:
    return value[:3] + "****" + value[-4:]


def is_mobile_number(value: str) -> bool:
    return len(value) == 11 and value.isdigit() and value[0] == "1" and value[1] in "3456789"
