import pytest

from gov_common.regions import region_covers, region_prefix


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
