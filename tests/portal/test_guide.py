"""The portal's wording and ranking rules (pure)."""

from __future__ import annotations

from portal import guide


def item(name: str, region: str) -> dict[str, str]:
    return {"name": name, "region": region}


def test_the_persons_own_region_comes_first_among_items_of_the_same_name() -> None:
    found = [item("食品经营许可", "450000"), item("食品生产许可", "450000"), item("食品经营许可", "450100")]
    ranked = guide.rank(found, "450100")
    assert [(i["name"], i["region"]) for i in ranked] == [
        ("食品经营许可", "450100"),
        ("食品经营许可", "450000"),
        ("食品生产许可", "450000"),
    ]
    # In Liuzhou, Nanning's item is the farthest; the province's serves.
    ranked = guide.rank(found, "450200")
    assert [i["region"] for i in ranked if i["name"] == "食品经营许可"] == ["450000", "450100"]
    # A county: its city's item before the province's.
    ranked = guide.rank([item("出生登记", "450000"), item("出生登记", "450100")], "450103")
    assert [i["region"] for i in ranked] == ["450100", "450000"]


def test_an_item_not_received_online_says_why() -> None:
    assert guide.can_apply_online({"online_stages": [1, 2, 3], "onsite_visits": 1}) == (True, "")
    ok, why = guide.can_apply_online({"online_stages": [1], "onsite_visits": 2, "onsite_reason": "需核验原件"})
    assert not ok and "到现场2次" in why and "需核验原件" in why


def test_money_is_shown_in_yuan_from_fen() -> None:
    assert guide.fen(1500) == "15.00 元"
    assert guide.fen(None) == "—"


def test_times_are_shown_in_china_time_to_the_minute() -> None:
    assert guide.when("2026-12-08T01:00:00Z") == "2026-12-08 09:00"
    assert guide.when("2026-12-07T17:30:00+00:00") == "2026-12-08 01:30"
    assert guide.when(None) == "" and guide.when("not a time") == "not a time"
