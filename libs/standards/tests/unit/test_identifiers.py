"""GB 11643 ID numbers and GB 32100 credit codes: published valid samples and each kind of invalid one."""

from datetime import date

import pytest

from identity.identifiers import (
    InvalidIdentifier,
    credit_check_character,
    id_check_character,
    is_mobile_number,
    mask_id_number,
    mask_phone,
    parse_credit_code,
    parse_id_number,
)


@pytest.mark.parametrize("value", ["11010519491231002X", "440524188001010014", "11010519491231002x"])
def test_published_valid_id_numbers(value: str) -> None:
    parsed = parse_id_number(value)
    assert parsed.value == value.upper()
    assert parsed.region == value[:6]


def test_id_number_fields() -> None:
    parsed = parse_id_number("11010519491231002X")
    assert parsed.birth_date == date(1949, 12, 31)
    assert parsed.male is False  # sequence 002: even
    assert parse_id_number("440524188001010014").male is True


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("11010519491231002", "bad-length"),
        ("11010519491231002XX", "bad-length"),
        ("1101051949123100AX", "bad-character"),
        ("11010519491231002Y", "bad-character"),
        ("１１０１０５１９４９１２３１００２X", "bad-character"),
        ("99010519491231002X", "unknown-region"),
        ("00010519491231002X", "unknown-region"),
        ("110105" + "19490230" + "0021", "bad-birth-date"),
        ("110105" + "19491301" + "0021", "bad-birth-date"),
        ("110105" + "20990101" + "0021", "future-birth-date"),
        ("110105194912310021", "bad-check-character"),
        ("440524188001010015", "bad-check-character"),
    ],
)
def test_invalid_id_numbers(value: str, reason: str) -> None:
    with pytest.raises(InvalidIdentifier) as info:
        parse_id_number(value, today=date(2026, 11, 27))
    assert info.value.reason == reason


def test_check_character_is_the_standard_formula() -> None:
    # s = Σ a_i·w_i mod 11 -> "10X98765432"[s]
    assert id_check_character("11010519491231002") == "X"
    assert id_check_character("44052418800101001") == "4"


@pytest.mark.parametrize("value", ["91350100M000100Y43", "91110000600037341L", "914403001922038216"])
def test_published_valid_credit_codes(value: str) -> None:
    assert parse_credit_code(value.lower()) == value


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("91350100M000100Y4", "bad-length"),
        ("91350100M000100Y433", "bad-length"),
        ("91350100M000I00Y43", "bad-character"),
        ("91350100M000O00Y43", "bad-character"),
        ("91350100S000100Y43", "bad-character"),
        ("91350100M000100V43", "bad-character"),
        ("Z1350100M000100Y43", "bad-character"),
        ("B1350100M000100Y43", "unknown-authority"),
        ("90350100M000100Y43", "unknown-authority"),
        ("91990100M000100Y43", "unknown-region"),
        ("9135A100M000100Y43", "unknown-region"),
        ("91350100M000100Y44", "bad-check-character"),
    ],
)
def test_invalid_credit_codes(value: str, reason: str) -> None:
    with pytest.raises(InvalidIdentifier) as info:
        parse_credit_code(value)
    assert info.value.reason == reason


def test_credit_check_maps_31_to_zero() -> None:
    # Find a body whose weighted sum is 0 mod 31: the check value 31 must become "0".
    assert credit_check_character("0" * 17) == "0"


def test_masks_and_mobile_numbers() -> None:
    assert mask_id_number("11010519491231002X") == "110*************2X"
    assert mask_phone("13800000001") == "138****0001"
    assert is_mobile_number("13800000001")
    assert not is_mobile_number("12800000001") and not is_mobile_number("1380000000")
