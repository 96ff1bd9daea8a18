"""Citizen ID numbers (GB 11643-1999) and unified social credit codes (GB 32100-2015), checked strictly:
form, check character, a known region, a real birth date, a known registration authority. The reasons are
stable slugs that reach clients in problem+json."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from gov_standards.china_time import today_in_china
from gov_standards.regions import PROVINCE_PREFIXES

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"
# The earliest birth year accepted: nobody alive, nor any record we import, is older.
EARLIEST_BIRTH_YEAR = 1850

CREDIT_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
# Position 1: registration authority (1 机构编制, 5 民政, 9 工商/市场监管, Y 其他, ...); position 2: the
# organisation category within it, a digit.
CREDIT_AUTHORITIES = frozenset("123456789ANY")
CREDIT_CATEGORIES = frozenset("123456789")
_CREDIT_SHAPE = re.compile(f"^[{CREDIT_ALPHABET}]{{18}}$")
_ID_SHAPE = re.compile(r"^\d{17}[\dX]$")


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
    """The GB 11643 check character of the first 17 digits."""
    return ID_CHECK[sum(int(c) * w for c, w in zip(first17, ID_WEIGHTS, strict=True)) % 11]


def parse_id_number(raw: str, *, today: date | None = None) -> IdNumber:
    """A valid 18-character ID number (an ``x`` check character is upper-cased), or :class:`InvalidIdentifier`.
    ``today`` (default: today in China) bounds the birth date."""
    value = raw.strip().upper()
    if len(value) != 18:
        raise InvalidIdentifier("bad-length", "an ID number has 18 characters")
    if not value.isascii() or not _ID_SHAPE.match(value):
        raise InvalidIdentifier("bad-character", "an ID number is 17 digits and a digit or X")
    if value[:2] not in PROVINCE_PREFIXES:
        raise InvalidIdentifier("unknown-region", "the ID number does not start with a known region code")
    try:
        born = date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        raise InvalidIdentifier("bad-birth-date", "the ID number holds an impossible birth date") from None
    if born > (today or today_in_china()) or born.year < EARLIEST_BIRTH_YEAR:
        raise InvalidIdentifier("future-birth-date", "the ID number holds a birth date that cannot be real")
    if id_check_character(value[:17]) != value[17]:
        raise InvalidIdentifier("bad-check-character", "the ID number's check character does not match")
    return IdNumber(value=value, region=value[:6], birth_date=born, male=int(value[16]) % 2 == 1)


def is_id_number(value: str, *, today: date | None = None) -> bool:
    """Whether ``value`` passes :func:`parse_id_number`."""
    try:
        parse_id_number(value, today=today)
    except InvalidIdentifier:
        return False
    return True


def credit_check_character(first17: str) -> str:
    """The GB 32100 check character of the first 17 characters (all from :data:`CREDIT_ALPHABET`)."""
    total = sum(CREDIT_ALPHABET.index(c) * w for c, w in zip(first17, CREDIT_WEIGHTS, strict=True))
    return CREDIT_ALPHABET[(31 - total % 31) % 31]


def is_credit_code_shaped(value: str) -> bool:
    """18 characters of the credit-code alphabet: the form only, before any check. For legacy records a
    caller keeps and flags (DOMAIN.md: real historical codes may fail the check)."""
    return bool(_CREDIT_SHAPE.match(value))


def parse_credit_code(raw: str) -> str:
    """A valid unified social credit code (upper-cased), or :class:`InvalidIdentifier`."""
    value = raw.strip().upper()
    if len(value) != 18:
        raise InvalidIdentifier("bad-length", "a unified social credit code has 18 characters")
    if not is_credit_code_shaped(value):
        raise InvalidIdentifier("bad-character", "a unified social credit code never holds I, O, S, V or Z")
    if value[0] not in CREDIT_AUTHORITIES or value[1] not in CREDIT_CATEGORIES:
        raise InvalidIdentifier("unknown-authority", "unknown registration authority or organisation category")
    if not value[2:8].isdigit() or value[2:4] not in PROVINCE_PREFIXES:
        raise InvalidIdentifier("unknown-region", "positions 3-8 must be a known region code")
    if credit_check_character(value[:17]) != value[17]:
        raise InvalidIdentifier("bad-check-character", "the credit code's check character does not match")
    return value


def is_credit_code(value: str) -> bool:
    """Whether ``value`` passes :func:`parse_credit_code`."""
    try:
        parse_credit_code(value)
    except InvalidIdentifier:
        return False
    return True


# A run of this many digits (an ID number, a phone number, a bank card, a case number) or an e-mail address
# in free text may identify a person.
_IDENTIFYING = re.compile(r"\d{6,}|[^\s@]+@[^\s@]+")


def might_identify(text: str) -> bool:
    """Whether free text (a search term, say) may carry an identifier of a person: a run of six or more
    digits, ASCII or full-width, possibly split by blanks or dashes (an ID number, a phone number, a bank
    card), or an e-mail address. Such text is not kept in anonymous statistics."""
    normal = unicodedata.normalize("NFKC", text)
    return bool(_IDENTIFYING.search(re.sub(r"(?<=\d)[\s\-]+(?=\d)", "", normal)))
