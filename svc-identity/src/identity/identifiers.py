"""Citizen ID numbers (GB 11643-1999) and unified social credit codes (GB 32100-2015): validation and
masking. Pure functions; the reasons are stable slugs that reach clients in problem+json."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"

# Province-level prefixes of GB/T 2260 (mainland, plus Taiwan, Hong Kong and Macao as issued on ID cards).
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

CREDIT_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
# Position 1: registration authority (1 机构编制, 5 民政, 9 工商/市场监管, Y 其他, ...); position 2 its
# organisation category, a digit.
CREDIT_AUTHORITIES = frozenset("123456789ANY")


class InvalidIdentifier(ValueError):
    """``reason`` is a stable slug: bad-length, bad-character, unknown-region, bad-birth-date,
    future-birth-date, bad-check-character, unknown-authority."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class IdNumber:
    value: str
    region: str
    birth_date: date
    male: bool


def id_check_character(first17: str) -> str:
    return ID_CHECK[sum(int(c) * w for c, w in zip(first17, ID_WEIGHTS, strict=True)) % 11]


def parse_id_number(raw: str, *, today: date | None = None) -> IdNumber:
    """A valid 18-character ID number (an ``x`` check character is upper-cased), or :class:`InvalidIdentifier`."""
    value = raw.strip().upper()
    if len(value) != 18:
        raise InvalidIdentifier("bad-length", "an ID number has 18 characters")
    if not value[:17].isdigit() or not (value[17].isdigit() or value[17] == "X") or not value.isascii():
        raise InvalidIdentifier("bad-character", "an ID number is 17 digits and a digit or X")
    if value[:2] not in PROVINCE_PREFIXES:
        raise InvalidIdentifier("unknown-region", "the ID number does not start with a known region code")
    try:
        born = date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        raise InvalidIdentifier("bad-birth-date", "the ID number holds an impossible birth date") from None
    if born > (today or date.today()) or born.year < 1850:
        raise InvalidIdentifier("future-birth-date", "the ID number holds a birth date that cannot be real")
    if id_check_character(value[:17]) != value[17]:
        raise InvalidIdentifier("bad-check-character", "the ID number's check character does not match")
    return IdNumber(value=value, region=value[:6], birth_date=born, male=int(value[16]) % 2 == 1)


def credit_check_character(first17: str) -> str:
    total = sum(CREDIT_ALPHABET.index(c) * w for c, w in zip(first17, CREDIT_WEIGHTS, strict=True))
    return CREDIT_ALPHABET[(31 - total % 31) % 31]


def parse_credit_code(raw: str) -> str:
    """A valid unified social credit code (upper-cased), or :class:`InvalidIdentifier`."""
    value = raw.strip().upper()
    if len(value) != 18:
        raise InvalidIdentifier("bad-length", "a unified social credit code has 18 characters")
    if any(c not in CREDIT_ALPHABET for c in value):
        raise InvalidIdentifier("bad-character", "a unified social credit code never holds I, O, S, V or Z")
    if value[0] not in CREDIT_AUTHORITIES or value[1] not in "123456789":
        raise InvalidIdentifier("unknown-authority", "unknown registration authority or organisation category")
    if not value[2:8].isdigit() or value[2:4] not in PROVINCE_PREFIXES:
        raise InvalidIdentifier("unknown-region", "positions 3-8 must be a known region code")
    if credit_check_character(value[:17]) != value[17]:
        raise InvalidIdentifier("bad-check-character", "the credit code's check character does not match")
    return value


def mask_id_number(value: str) -> str:
    """First 3 and last 2 characters; the rest hidden (enough to recognise, not to reuse)."""
    return value[:3] + "*" * (len(value) - 5) + value[-2:]


def mask_phone(value: str) -> str:
    return value[:3] + "****" + value[-4:]


def is_mobile_number(value: str) -> bool:
    return len(value) == 11 and value.isdigit() and value[0] == "1" and value[1] in "3456789"
