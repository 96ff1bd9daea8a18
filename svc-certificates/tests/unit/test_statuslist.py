"""W3C Bitstring Status List: bit order (index 0 = most significant bit of byte 0) and the encoding."""

import base64
import gzip

from certificates import statuslist


def test_bit_zero_is_the_most_significant_bit_of_the_first_byte() -> None:
    bits = statuslist.new_bits()
    statuslist.set_bit(bits, 0, True)
    statuslist.set_bit(bits, 9, True)
    assert bits[0] == 0b1000_0000
    assert bits[1] == 0b0100_0000
    assert statuslist.get_bit(bits, 0) and statuslist.get_bit(bits, 9)
    assert not statuslist.get_bit(bits, 1)
    statuslist.set_bit(bits, 0, False)
    assert bits[0] == 0


def test_encoding_is_gzip_base64url_with_u_prefix_and_at_least_131072_bits() -> None:
    bits = statuslist.new_bits()
    statuslist.set_bit(bits, 131_071, True)
    encoded = statuslist.encode(bits)
    assert encoded.startswith("u") and "=" not in encoded and "+" not in encoded and "/" not in encoded
    raw = gzip.decompress(base64.urlsafe_b64decode(encoded[1:] + "=" * (-len(encoded[1:]) % 4)))
    assert len(raw) * 8 == 131_072
    assert raw[-1] == 0b0000_0001
    assert statuslist.decode(encoded) == bytes(bits)
    assert statuslist.encode(bits) == encoded, "deterministic (no gzip timestamp)"
