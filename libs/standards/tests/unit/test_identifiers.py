"""GB 11643 ID numbers and GB 32100 credit codes: published valid samples and each kind of invalid one."""

import random
from datetime import date, timedelta

import pytest

from gov_standards.identifiers import (
    CREDIT_ALPHABET,
    InvalidIdentifier,
    credit_check_character,
    id_check_character,
    is_credit_code,
    is_credit_code_shaped,
    is_id_number,
    might_identify,
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


def _sample_ids(count: int) -> list[str]:
    """ID numbers built from varied regions, birth dates and sequences, each with its check character."""
    rng = random.Random(11643)
    out = []
    for _ in range(count):
        region = rng.choice(["110105", "440524", "450103", "820000", "710000"])
        born = date(1900, 1, 1) + timedelta(days=rng.randrange(0, 45_000))
        body = f"{region}{born:%Y%m%d}{rng.randrange(0, 1000):03d}"
        out.append(body + id_check_character(body))
    return out


def test_every_well_built_id_number_passes_and_any_single_changed_digit_fails() -> None:
    # The weights and mod 11 catch every single-digit change (the property GB 11643 chose them for).
    for value in _sample_ids(200):
        assert is_id_number(value, today=date(2026, 1, 1))
        position = random.Random(value).randrange(14, 17)  # the sequence: region and date stay plausible
        changed = value[:position] + str((int(value[position]) + 1) % 10) + value[position + 1 :]
        assert not is_id_number(changed, today=date(2026, 1, 1))


def test_the_birth_date_is_bounded_by_today_in_china_by_default() -> None:
    body = f"450103{date.today() + timedelta(days=2):%Y%m%d}001"
    assert not is_id_number(body + id_check_character(body))
    assert is_id_number("11010519491231002X")


def test_every_well_built_credit_code_passes_and_any_single_change_fails() -> None:
    rng = random.Random(32100)
    alphabet = CREDIT_ALPHABET
    for _ in range(200):
        body = (
            rng.choice("159Y")
            + rng.choice("123")
            + rng.choice(["450100", "110000", "440300"])
            + "".join(rng.choice(alphabet) for _ in range(9))
        )
        code = body + credit_check_character(body)
        assert is_credit_code(code) and is_credit_code_shaped(code)
        position = rng.randrange(8, 18)  # the organisation code or the check character
        replacement = alphabet[(alphabet.index(code[position]) + rng.randrange(1, 31)) % 31]
        assert not is_credit_code(code[:position] + replacement + code[position + 1 :])


def test_a_shaped_code_need_not_be_valid() -> None:
    assert is_credit_code_shaped("91450100MA5KXXXX0B") and not is_credit_code("91450100MA5KXXXX0B")
    assert not is_credit_code_shaped("91450100MA5KXXXX0I")


@pytest.mark.parametrize(
    "text",
    [
        "450102199001011231",  # an ID number
        "４５０１０２１９９００１０１１２３１",  # the same typed in full-width digits
        "138 0000 0001",  # a phone number with blanks
        "138-0000-0001",
        "营业执照 450102",  # six digits inside a phrase
        "zhangsan@example.com",
    ],
)
def test_text_carrying_an_identifier_is_recognised(text: str) -> None:
    assert might_identify(text)


@pytest.mark.parametrize("text", ["食品经营许可", "出生一件事", "2026 年 医保", "12345", "身份证 补办"])
def test_ordinary_search_terms_are_not_flagged(text: str) -> None:
    assert not might_identify(text)
