"""Real-name verification against the population base data (人口库).

In production the check is a look-up through svc-exchange (not wired yet); the embedded default and the
tests use a small synthetic base data set. Only "does this name match this ID number" is asked."""

from __future__ import annotations

from typing import Protocol

from identity.identifiers import id_check_character


def _id(first17: str) -> str:
    return first17 + id_check_character(first17)


# Synthetic residents (made-up names and numbers with valid structure); never real people.
SYNTHETIC_RESIDENTS: dict[str, str] = {
    _id("45010219900101123"): "张三",
    _id("45010219850615234"): "李四",
    _id("45020319920304345"): "王五",
    _id("45030419780909456"): "赵六",
    _id("45010319951111567"): "陈七",
    _id("45010419880808678"): "黄八",
}


class PopulationBase(Protocol):
    async def matches(self, *, id_number: str, real_name: str) -> bool: ...


class SyntheticPopulationBase:
    def __init__(self, residents: dict[str, str] | None = None) -> None:
        self.residents = SYNTHETIC_RESIDENTS if residents is None else residents

    async def matches(self, *, id_number: str, real_name: str) -> bool:
        return self.residents.get(id_number) == real_name
