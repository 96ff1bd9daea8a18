"""Every contract in the registry: a concrete, documented, uniquely typed model whose JSON reads back."""

from __future__ import annotations

import pytest

from gov_contracts import registry
from gov_contracts.catalog import ItemPublished
from gov_contracts.testing import envelope, item_definition, item_published

MODELS = registry.all_events()


def test_every_publisher_module_contributes_contracts() -> None:
    modules = {m.__module__ for m in MODELS}
    assert modules == set(registry.MODULES)
    assert len({(m.type, m.schema_version) for m in MODELS}) == len(MODELS)


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.type)
def test_each_contract_is_complete(model: type) -> None:
    assert model.topic.startswith("gov.")
    assert model.publisher.startswith("/svc-")
    assert model.type.split(".")[0] in model.publisher, "a type starts with its publisher's name"
    assert model.__doc__, "documented: docs/events.md is generated from it"
    assert model.subject_field in model.model_fields


def test_sample_item_published_reads_back_and_matches_its_envelope() -> None:
    event = item_published(item_definition(name="食品经营许可（测试）"), version=3)
    env = envelope(event)
    assert env.subject == event.implementation_code
    assert env.dataschema == "urn:gov-platform:event:catalog.item.published:v1"
    read = ItemPublished.read({**env.data, "added_later": True})
    assert read == event
    assert read.definition.name == "食品经营许可（测试）"
    assert read.definition.process.steps[0].kind == "accept"
