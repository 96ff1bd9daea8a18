"""Field types of exchange's request bodies: each check written once, with one message."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator

from gov_common.pagination import IsoDateTime
from gov_standards.identifiers import is_credit_code_shaped
from gov_standards.regions import is_guangxi_region


def _guangxi_region(value: str) -> str:
    if not is_guangxi_region(value, allow_padded=True):
        raise ValueError("must be a Guangxi GB/T 2260 code (45xxxx, 6 digits or padded to 12)")
    return value


def _department_code(value: str) -> str:
    # shape only: legacy department codes may fail the check character
    if not is_credit_code_shaped(value):
        raise ValueError("must be an 18-character unified social credit code")
    return value


def _with_offset(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("times need their offset (RFC 3339)")
    return value


GuangxiRegion = Annotated[str, AfterValidator(_guangxi_region)]
DepartmentCode = Annotated[str, AfterValidator(_department_code)]
WithOffset = Annotated[datetime, AfterValidator(_with_offset)]
# ISO 8601 only (no Unix time), with its offset
IsoWithOffset = Annotated[IsoDateTime, AfterValidator(_with_offset)]
