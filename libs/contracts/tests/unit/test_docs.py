"""docs/events.md is generated from the contracts: it fails here when a model changed and the page did not."""

from __future__ import annotations

from gov_contracts import docs, registry


def test_events_md_is_what_the_models_generate() -> None:
    current = docs.DEFAULT_PATH.read_text(encoding="utf-8")
    assert docs.MARKER in current, "docs/events.md lost its generated part"
    assert current == docs.render(current), "docs/events.md is stale: run `uv run python -m gov_contracts.docs`"


def test_every_contract_is_on_the_page() -> None:
    text = docs.generate()
    for model in registry.all_events():
        assert f"`{model.type}` v{model.schema_version} ({model.__name__})" in text
        assert model.dataschema() in text


def test_the_prose_above_the_marker_is_kept() -> None:
    assert docs.render("# Title\n\nProse.\n").startswith("# Title\n\nProse.\n\n" + docs.MARKER)
    again = docs.render(docs.render("# Title\n\nProse.\n"))
    assert again.count(docs.MARKER) == 1
