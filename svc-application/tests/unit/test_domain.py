"""Pure rules: tracking numbers, form errors, pre-review, the status graph, masking, region scope, calendar."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from application.domain import (
    BUNDLE_DONE,
    MaterialHeld,
    Status,
    bundle_outcome,
    can_transition,
    form_errors,
    id_tail,
    is_tracking_number,
    mask_name,
    part_form,
    pre_review,
    tracking_number,
)
from application.storage import sniff
from application.workdays import is_slot, slot_starts
from gov_standards.calendar import default_calendar, parse_year
from gov_standards.china_time import china_date as local_day

SCHEMA = {
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "owner": {"type": "object", "properties": {"age": {"type": "integer", "minimum": 18}}, "required": ["age"]},
        "rooms": {"type": "array", "items": {"type": "object", "properties": {"m2": {"type": "number"}}}},
    },
    "required": ["name", "owner"],
}


def test_tracking_number_format() -> None:
    assert tracking_number("450100", date(2026, 11, 27), 42) == "45010020261127000042"
    assert is_tracking_number("45010020261127000042")
    assert not is_tracking_number("4501002026112700004")
    with pytest.raises(ValueError):
        tracking_number("450100", date(2026, 11, 27), 1_000_000)


def test_the_day_of_a_tracking_number_is_the_day_in_beijing() -> None:
    assert local_day(datetime(2026, 11, 27, 16, 30, tzinfo=UTC)) == date(2026, 11, 28)
    assert local_day(datetime(2026, 11, 27, 15, 59, tzinfo=UTC)) == date(2026, 11, 27)


def test_form_errors_point_at_nested_fields_and_each_missing_one() -> None:
    errors = form_errors(SCHEMA, {"owner": {"age": 12}, "rooms": [{"m2": 3}, {"m2": "big"}]})
    assert [(e.pointer, e.code) for e in errors] == [
        ("/name", "required"),
        ("/owner/age", "minimum"),
        ("/rooms/1/m2", "type"),
    ]
    assert errors[2].as_dict()["field"] == "rooms.1.m2"
    assert form_errors(SCHEMA, {"name": "x", "owner": {"age": 30}}) == []


def test_pre_review_names_what_is_missing_and_what_a_license_replaces() -> None:
    required = [
        {"name": "营业执照", "required": True, "license_type": "营业执照"},
        {"name": "平面图", "required": True},
        {"name": "说明", "required": False},
    ]
    result = pre_review(
        published=True,
        schema=SCHEMA,
        form={"name": "x", "owner": {"age": 30}},
        required=required,
        held=[MaterialHeld("平面图", "upload")],
        licenses_by_type={"营业执照": [{"license_id": "L1"}]},
    )
    assert not result.ok
    assert result.missing_materials == [
        {"name": "营业执照", "license_type": "营业执照", "replaceable_by": [{"license_id": "L1"}]}
    ]
    done = pre_review(
        published=True,
        schema=SCHEMA,
        form={"name": "x", "owner": {"age": 30}},
        required=required,
        held=[MaterialHeld("平面图", "upload"), MaterialHeld("营业执照", "license")],
    )
    assert done.ok
    withdrawn = pre_review(
        published=False, schema=SCHEMA, form={"name": "x", "owner": {"age": 30}}, required=[], held=[]
    )
    assert not withdrawn.ok and withdrawn.as_dict()["item_published"] is False


def test_status_graph() -> None:
    assert can_transition("draft", Status.SUBMITTED)
    assert can_transition("supplement_requested", Status.SUPPLEMENTED)
    assert can_transition("supplemented", Status.ACCEPTED)
    assert not can_transition("draft", Status.ACCEPTED)
    assert not can_transition("approved", Status.WITHDRAWN), "no withdrawal after the decision"
    assert not can_transition("completed", Status.SUPPLEMENT_REQUESTED)
    assert not can_transition("withdrawn", Status.ACCEPTED)


def test_masking_and_tails() -> None:
    assert mask_name("张三") == "张*"
    assert mask_name("欧阳娜娜") == "欧***"
    assert mask_name("李") == "李*"
    assert id_tail("11010519491231002x") == "002X"


CAL = default_calendar()


def test_slots_of_a_day() -> None:
    periods = [["09:00", "10:00"], ["14:00", "15:00"]]
    starts = slot_starts(CAL, date(2026, 11, 27), periods, 30)
    assert [s.strftime("%H:%M") for s in starts] == ["09:00", "09:30", "14:00", "14:30"]
    assert slot_starts(CAL, date(2026, 10, 1), periods, 30) == []
    assert is_slot(CAL, starts[1], periods, 30)
    moved = CAL.overlay([parse_year(2026, ["2026-11-27"], [])])  # a year workflow changed: that Friday off
    assert slot_starts(moved, date(2026, 11, 27), periods, 30) == []
    assert not is_slot(CAL, datetime(2026, 11, 27, 1, 45, tzinfo=UTC), periods, 30), "09:45 Beijing is no slot start"


def test_sniffing_reads_content_not_names() -> None:
    assert sniff(b"%PDF-1.7\n...") == "application/pdf"
    assert sniff(b"\x89PNG\r\n\x1a\n" + b"\x00" * 16) == "image/png"
    assert sniff(b"\xff\xd8\xff\xe0" + b"\x00" * 16) == "image/jpeg"
    assert sniff(b"MZ\x90\x00" + b"\x00" * 60) == "application/x-msdownload"
    assert sniff(b"hello") is None


def test_a_part_of_a_bundle_gets_its_items_fields_of_the_merged_form() -> None:
    merged = {"baby_name": "张小宝", "father_name": "张三", "bank_choice": "工商银行"}
    schema = {"type": "object", "properties": {"baby_name": {}, "father_name": {}}}
    assert part_form(schema, merged) == {"baby_name": "张小宝", "father_name": "张三"}
    assert part_form({"type": "object"}, merged) == merged, "an item naming no fields takes the whole form"


def test_a_bundle_is_completed_only_when_every_part_was_approved_and_completed() -> None:
    assert bundle_outcome([("completed", "approved"), ("completed", "approved")]) == "completed"
    assert bundle_outcome([("completed", "approved"), ("completed", "rejected")]) == "partial"
    assert bundle_outcome([("completed", "approved"), ("refused", None)]) == "partial"
    assert bundle_outcome([("withdrawn", None)]) == "partial"
    assert {Status.COMPLETED, Status.REFUSED, Status.WITHDRAWN} == BUNDLE_DONE
    assert Status.SUPPLEMENT_REQUESTED not in BUNDLE_DONE, "a part waiting for a supplement has not ended"
