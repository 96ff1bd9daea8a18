"""Identity publishes exactly its contracts (gov_contracts.identity), and they refuse raw identifiers."""

import ast
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import ValidationError

from gov_contracts import Event, registry
from gov_contracts.identity import UserRegistered

SRC = Path(__file__).resolve().parents[2] / "src" / "identity"


def published_models() -> set[str]:
    """The class names of what ``publish(session, Model(...))`` stages anywhere in identity's code."""
    found = set()
    for path in SRC.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "publish" and len(node.args) == 2:
                event = node.args[1]
                if isinstance(event, ast.Call) and isinstance(event.func, ast.Name):
                    found.add(event.func.id)
    return found


def test_every_contract_of_identity_is_published_and_nothing_else() -> None:
    ours = {m.__name__ for m in registry.all_events() if m.publisher == "/svc-identity"}
    assert published_models() == ours == {"UserRegistered", "UserVerified"}


def test_no_event_is_published_around_the_contracts() -> None:
    # The outbox's own add_event is the contracts' mechanics: a service calling it skips the contract.
    assert not [p for p in SRC.rglob("*.py") if "add_event" in p.read_text()]


def test_contracts_forbid_unknown_fields_such_as_raw_numbers() -> None:
    base = {"account_id": "a", "kind": "citizen", "assurance_level": 1, "registered_at": datetime.now(UTC)}
    event: Event = UserRegistered.model_validate(base)
    assert event.event_subject() == "a" and UserRegistered.topic == "gov.identity.users"
    with pytest.raises(ValidationError):
        UserRegistered.model_validate({**base, "id_number": "450102199001011231"})
