"""The event catalogue holds together (alphagov's "every queue has a consumer", for events): every type a
service publishes is a registered gov_contracts model of that service, every subscription reads topics and
types some service publishes, every contract is documented in docs/events.md, and every published type has a
reader on the platform or is listed in NO_PLATFORM_READER with the reason.

What a service publishes is found by parsing its code (no service needs to run): the contracts it names
outside consumers.py and outside annotations (``publish(session, ItemPublished(...))``, ``CaseAccepted``
handed to the domain's event builder); what it reads, from its ``SPEC.subscriptions``. How a payload
travels and is read (strict build, tolerant read, versions, dead-lettering) is libs/contracts' own tests.
"""

from __future__ import annotations

import ast
import importlib
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from gov_common.service import ServiceSpec
from gov_contracts import Event, EventHandlers, publish, registry

ROOT = Path(__file__).resolve().parents[2]
SERVICES = sorted(p.name.removeprefix("svc-") for p in ROOT.glob("svc-*") if (p / "pyproject.toml").is_file())

# Published types no platform service reads, and why they are published all the same: facts for systems
# outside these services (a deployment's audit, reconciliation or alerting reads the topics) or for a
# reader not written yet. An entry a service starts to read fails the test, so the list says what is true.
NO_PLATFORM_READER: dict[str, str] = {
    "identity.user.registered": "account lifecycle, masked values only; no service keeps accounts",
    "identity.user.verified": "account lifecycle, masked values only; no service keeps accounts",
    "application.bundle.submitted": "a one-thing application's parts (each part with its own application.submitted) for "
    "statistics and a deployment's audit; every service follows the parts",
    "application.bundle.completed": "a one-thing application ended (completed or partial): statistics and the "
    "applicant's notifications of a deployment",
    "workflow.sla.warning": "electronic supervision alerts; supervisors read them through workflow's API",
    "workflow.sla.overdue": "electronic supervision alerts; supervisors read them through workflow's API",
    "payment.order.created": "the payment record; workflow waits only for payment.order.paid",
    "payment.order.refunded": "the payment record; a refund changes no case",
    "evaluation.rectification.overdue": "supervision alerting; internal, kept off exchange's webhooks",
    "hotline.order.created": "12345 order lifecycle, no caller data: supervision and city hotlines' systems",
    "hotline.order.dispatched": "12345 order lifecycle: the receiving department's own systems",
    "hotline.order.answered": "12345 order lifecycle: supervision",
    "hotline.order.reopened": "12345 order lifecycle: supervision",
    "hotline.order.closed": "12345 order lifecycle: supervision and city hotlines' systems",
    "hotline.order.overdue": "supervision alerting (督办); supervisors read figures through hotline's API",
    "hotline.order.handed_over": "the record of an emergency handed to 110/119/120/122",
    "hall.ticket.issued": "hall queue facts for a deployment's dashboards; the figures are read through hall's API",
    "hall.ticket.called": "hall queue facts for a deployment's dashboards; screens read hall's own stream",
    "hall.ticket.transferred": "hall queue facts for a deployment's dashboards",
    "hall.ticket.finished": "hall queue facts; the window's device asks for the rating itself (evaluation)",
    "hall.ticket.expired": "hall queue facts (no-shows) for a deployment's dashboards",
    "hall.window.signed_in": "window attendance (数字考勤) for a deployment's HR systems",
    "hall.window.signed_out": "window attendance (数字考勤) for a deployment's HR systems",
}


def package_dir(service: str) -> Path:
    return ROOT / f"svc-{service}" / "src" / service


def spec(service: str) -> ServiceSpec:
    found: ServiceSpec = importlib.import_module(f"{service}.main").SPEC
    return found


def modules(service: str) -> Iterator[tuple[str, Path]]:
    src = package_dir(service).parent
    for path in sorted(package_dir(service).rglob("*.py")):
        yield ".".join(path.relative_to(src).with_suffix("").parts), path


def _annotation_nodes(tree: ast.AST) -> set[int]:
    """Ids of every node inside an annotation: a handler's ``event: ApplicationSubmitted`` publishes nothing."""
    roots: list[ast.AST] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.arg | ast.AnnAssign) and node.annotation is not None:
            roots.append(node.annotation)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.returns is not None:
            roots.append(node.returns)
    return {id(n) for root in roots for n in ast.walk(root)}


def _resolve(node: ast.AST, namespace: dict[str, Any]) -> Any:
    """The object a name or dotted attribute names in the module (None when it names nothing there)."""
    if isinstance(node, ast.Name):
        return namespace.get(node.id)
    if isinstance(node, ast.Attribute):
        base = _resolve(node.value, namespace)
        return getattr(base, node.attr, None) if base is not None else None
    return None


def _is_event(obj: Any) -> bool:
    return isinstance(obj, type) and issubclass(obj, Event) and "type" in dir(obj) and hasattr(obj, "topic")


def _publisher(model: type[Event]) -> str:
    return model.publisher.removeprefix("/svc-")


