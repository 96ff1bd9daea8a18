"""Result delivery by mail (统一物流): a logistics adapter interface and the sandbox carrier used in
development and tests. A real carrier (EMS for government mail) implements the same two calls."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
from dataclasses import dataclass
from typing import Any, Protocol

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

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
    """AES-256-GCM for delivery addresses at rest (name, phone and address are personal data)."""

    def __init__(self, key_b64: str, *, development_seed: str = "application-dev-address-key") -> None:
        key = base64.b64decode(key_b64) if key_b64 else hashlib.sha256(development_seed.encode()).digest()
        if len(key) != 32:
            raise ValueError("the address key must be 32 bytes (base64)")
        self._aead = AESGCM(key)

    def encrypt(self, value: dict[str, Any]) -> bytes:
        nonce = os.urandom(12)
        return nonce + self._aead.encrypt(nonce, json.dumps(value, ensure_ascii=False).encode(), b"address")

    def decrypt(self, blob: bytes) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self._aead.decrypt(blob[:12], blob[12:], b"address"))
        return data
