"""Every event contract by type: the modules listed in :data:`MODULES`, one per publisher."""

from __future__ import annotations

import importlib
import inspect
from functools import cache

from gov_contracts.base import Event

# One module per publisher; a new publisher (or a new module of contracts) is added here, and only here.
MODULES = (
    "gov_contracts.identity",
    "gov_contracts.catalog",
    "gov_contracts.application",
    "gov_contracts.workflow",
    "gov_contracts.calendar",
    "gov_contracts.payment",
    "gov_contracts.certificates",
    "gov_contracts.evaluation",
    "gov_contracts.exchange",
    "gov_contracts.hotline",
    "gov_contracts.hall",
)


@cache
def all_events() -> tuple[type[Event], ...]:
    """Every concrete contract of :data:`MODULES` (every version), by module, then by type and version."""
    found: list[type[Event]] = []
    for name in MODULES:
        module = importlib.import_module(name)
        members = [
            obj
            for obj in vars(module).values()
            if inspect.isclass(obj) and issubclass(obj, Event) and obj.__module__ == name and "type" in vars(obj)
        ]
        found += sorted(members, key=lambda m: (m.type, m.schema_version))
    seen: dict[tuple[str, int], type[Event]] = {}
    for model in found:
        key = (model.type, model.schema_version)
        if key in seen:
            raise RuntimeError(f"{model.type} v{model.schema_version} is defined twice ({seen[key]} and {model})")
        seen[key] = model
    return tuple(found)


def by_type() -> dict[str, type[Event]]:
    """The latest version of every type."""
    latest: dict[str, type[Event]] = {}
    for model in all_events():
        if model.type not in latest or latest[model.type].schema_version < model.schema_version:
            latest[model.type] = model
    return latest


def model_for(type_: str, version: int = 1) -> type[Event] | None:
    return next((m for m in all_events() if m.type == type_ and m.schema_version == version), None)


def topics() -> dict[str, list[str]]:
    """Each topic and the types published on it."""
    out: dict[str, list[str]] = {}
    for model in all_events():
        types = out.setdefault(model.topic, [])
        if model.type not in types:
            types.append(model.type)
    return out
