"""The hand-over of emergencies to 110 (police), 119 (fire), 120 (medical) and 122 (traffic): an adapter,
replaceable by a deployment's link to its emergency centres. The default records the hand-over and gives a
reference the operator reads to the line on the phone (紧急类热线联动 with a three-way call)."""

from __future__ import annotations

import logging
import secrets
from typing import Protocol

log = logging.getLogger(__name__)


class EmergencyLines(Protocol):
    async def hand_over(self, *, line: str, order_number: str, region: str, summary: str) -> str:
        """Give the matter to ``line``; returns the line's reference for it."""
        ...


class RecordingLines:
    """No link to the emergency centres: the operator transfers the call; the reference is ours."""

    async def hand_over(self, *, line: str, order_number: str, region: str, summary: str) -> str:
        reference = f"{line}-{secrets.token_hex(4).upper()}"
        log.info("order %s handed to %s (%s) as %s", order_number, line, region, reference)  # no caller data
        return reference
