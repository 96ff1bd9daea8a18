"""Pure rules: validity from the type's rule, field checks, and the consumers' wiring."""

from datetime import date

import pytest

from certificates.errors import InvalidFields
from certificates.licenses.service import check_fields, default_validity
from certificates.main import SPEC
from certificates.models import LicenseType


def _type(years: int | None) -> LicenseType:
    return LicenseType(
        code="T",
        name="t",
        department_name="d",
        fields=[{"name": "a", "label": "A", "required": True}, {"name": "b", "label": "B", "required": False}],
        validity_years=years,
        template={},
    )


def test_validity_rule() -> None:
    assert default_validity(_type(None), date(2026, 1, 1)) is None
    assert default_validity(_type(5), date(2026, 3, 1)) == date(2031, 2, 28)
    assert default_validity(_type(1), date(2028, 2, 29)) == date(2029, 2, 28)


def test_fields_must_match_the_type() -> None:
    assert check_fields(_type(None), {"a": "x"}) == {"a": "x"}
    with pytest.raises(InvalidFields) as missing:
        check_fields(_type(None), {"b": "x"})
    assert missing.value.extensions["missing"] == ["a"]
    with pytest.raises(InvalidFields) as unknown:
        check_fields(_type(None), {"a": "x", "c": "y"})
    assert unknown.value.extensions["unknown"] == ["c"]
    with pytest.raises(InvalidFields):
        check_fields(_type(None), {"a": {"nested": 1}})


def test_consumers_listen_to_the_documented_topics() -> None:
    topics = {(s.group, tuple(s.topics)) for s in SPEC.subscriptions}
    assert topics == {
        ("certificates.item-licenses", ("gov.catalog.items",)),
        ("certificates.issue-on-approval", ("gov.workflow.cases",)),
        ("certificates.case-notices", ("gov.workflow.cases",)),
    }
    issuing = next(s for s in SPEC.subscriptions if s.group == "certificates.issue-on-approval")
    assert issuing.batch_size == 1, "issuing waits on identity and a seal lock: one case per transaction"
