"""The Kubernetes manifests, built with kustomize as an operator would, hold what ARCHITECTURE.md promises:
per service a Deployment with probes, a Service, an HPA, a PDB and a migration Job; only the gateway open."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from gov_common.testing import SERVICES

ROOT = Path(__file__).resolve().parents[2]


def kustomize() -> str:
    found = os.environ.get("KUSTOMIZE") or shutil.which("kustomize") or str(ROOT / ".var/tools/bin/kustomize")
    if not Path(found).exists():
        pytest.fail("kustomize is missing: `make test` installs it into .var/tools/bin")
    return found


def build(overlay: str) -> list[dict[str, Any]]:
    out = subprocess.run(
        [kustomize(), "build", str(ROOT / "deploy/k8s" / overlay)], capture_output=True, text=True, check=True
    ).stdout
    return [doc for doc in yaml.safe_load_all(out) if doc]


@pytest.fixture(scope="module")
def production() -> dict[tuple[str, str], dict[str, Any]]:
    return {(d["kind"], d["metadata"]["name"]): d for d in build("overlays/production")}


@pytest.mark.parametrize("service", [*SERVICES, "gateway"])
def test_each_service_has_its_workload(production: dict[tuple[str, str], dict[str, Any]], service: str) -> None:
    name = f"{service}-app"
    deployment = production[("Deployment", name)]
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    env = {e["name"]: e["value"] for e in container["env"]}
    assert env["SERVICE"] == service
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert deployment["metadata"]["namespace"] == "gov-platform"
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert deployment["spec"]["selector"]["matchLabels"].items() <= labels.items()
    assert production[("Service", name)]["spec"]["selector"].items() <= labels.items()
    assert production[("PodDisruptionBudget", name)]["spec"]["selector"]["matchLabels"].items() <= labels.items()
    assert production[("HorizontalPodAutoscaler", name)]["spec"]["scaleTargetRef"]["name"] == name
    secrets = [e["secretRef"]["name"] for e in container["envFrom"] if "secretRef" in e]
    assert secrets == [f"{service}-secrets"]


@pytest.mark.parametrize("service", SERVICES)
def test_each_database_service_has_a_migration_job(
    production: dict[tuple[str, str], dict[str, Any]], service: str
) -> None:
    job = production[("Job", f"{service}-migrate")]
    assert job["spec"]["template"]["spec"]["containers"][0]["command"] == ["gov-migrate", service]


def test_gateway_is_the_only_open_door(production: dict[tuple[str, str], dict[str, Any]]) -> None:
    policies = {name: doc for (kind, name), doc in production.items() if kind == "NetworkPolicy"}
    assert policies["default-deny-ingress"]["spec"] == {"podSelector": {}, "policyTypes": ["Ingress"]}
    open_rules = [
        doc["spec"]["podSelector"]
        for doc in policies.values()
        for rule in doc["spec"].get("ingress", [])
        if "from" not in rule
    ]
    assert open_rules == [{"matchLabels": {"app.kubernetes.io/name": "gateway"}}]
    assert ("Job", "gateway-migrate") not in production
    ingress = production[("Ingress", "gov-platform")]
    assert ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]["name"] == "gateway-app"


def test_operators_overlay_declares_one_database_per_service() -> None:
    docs = build("overlays/operators")
    databases = {d["spec"]["name"] for d in docs if d["kind"] == "Database"}
    initial = next(d for d in docs if d["kind"] == "Cluster")["spec"]["bootstrap"]["initdb"]["database"]
    assert databases | {initial} == set(SERVICES)
    assert any(d["kind"] == "Kafka" for d in docs)
