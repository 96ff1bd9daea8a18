"""The documented form of a system identifier, digests and blind indexes of exchange data. No I/O: unit
tested. The national identifier standards exchange data carries are gov_standards'."""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from gov_common.crypto import BlindIndex
from gov_standards.identifiers import CREDIT_ALPHABET

# <instance>/<level>/<member>/<system>: instance "GX" (this platform) or "CN" (national); level
# province|city|county|national; member the credit code of the operating body; system a short name.
SYSTEM_IDENTIFIER = re.compile(
    r"^(?P<instance>[A-Z]{2})/(?P<level>national|province|city|county)/"
    rf"(?P<member>[{CREDIT_ALPHABET}]{{18}})/(?P<system>[a-z0-9][a-z0-9-]{{1,62}})$"
)


def sha256_json(value: Any) -> str:
    """Digest of a JSON value, independent of key order and spacing."""
    canonical = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def blind_index(index: BlindIndex, value: str) -> str:
    """Keyed hash of a personal identifier: findable by whoever holds the key, unreadable otherwise."""
    return index.digest(value.strip().upper(), purpose="id_number")
