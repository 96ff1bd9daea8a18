import pytest

from gov_standards.regions import (
    GUANGXI,
    GUANGXI_REGIONS,
    ancestors,
    is_guangxi_region,
    is_region_code,
    level,
    normalise_region,
    padded,
    parent_of,
    region_covers,
    region_prefix,
    strictly_above,
)


@pytest.mark.parametrize(
    ("scope", "region", "covered"),
    [
        ("450000", "450103", True),
        ("450100", "450103", True),
        ("450100", "450100000000", True),
        ("450100", "450200", False),
        ("450103", "450103", True),
        ("450103", "450100", False),
        ("450000", "440300", False),
        (None, "450100", False),
        ("450100", None, False),
        ("450000", "450100", True),
        ("451400", "451402", True),
        ("451400", "450140", False),
        ("450100", "450000", False),
        ("450000", "440100", False),
    ],
)
def test_region_subtree(scope: str | None, region: str | None, covered: bool) -> None:
    assert region_covers(scope, region) is covered


def test_prefixes() -> None:
    assert [region_prefix(c) for c in ("450000", "450100", "450103", "450100000000")] == [
        "45",
        "4501",
        "450103",
        "4501",
    ]


def test_level_parent_and_ancestors() -> None:
    assert [level(c) for c in ("450000", "450100", "450103")] == ["province", "city", "county"]
    assert [parent_of(c) for c in ("450103", "450100", "450000")] == ["450100", "450000", None]
    assert ancestors("450103") == ["450000", "450100", "450103"]
    assert ancestors("450100") == ["450000", "450100"]
    assert ancestors("450000") == ["450000"]


def test_a_region_is_covered_by_each_of_its_ancestors_and_by_nothing_else_of_the_table() -> None:
    # Property over the seeded table and a county below each city.
    codes = [code for code, _, _ in GUANGXI_REGIONS] + [code[:4] + "03" for code, _, _ in GUANGXI_REGIONS[1:]]
    for region in codes:
        covering = {scope for scope in codes if region_covers(scope, region)}
        assert covering == set(ancestors(region))
        assert region_covers(region, padded(region))
        assert not strictly_above(region, region)


def test_the_table_knows_guangxi_and_its_fourteen_cities() -> None:
    assert len(GUANGXI_REGIONS) == 15
    assert all(parent == (None if code == GUANGXI else GUANGXI) for code, _, parent in GUANGXI_REGIONS)
    assert all(parent_of(code) == parent for code, _, parent in GUANGXI_REGIONS)


@pytest.mark.parametrize(
    ("code", "plain", "with_padding"),
    [("450103", True, True), ("450100000000", False, True), ("450100000001", False, False), ("440300", False, False)],
)
def test_guangxi_codes(code: str, plain: bool, with_padding: bool) -> None:
    assert is_guangxi_region(code) is plain
    assert is_guangxi_region(code, allow_padded=True) is with_padding


def test_normalise_region() -> None:
    assert normalise_region(" 450100000000 ") == "450100"
    assert normalise_region("450103") == "450103"
    for bad in ("4501", "450100000001", "45010x"):
        with pytest.raises(ValueError):
            normalise_region(bad)


@pytest.mark.parametrize(
    ("code", "valid"),
    [
        ("450103", True),
        ("110000", True),
        ("450103001001", True),
        ("45010", False),
        ("4501030", False),
        ("45010a", False),
        ("", False),
    ],
)
def test_a_region_code_has_6_or_12_digits(code: str, valid: bool) -> None:
    assert is_region_code(code) is valid
