"""Real-name checks at a kiosk (实名核验): an adapter per method, the sandbox's for development and tests.
A production deployment plugs in the ID card reader's and the face-match provider's adapters; the kiosk
records which method was used and whether it passed, never the ID number or the face image."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

from gov_standards.identifiers import is_id_number

Method = Literal["id_card", "face"]


@dataclass(frozen=True)
class Outcome:
    passed: bool
    id_tail: str | None


class RealNameAdapter(Protocol):
    async def check(self, *, method: Method, id_number: str, evidence: str | None) -> Outcome: ...


class SandboxRealName:
    """``id_card``: the number read from the card is a valid GB 11643 number; ``face``: the number is valid
    and the camera's evidence is the sandbox's matching token (``sandbox-match``)."""

    async def check(self, *, method: Method, id_number: str, evidence: str | None) -> Outcome:
        valid = is_id_number(id_number)
        passed = valid and (method == "id_card" or evidence == "sandbox-match")
        return Outcome(passed=passed, id_tail=id_number[-4:] if valid else None)
