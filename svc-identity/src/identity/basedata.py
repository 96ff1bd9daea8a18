"""Real-name checks against the base data: the population base (人口库) for people, the legal-person base
(法人库) for enterprises and who represents them.

In production both are look-ups through svc-exchange's shared datasets (``population-base``,
``legal-person-base``; not wired yet); the embedded default and the tests use small synthetic data sets.
Only "does this match" is asked, never a record read out."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from gov_standards.identifiers import credit_check_character, id_check_character


def _id(first17: str) -> str:
    return first17 + id_check_character(first17)


def _credit(first17: str) -> str:
    return first17 + credit_check_character(first17)


# Synthetic residents (made-up names and numbers with valid structure); never real people.
SYNTHETIC_RESIDENTS: dict[str, str] = {
    _id("45010219900101123"): "张三",
    _id("45010219850615234"): "李四",
    _id("45020319920304345"): "王五",
    _id("45030419780909456"): "赵六",
    _id("45010319951111567"): "陈七",
    _id("45010419880808678"): "黄八",
}


@dataclass(frozen=True)
class LegalPerson:
    name: str
    representative_id_number: str
    representative_name: str


# Synthetic legal persons (made-up, valid structure), represented by synthetic residents above. The first
# is the demo enterprise, the second the one tests/e2e/test_enterprise_agent.py registers.
SYNTHETIC_LEGAL_PERSONS: dict[str, LegalPerson] = {
    _credit("91450100000000010"): LegalPerson("广西示例科技有限公司", _id("45010219850615234"), "李四"),
    _credit("91450100MA5P0E2X0"): LegalPerson("南宁另一家公司 (e2e)", _id("45010219900101123"), "张三"),
    _credit("91450103MA5R8K2L0"): LegalPerson("南宁青秀示例贸易有限公司", _id("45010319951111567"), "陈七"),
}


class LegalPersonCheck(StrEnum):
    MATCH = "match"  # the base holds the credit code, with this name and this representative
    MISMATCH = "mismatch"  # the base holds the credit code, with another name or representative
    UNKNOWN = "unknown"  # the base does not hold the credit code (yet): staff must verify


class PopulationBase(Protocol):
    async def matches(self, *, id_number: str, real_name: str) -> bool: ...


class LegalPersonBase(Protocol):
    async def check(
        self, *, credit_code: str, name: str, representative_id_number: str, representative_name: str
    ) -> LegalPersonCheck: ...


class SyntheticPopulationBase:
    def __init__(self, residents: dict[str, str] | None = None) -> None:
        self.residents = SYNTHETIC_RESIDENTS if residents is None else residents

    async def matches(self, *, id_number: str, real_name: str) -> bool:
        return self.residents.get(id_number) == real_name


def _same_name(a: str, b: str) -> bool:
    # Full-width and half-width brackets and spaces are the same name in the register.
    table = str.maketrans({"（": "(", "）": ")", " ": "", "\u3000": ""})
    return a.translate(table) == b.translate(table)


class SyntheticLegalPersonBase:
    def __init__(self, legal_persons: dict[str, LegalPerson] | None = None) -> None:
        self.legal_persons = SYNTHETIC_LEGAL_PERSONS if legal_persons is None else legal_persons

    async def check(
        self, *, credit_code: str, name: str, representative_id_number: str, representative_name: str
    ) -> LegalPersonCheck:
        found = self.legal_persons.get(credit_code)
        if found is None:
            return LegalPersonCheck.UNKNOWN
        same = (
            _same_name(found.name, name)
            and found.representative_id_number == representative_id_number
            and found.representative_name == representative_name
        )
        return LegalPersonCheck.MATCH if same else LegalPersonCheck.MISMATCH
