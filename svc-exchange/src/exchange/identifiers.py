"""Pure checks of the identifiers exchange data carries (GB 11643, GB 32100, GB/T 2260) and the documented
form of a system identifier. No I/O: unit tested."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from datetime import date
from typing import Any

_CITIZEN_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CREDIT_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_CREDIT_SHAPE = re.compile(f"^[{_CREDIT_ALPHABET}]{{18}}$")
REGION = re.compile(r"^45\d{4}(\d{6})?$")  # Guangxi, 6 digits or padded to 12
# <instance>/<level>/<member>/<system>: instance "GX" (this platform) or "CN" (national); level
# province|city|county|national; member the credit code of the operating body; system a short name.
SYSTEM_IDENTIFIER = re.compile(
    r"^(?P<instance>[A-Z]{2})/(?P<level>national|province|city|county)/"
    rf"(?P<member>[{_CREDIT_ALPHABET}]{{18}})/(?P<system>[a-z0-9][a-z0-9-]{{1,62}})$"
)


def citizen_id_valid(value: str, *, today: date | None = None) -> bool:
    """GB 11643-1999: 17 digits, a real birth date not in the future, and the check character."""
    if len(value) != 18 or not value[:17].isdigit():
        return False
    try:
        born = date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return False
    if born > (today or date.today()):
        return False
    s = sum(int(c) * w for c, w in zip(value[:17], _CITIZEN_WEIGHTS, strict=True)) % 11
    return value[17].upper() == "10X98765432"[s]


def credit_code_shape_ok(value: str) -> bool:
    return bool(_CREDIT_SHAPE.match(value))


def credit_code_valid(value: str) -> bool:
    """GB 32100-2015 unified social credit code including its check character."""
    if not credit_code_shape_ok(value):
        return False
    total = sum(_CREDIT_ALPHABET.index(c) * w for c, w in zip(value[:17], _CREDIT_WEIGHTS, strict=True))
    c = 31 - total % 31
    return value[17] == _CREDIT_ALPHABET[0 if c == 31 else c]


def sha256_json(value: Any) -> str:
    """Digest of a JSON value, independent of key order and spacing."""
    canonical = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def blind_index(key: str, value: str) -> str:
    """Keyed hash of a personal identifier: findable by whoever holds the key, unreadable otherwise."""
    return hmac.new(key.encode(), value.strip().upper().encode(), hashlib.sha256).hexdigest()
