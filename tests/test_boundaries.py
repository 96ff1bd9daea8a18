"""Import boundaries, by parsing every module: a service imports only its own package, gov_common,
gov_standards and gov_contracts (its src, tests, migrations and scripts alike); gov_standards imports nothing
of ours; gov_common only gov_standards; gov_contracts only gov_common and gov_standards; the gateway no
service. Top-level tests/ and scripts/ are platform-level and may import several services."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SERVICES = {p.name.removeprefix("svc-"): p for p in sorted(ROOT.glob("svc-*")) if p.is_dir()}
LIBS = {
    "gov_common": ROOT / "libs/common",
    "gov_standards": ROOT / "libs/standards",
    "gov_contracts": ROOT / "libs/contracts",
    "gov_web": ROOT / "libs/web",
}
OURS = set(SERVICES) | set(LIBS) | {"gateway", "portal", "workbench"}
ALLOWED: dict[str, set[str]] = {
    **{name: {name, "gov_common", "gov_standards", "gov_contracts"} for name in SERVICES},
    # Identity's sign-in pages wear the front-ends' one look: gov_web's templates and assets (no service).
    "identity": {"identity", "gov_common", "gov_standards", "gov_contracts", "gov_web"},
    "gov_standards": {"gov_standards"},
    "gov_common": {"gov_common", "gov_standards"},
    "gov_contracts": {"gov_contracts", "gov_common", "gov_standards"},
    "gateway": {"gateway", "gov_common", "gov_standards", "gov_contracts"},
    # The web front-ends reach the platform through the gateway's public API only: no service is imported.
    "gov_web": {"gov_web", "gov_common", "gov_standards"},
    "portal": {"portal", "gov_web", "gov_common", "gov_standards"},
    "workbench": {"workbench", "gov_web", "gov_common", "gov_standards"},
}


def _roots() -> dict[str, Path]:
    return {**SERVICES, **LIBS, "gateway": ROOT / "gateway", "portal": ROOT / "portal", "workbench": ROOT / "workbench"}


def _imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name.split(".")[0]) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module.split(".")[0]))
    return found


def violations() -> dict[str, list[int]]:
    """Each crossing ("file -> package") and the lines it is on."""
    out: dict[str, list[int]] = {}
    for owner, root in _roots().items():
        for path in sorted(root.rglob("*.py")):
            if any(part in {".venv", ".var", "__pycache__", "node_modules"} for part in path.parts):
                continue
            for line, package in _imports(path):
                if package in OURS and package not in ALLOWED[owner]:
                    out.setdefault(f"{path.relative_to(ROOT)} -> {package}", []).append(line)
    return out


def test_no_package_imports_across_its_boundary() -> None:
    found = [f"{k} (lines {lines})" for k, lines in sorted(violations().items())]
    assert not found, "imports across a boundary (a service may import only itself, gov_common, gov_standards, " + (
        "gov_contracts):\n" + "\n".join(found)
    )


def test_the_check_sees_every_package() -> None:
    assert set(SERVICES) >= {"identity", "catalog", "application", "workflow", "payment", "certificates"}
    assert all(root.is_dir() for root in _roots().values())
    assert ("gov_common" in ALLOWED["gov_contracts"]) and ("gov_contracts" not in ALLOWED["gov_common"])
