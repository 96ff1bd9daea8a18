"""Every service keeps the one layout of docs/service-guide.md ("Layout"): the same modules under the same
names, pure rules in ``domain.py``, routes in feature packages, events only through gov_contracts.

Reads the source tree (no import of any service), so it runs without servers."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SERVICES = sorted(p.name for p in ROOT.glob("svc-*") if (p / "pyproject.toml").is_file())

# Checks a service may fail for a while, while it is being restructured (service -> check ids); an entry
# the service already passes fails a test, so the set only shrinks. Empty: every service keeps the layout.
TEMPORARY: dict[str, set[str]] = {}

REQUIRED = ("__init__.py", "main.py", "settings.py", "models.py", "errors.py")
# What pure rules may not touch: a database, HTTP, the bus, the request's dependencies (event models are
# values: a domain method may return one for its caller to publish).
IO_MODULES = ("sqlalchemy", "fastapi", "starlette", "httpx", "aiokafka", "gov_common.db", "gov_common.deps",
              "gov_common.outbox", "gov_common.bus", "gov_contracts.publish", "gov_contracts.publishing",
              "gov_contracts.EventHandlers", "gov_contracts.handlers")  # fmt: skip


def package(service: str) -> Path:
    """The service's one import package, ``svc-<name>/src/<name>``."""
    found = [p for p in (ROOT / service / "src").iterdir() if (p / "__init__.py").is_file()]
    assert len(found) == 1, f"{service}/src holds one package, found {[p.name for p in found]}"
    return found[0]


def modules(service: str) -> list[Path]:
    return sorted(package(service).rglob("*.py"))


def imported(path: Path) -> set[str]:
    """Every module name ``path`` imports (absolute imports; ours never use relative ones)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def calls(path: Path, name: str) -> int:
    """How many times ``path`` calls something named ``name`` (``name(...)`` or ``x.name(...)``)."""
    count = 0
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call):
            func = node.func
            called = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
            count += called == name
    return count


def under(module: str, prefixes: tuple[str, ...]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def rel(path: Path) -> str:
    return str(path.relative_to(ROOT))


def test_the_services_are_found() -> None:
    assert {"svc-catalog", "svc-application", "svc-payment", "svc-workflow"} <= set(SERVICES)


@pytest.mark.parametrize("service", SERVICES)
def test_required_modules(service: str) -> None:
    pkg = package(service)
    missing = [name for name in REQUIRED if not (pkg / name).is_file()]
    assert missing == [], f"{rel(pkg)} lacks {missing}"
    main = (pkg / "main.py").read_text(encoding="utf-8")
    assert "SPEC = ServiceSpec(" in main and "def create_app(" in main, f"{rel(pkg)}/main.py: SPEC and create_app()"
    prefix = f'env_prefix="{pkg.name.upper()}_"'
    assert prefix in (pkg / "settings.py").read_text(encoding="utf-8"), f"{rel(pkg)}/settings.py: {prefix}"
    for kind in ("unit", "integration"):
        assert (ROOT / service / "tests" / kind).is_dir(), f"{service}/tests/{kind} is missing"


def _no_rules_module(service: str) -> list[str]:
    return [rel(p) for p in modules(service) if p.name == "rules.py"]


def _routeless_features(service: str) -> list[str]:
    pkg = package(service)
    return [
        rel(d)
        for d in sorted(p.parent for p in pkg.rglob("__init__.py") if p.parent != pkg)
        if (d / "schemas.py").is_file() and not (d / "router.py").is_file()
    ]


def _impure_domain(service: str) -> list[str]:
    return [
        f"{rel(p)} imports {name}"
        for p in modules(service)
        if p.name == "domain.py"
        for name in sorted(imported(p))
        if under(name, IO_MODULES)
    ]


def _access_off_policy(service: str) -> list[str]:
    access = package(service) / "access.py"
    if not access.is_file():
        return []
    names = imported(access)
    problems = [] if "gov_common.policy" in names else [f"{rel(access)} does not use gov_common.policy"]
    # An access module decides; loading and logging what it decides on belong to a service module.
    problems += [f"{rel(access)} imports {n}" for n in sorted(names) if under(n, ("sqlalchemy.ext.asyncio",))]
    return problems


def _own_event_models(service: str) -> list[str]:
    return [rel(p) for p in modules(service) if p.name == "events.py"]


def _subscriptions_outside_consumers(service: str) -> list[str]:
    problems = []
    for p in modules(service):
        if p.name != "consumers.py" and calls(p, "EventHandlers"):
            problems.append(f"{rel(p)} builds an EventHandlers (consumers.py does)")
        if calls(p, "Subscription"):
            problems.append(f"{rel(p)} builds a Subscription by hand (EventHandlers.subscription() does)")
        if calls(p, "_add_event") or calls(p, "add_event"):
            problems.append(f"{rel(p)} stages an event by hand (gov_contracts.publish does)")
    return problems


# id -> (what the layout asks, the check: what breaks it in a service)
CHECKS = {
    "rules": ("no module named rules.py (pure rules are domain.py)", _no_rules_module),
    "features": ("every feature package (one with schemas.py) has a router.py", _routeless_features),
    "domain": ("domain.py does no I/O", _impure_domain),
    "access": ("access.py wraps gov_common.policy and runs no queries", _access_off_policy),
    "events": ("no events.py: events are gov_contracts models", _own_event_models),
    "contracts": ("events are published and consumed only through gov_contracts", _subscriptions_outside_consumers),
}
CASES = [(s, c) for s in SERVICES for c in CHECKS if c not in TEMPORARY.get(s, set())]


@pytest.mark.parametrize(("service", "check"), CASES)
def test_layout(service: str, check: str) -> None:
    rule, broken_by = CHECKS[check]
    assert broken_by(service) == [], rule


def test_temporary_exceptions_are_still_needed() -> None:
    assert set(TEMPORARY) <= set(SERVICES) and all(TEMPORARY[s] <= set(CHECKS) for s in TEMPORARY)
    # An exception for a check the service already passes only hides the next drift.
    passing = [(s, c) for s, checks in sorted(TEMPORARY.items()) for c in sorted(checks) if CHECKS[c][1](s) == []]
    assert passing == [], f"remove {passing} from TEMPORARY in tests/test_layout.py: they keep the layout now"
