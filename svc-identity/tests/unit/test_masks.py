"""How identity shows an ID number or a phone number it holds, and which mobile numbers it accepts."""

from identity.identifiers import is_mobile_number, mask_id_number, mask_phone


def test_masks_and_mobile_numbers() -> None:
    assert mask_id_number("11010519491231002X") == "110*************2X"
    assert mask_phone("13800000001") == "138****0001"
    assert is_mobile_number("13800000001")
    assert not is_mobile_number("12800000001") and not is_mobile_number("1380000000")
