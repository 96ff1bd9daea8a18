"""License identifiers (电子证照标识) and how holders' names and identifiers are shown (the holder identifier
standards themselves are gov_standards.identifiers).

Format (DOMAIN.md; read from implementations, kept configurable by type code):
``1.2.156.3005.2.<type code>.<issuer code>.<serial>.<version, 3 digits>.<check>`` where the check
character is ISO 7064 MOD 37,36 over the fields joined without dots.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

PREFIX = "1.2.156.3005.2"
ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_FIELD = re.compile(r"^[0-9A-Z]+$")


def mod37_36_check(text: str) -> str:
    """The ISO 7064 MOD 37,36 (hybrid) check character of ``text`` (0-9, A-Z)."""
    p = 36
    for ch in text.upper():
        value = ALPHABET.index(ch)  # ValueError for characters outside the alphabet
        s = (p + value) % 36 or 36
        p = (2 * s) % 37
    return ALPHABET[(37 - p) % 36]


def mod37_36_valid(text_with_check: str) -> bool:
    """Whether the last character of ``text_with_check`` is its MOD 37,36 check character."""
    if len(text_with_check) < 2 or not _FIELD.match(text_with_check.upper()):
        return False
    return mod37_36_check(text_with_check[:-1]) == text_with_check[-1].upper()


@dataclass(frozen=True)
class LicenseIdentifier:
    type_code: str
    issuer_code: str
    serial: str
    version: int

    def body(self) -> str:
        return f"{PREFIX}.{self.type_code}.{self.issuer_code}.{self.serial}.{self.version:03d}"

    def __str__(self) -> str:
        return f"{self.body()}.{mod37_36_check(self.body().replace('.', ''))}"


def make_identifier(*, type_code: str, issuer_code: str, serial: str, version: int) -> str:
    for name, value in (("type_code", type_code), ("issuer_code", issuer_code), ("serial", serial)):
        if not _FIELD.match(value):
            raise ValueError(f"{name} must be 0-9/A-Z")
    if not 1 <= version <= 999:
        raise ValueError("version must be 1..999")
    return str(LicenseIdentifier(type_code, issuer_code, serial, version))


def parse_identifier(identifier: str) -> LicenseIdentifier:
    """Split and check an identifier; ``ValueError`` when its form or check character is wrong."""
    if not identifier.startswith(PREFIX + "."):
        raise ValueError("not a license identifier")
    parts = identifier[len(PREFIX) + 1 :].split(".")
    if len(parts) != 5 or not all(_FIELD.match(p) for p in parts) or not re.match(r"^\d{3}$", parts[3]):
        raise ValueError("not a license identifier")
    if len(parts[4]) != 1 or not mod37_36_valid(identifier.replace(".", "")):
        raise ValueError("the check character is wrong")
    return LicenseIdentifier(parts[0], parts[1], parts[2], int(parts[3]))


def mask(identifier: str) -> str:
    """Show only the first and last 4 characters (for lists and events; never log the clear value)."""
    return identifier[:4] + "*" * max(0, len(identifier) - 8) + identifier[-4:] if len(identifier) > 8 else "****"


def mask_name(name: str, *, enterprise: bool = False) -> str:
    """Keep the first and the last character (张*三; a two-character name keeps its first, 李*); an
    enterprise's long name keeps its first and last four (region and legal form: 广西示例**有限公司)."""
    name = name.strip()
    if len(name) <= 2:
        return name[:1] + "*" if name else ""
    keep = 4 if enterprise and len(name) > 9 else 1
    return name[:keep] + "*" * (len(name) - 2 * keep) + name[-keep:]