class Scan:
    """What one service's code names: the contracts it refers to (outside consumers.py and annotations),
    what it hands to ``publish`` and the event models it defines itself."""

    def __init__(self, service: str) -> None:
        self.service = service
        self.named: set[type[Event]] = set()
        self.published_foreign: list[str] = []  # publish() given anything but a contract of its own
        self.own_models: list[str] = []
        for name, path in modules(service):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            namespace = vars(importlib.import_module(name))
            skip = _annotation_nodes(tree)
            where = f"{path.relative_to(ROOT)}"
            for node in ast.walk(tree):
                if isinstance(node, ast.ClassDef):
                    obj = namespace.get(node.name)
                    if isinstance(obj, type) and issubclass(obj, Event) and "type" in vars(obj):  # a new type
                        self.own_models.append(f"{where}: {node.name}")
                if id(node) in skip:
                    continue
                if isinstance(node, ast.Name | ast.Attribute) and path.name != "consumers.py":
                    obj = _resolve(node, namespace)
                    if _is_event(obj):
                        self.named.add(obj)
                if isinstance(node, ast.Call) and _resolve(node.func, namespace) is publish and len(node.args) >= 2:
                    arg = node.args[1]
                    if not isinstance(arg, ast.Call):
                        continue  # a variable: typed as an Event (mypy); its class is found where it is named
                    model = _resolve(arg.func, namespace)
                    if model not in registry.all_events() or _publisher(model) != service:
                        self.published_foreign.append(f"{where}:{node.lineno}: {ast.unparse(arg.func)}")

    @property
    def published(self) -> set[str]:
        """The types this service publishes: the contracts of its own it names."""
        return {m.type for m in self.named if _publisher(m) == self.service}


@cache
def scan(service: str) -> Scan:
    return Scan(service)


def published_by() -> dict[str, str]:
    """Each published type and its publisher."""
    return {t: s for s in SERVICES for t in scan(s).published}


def readers() -> dict[str, set[str]]:
    """Each type and the consumer groups that read it."""
    read: dict[str, set[str]] = {}
    for service in SERVICES:
        for sub in spec(service).subscriptions:
            handled = sub.handler.models if isinstance(sub.handler, EventHandlers) else []
            for type_ in (m.type for m in handled):
                read.setdefault(type_, set()).add(sub.group)
    return read


# --- publishing ------------------------------------------------------------------------------------


def test_every_contract_module_is_in_the_registry() -> None:
    """A contracts module left out of registry.MODULES would publish types no check here sees."""
    package = ROOT / "libs/contracts/src/gov_contracts"
    missing = []
    for path in sorted(package.glob("*.py")):
        module = importlib.import_module(f"gov_contracts.{path.stem}")
        for obj in vars(module).values():
            own = _is_event(obj) and obj.__module__ == module.__name__ and "type" in vars(obj)
            if own and obj not in registry.all_events():
                missing.append(f"{module.__name__}.{obj.__name__}")
    assert missing == []


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_publishes_only_registered_contracts_of_its_own(service: str) -> None:
    found = scan(service)
    assert found.own_models == [], "events are gov_contracts models, never a service's own"
    assert found.published_foreign == [], "publish() takes a registered gov_contracts model of the service's own"


def test_every_contract_has_its_publisher() -> None:
    """A registered contract its publisher's code never names is published by nobody (or by a copy)."""
    published = published_by()
    unpublished = [f"{m.type} ({m.publisher})" for m in registry.all_events() if m.type not in published]
    assert unpublished == []
    assert all(_publisher(registry.by_type()[t]) == s for t, s in published.items())


def test_the_scan_sees_what_services_publish() -> None:
    """The parsing above finds publishes written both ways: a model built at the call, a class handed on."""
    assert {"catalog.item.published", "catalog.bundle.withdrawn"} <= scan("catalog").published
    assert {"workflow.case.accepted", "workflow.sla.overdue", "workflow.calendar_year.changed"} <= scan(
        "workflow"
    ).published
    assert "application.submitted" not in scan("workflow").published  # read by its consumers, not published


# --- reading ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("service", SERVICES)
def test_every_subscription_reads_what_some_service_publishes(service: str) -> None:
    published = published_by()
    topics = registry.topics()
    for sub in spec(service).subscriptions:
        assert set(sub.topics) <= set(topics), f"{sub.group} reads a topic no contract names"
        assert isinstance(sub.handler, EventHandlers), f"{sub.group} reads raw CloudEvents: use EventHandlers"
        assert set(sub.topics) == set(sub.handler.topics), f"{sub.group}: the topics are its contracts'"
        for model in sub.handler.models:
            assert model in registry.all_events(), f"{sub.group} reads an unregistered {model.__name__}"
            assert model.type in published, f"{sub.group} reads {model.type}, which nobody publishes"


def test_every_published_type_has_a_reader_or_a_reason() -> None:
    read = readers()
    unread = sorted(t for t in published_by() if t not in read and t not in NO_PLATFORM_READER)
    assert unread == [], "published, read by no service: add a consumer or list it in NO_PLATFORM_READER, with why"
    stale = sorted(t for t in NO_PLATFORM_READER if t in read or t not in registry.by_type())
    assert stale == [], "listed as read by no service, but read on the platform (or not a contract): remove it"


# --- documentation ---------------------------------------------------------------------------------


def test_every_contract_is_documented() -> None:
    doc = (ROOT / "docs" / "events.md").read_text(encoding="utf-8")
    headings = set(re.findall(r"^#### `([^`]+)` v(\d+) \((\w+)\)$", doc, flags=re.MULTILINE))
    missing = [
        f"{m.type} v{m.schema_version}"
        for m in registry.all_events()
        if (m.type, str(m.schema_version), m.__name__) not in headings
    ]
    assert missing == [], "docs/events.md: run `uv run python -m gov_contracts.docs`"
