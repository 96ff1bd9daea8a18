"""W3C Bitstring Status List (v1.0): the bits, their encoding and the credential that carries them.

Bit ``i`` is bit ``7 - i % 8`` of byte ``i // 8`` (index 0 is the most significant bit of the first byte).
``encodedList`` is the GZIP of the bytes, base64url without padding, with the multibase prefix ``u``.
"""

from __future__ import annotations

import base64
import gzip

MIN_BITS = 131_072  # the minimum list length, for herd privacy


def new_bits(size: int = MIN_BITS) -> bytearray:
    return bytearray(size // 8)


def set_bit(bits: bytearray, index: int, value: bool) -> None:
    mask = 0x80 >> (index % 8)
    if value:
        bits[index // 8] |= mask
    else:
        bits[index // 8] &= ~mask & 0xFF


def get_bit(bits: bytes, index: int) -> bool:
    return bool(bits[index // 8] & (0x80 >> (index % 8)))


def encode(bits: bytes) -> str:
    # mtime=0: the same bits always encode the same way (cache-friendly, ETag-stable)
    return "u" + base64.urlsafe_b64encode(gzip.compress(bytes(bits), mtime=0)).decode().rstrip("=")


def decode(encoded: str) -> bytes:
    if not encoded.startswith("u"):
        raise ValueError("encodedList must be multibase base64url ('u' prefix)")
    raw = encoded[1:]
    return gzip.decompress(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
