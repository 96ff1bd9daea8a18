"""What catalog publishes is the contract (gov_contracts.catalog): the definitions editors author carry
exactly the contract's fields and convert to it unchanged."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from catalog.bundles.schemas import BundleDefinition
from catalog.items.schemas import ItemDefinition
from gov_contracts import catalog as contract


@pytest.mark.parametrize(
    ("authored", "published"),
    [(ItemDefinition, contract.ItemDefinition), (BundleDefinition, contract.BundleDefinition)],
)
def test_authored_definitions_have_the_contracts_fields(authored: type[BaseModel], published: type[BaseModel]) -> None:
    assert set(authored.model_fields) == set(published.model_fields)


def test_an_authored_definition_converts_to_the_contract_unchanged(food: dict[str, Any]) -> None:
    authored = ItemDefinition.model_validate(food).model_dump(mode="json")
    event = contract.ItemPublished(
        implementation_code="X",
        version=1,
        inherits=None,
        online_level="III",
        fully_online=False,
        published_at=datetime.now(UTC),
        definition=contract.ItemDefinition.model_validate(authored),
    )
    assert event.to_data()["definition"] == authored
    with pytest.raises(ValidationError):
        contract.ItemWithdrawn(implementation_code="X", version=0, region="450000", withdrawn_at=datetime.now(UTC))
