"""Every event type published has a documented schema, and the schemas refuse raw identifiers' fields."""

import ast
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import ValidationError

from identity.events import EVENT_SCHEMAS, UserRegistered

SRC = Path(__file__).resolve().parents[2] / "src" / "identity"


def published_types() -> set[str]:
    found = set()
    for path in SRC.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and node.value.startswith("identity.user.")
            ):
                found.add(node.value)
    return found


def test_every_published_type_is_documented() -> None:
    assert published_types() == set(EVENT_SCHEMAS) == {"identity.user.registered", "identity.user.verified"}


def test_schemas_forbid_unknown_fields_such_as_raw_numbers() -> None:
    base = {"account_id": "a", "kind": "citizen", "assurance_level": 1, "registered_at": datetime.now(UTC)}
    UserRegistered.model_validate(base)
    with pytest.raises(ValidationError):
        UserRegistered.model_validate({**base, "id_number": "450102199001011231"})
