"""Result delivery by mail (统一物流): a logistics adapter interface and the sandbox carrier used in
development and tests. A real carrier (EMS for government mail) implements the same two calls."""

from __future__ import annotations

import json
import secrets
import uuid
from dataclasses import dataclass
from typing import Any, Protocol

from gov_common.crypto import KeyRing

# Delivery statuses, in order; a carrier reports them, hall staff report pick-up.
DELIVERY_STATUSES = ("requested", "ready_for_pickup", "picked_up", "shipped", "in_transit", "delivered", "returned")


@dataclass(frozen=True)
class Shipment:
    carrier: str
    waybill: str


class LogisticsAdapter(Protocol):
    name: str

    async def create_shipment(self, *, reference: str, address: dict[str, Any]) -> Shipment:
        """Order a pick-up of the result at the department; returns the waybill number."""


class SandboxLogistics:
    """A carrier that answers at once with a made-up waybill (development and tests)."""

    name = "sandbox"

    def __init__(self) -> None:
        self.shipments: dict[str, dict[str, Any]] = {}

    async def create_shipment(self, *, reference: str, address: dict[str, Any]) -> Shipment:
        waybill = "SB" + secrets.token_hex(6).upper()
        self.shipments[waybill] = {"reference": reference, "address": address}
        return Shipment(carrier=self.name, waybill=waybill)


class AddressCipher:
    """Delivery addresses at rest (name, phone and address are personal data), sealed with the service's key
    ring (gov_common.crypto) and bound to their application, so a value cannot be moved to another delivery."""

    def __init__(self, ring: KeyRing) -> None:
        self._ring = ring

    @staticmethod
    def aad(application_id: uuid.UUID) -> str:
        return f"delivery.address:{application_id}"

    def encrypt(self, value: dict[str, Any], *, application_id: uuid.UUID) -> bytes:
        plaintext = json.dumps(value, ensure_ascii=False)
        return self._ring.seal(plaintext, aad=self.aad(application_id)).encode()

    def decrypt(self, blob: bytes, *, application_id: uuid.UUID) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self._ring.open(blob, aad=self.aad(application_id)))
        return data
