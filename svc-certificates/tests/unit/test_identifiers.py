"""License identifier check character (ISO 7064 MOD 37,36) on hand-computed values, and holder ids."""

import pytest

from certificates.identifiers import (
    make_identifier,
    mask,
    mask_name,
    mod37_36_check,
    mod37_36_valid,
    parse_identifier,
)


@pytest.mark.parametrize(
    ("text", "check"),
    [
        # by hand: p=36; s=(36+10) mod 36=10; p=20; check=(37-20) mod 36=17 -> H
        ("A", "H"),
        # by hand: s=(36+0) mod 36=0 -> 36; p=72 mod 37=35; check=(37-35) mod 36=2
        ("0", "2"),
        # the GRid standard's published example A1-2425G-ABC1234002-M
        ("A12425GABC1234002", "M"),
    ],
)
def test_check_character_on_hand_computed_values(text: str, check: str) -> None:
    assert mod37_36_check(text) == check
    assert mod37_36_valid(text + check)


def test_a_wrong_check_character_or_a_swap_is_caught() -> None:
    assert not mod37_36_valid("A12425GABC1234002N")
    assert not mod37_36_valid("A12425GABC1234020M")  # two digits swapped
    assert not mod37_36_valid("a")
    assert not mod37_36_valid("A1-2")


def test_identifier_round_trip_and_invalid_samples() -> None:
    ident = make_identifier(
        type_code="11100000000013338W001", issuer_code="11450100MBQH0Y21QM", serial="ABC", version=1
    )
    assert ident.startswith("1.2.156.3005.2.11100000000013338W001.11450100MBQH0Y21QM.ABC.001.")
    parsed = parse_identifier(ident)
    assert (parsed.type_code, parsed.issuer_code, parsed.serial, parsed.version) == (
        "11100000000013338W001",
        "11450100MBQH0Y21QM",
        "ABC",
        1,
    )
    last = ident[-1]
    wrong = ident[:-1] + ("0" if last != "0" else "1")
    for bad in (wrong, ident.replace(".001.", ".002."), "1.2.156.3005.2.X.Y", "2.2.156.3005.2.A.B.C.001.0", ""):
        with pytest.raises(ValueError):
            parse_identifier(bad)
    with pytest.raises(ValueError):
        make_identifier(type_code="a-b", issuer_code="X", serial="Y", version=1)


def test_holder_identifiers_are_masked() -> None:
    assert mask("11010519491231002X") == "1101**********002X"


def test_names_keep_their_first_and_last_characters() -> None:
    assert [mask_name(n) for n in ("张三丰", "欧阳娜娜", "李四", "李", "")] == ["张*丰", "欧**娜", "李*", "李*", ""]
    assert mask_name("广西示例科技有限公司", enterprise=True) == "广西示例**有限公司"
    assert mask_name("示例小吃店", enterprise=True) == "示***店"
    assert mask_name(mask_name("广西示例科技有限公司", enterprise=True), enterprise=True) == "广西示例**有限公司"
