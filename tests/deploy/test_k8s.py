"""The Kubernetes manifests, rendered with kustomize as an operator would, hold what the issue promises.

Every object of every overlay validates, strictly (an unknown field fails), against the Kubernetes JSON
schemas bundled with kubernetes-validate (no network) for the oldest and newest Kubernetes we support;
CloudNativePG objects against the CRDs of the CloudNativePG Go module (module cache, else the Go module
proxy); Strimzi objects against tests/deploy/strimzi-v1beta2.schema.yaml, a hand-written subset, as no
registry ships Strimzi's CRDs. Then the rules that cut across objects: per service the full set of objects,
pods that run as nobody on a read-only file system, only the settings a service reads, secrets only by
reference, NetworkPolicies that open exactly the calls the configuration makes and let outside traffic
reach the gateway alone, a Kafka topic, dead-letter topic and ACL for every event flow of docs/events.md
and the services' subscriptions, and every service logging in to Kafka as its own user over TLS (no
anonymous listener). Last, each service is migrated and started in production mode with exactly the
environment the prod overlay gives it, on the real PostgreSQL and Kafka (its SASL_SSL listener).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import copy
import functools
import importlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import kubernetes_validate
import pytest
import yaml
from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import (
    AclBinding,
    AclBindingFilter,
    AclOperation,
    AclPermissionType,
    AdminClient,
    NewTopic,
    ResourcePatternType,
    ResourceType,
    ScramCredentialInfo,
    ScramMechanism,
    UserScramCredentialUpsertion,
)

from gov_common.bus import DLQ_SUFFIX as DLQ
from gov_common.settings import ServiceSettings
from gov_common.testing import SERVICES, eventually, free_port
from gov_contracts import registry

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy/k8s"
OVERLAYS = ("dev", "prod", "operators")
# The oldest Kubernetes the manifests are meant for (preStop sleep, matchLabelKeys, restricted PSS) and the
# newest whose schemas kubernetes-validate bundles.
KUBERNETES_VERSIONS = ("1.33", "1.37")
CNPG_MODULE = "github.com/cloudnative-pg/cloudnative-pg@v1.27.1"
NAMESPACE = "gov-platform"
CRD_GROUPS = ("postgresql.cnpg.io", "kafka.strimzi.io")
PROCESSES = ["gateway", *SERVICES]
# The web front-ends: each a Deployment with its own database (sessions) and no Kafka, taking traffic from
# outside (the portal from the public ingress, the staff workbench from the government network's only) and
# calling the gateway only.
WEB = ["portal", "workbench"]
# Settings a service refuses to start without in production (each raises at start-up when missing).
REQUIRED_IN_PRODUCTION = {
    "identity": {"IDENTITY_SEALING_KEYS", "IDENTITY_INDEX_KEY"},  # gov_common.crypto.load_keys
    "application": {"APPLICATION_SEALING_KEYS", "APPLICATION_INDEX_KEY"},  # gov_common.crypto.load_keys
    "certificates": {"CERTIFICATES_SEALING_KEYS", "CERTIFICATES_INDEX_KEY"},  # gov_common.crypto.load_keys
    "exchange": {"EXCHANGE_SEALING_KEYS", "EXCHANGE_INDEX_KEY"},  # gov_common.crypto.load_keys
    "hotline": {"HOTLINE_SEALING_KEYS", "HOTLINE_INDEX_KEY"},  # gov_common.crypto.load_keys
}
# Variables that are no setting: read by the image's command, or assembled into GOV_DATABASE_URL.
NOT_SETTINGS = {"SERVICE", "PORT", "FORWARDED_ALLOW_IPS", "DB_HOST", "DB_PORT", "DB_NAME", "DB_USERNAME", "DB_PASSWORD"}
# The Kafka listener the services use: TLS and SCRAM-SHA-512, the only one.
KAFKA_PORT = 9093

Doc = dict[str, Any]


def kustomize() -> str:
    found = os.environ.get("KUSTOMIZE") or shutil.which("kustomize") or str(ROOT / ".var/tools/bin/kustomize")
    if not Path(found).exists():
        pytest.fail("kustomize is missing: `make test` installs it into .var/tools/bin")
    return found


@functools.cache
def build(overlay: str) -> tuple[Doc, ...]:
    out = subprocess.run(
        [kustomize(), "build", str(K8S / "overlays" / overlay)], capture_output=True, text=True, check=True
    ).stdout
    return tuple(doc for doc in yaml.safe_load_all(out) if doc)


@functools.cache
def index(overlay: str) -> dict[tuple[str, str], Doc]:
    return {(d["kind"], d["metadata"]["name"]): d for d in build(overlay)}


def of_kind(overlay: str, kind: str) -> list[Doc]:
    return [d for d in build(overlay) if d["kind"] == kind]


def pod_spec(doc: Doc) -> Doc:
    spec: Doc = doc["spec"]["template"]["spec"]
    return spec


def workloads(overlay: str) -> list[Doc]:
    return [d for d in build(overlay) if d["kind"] in ("Deployment", "Job")]


def environment(overlay: str, doc: Doc) -> dict[str, Any]:
    """A workload's environment as the kubelet builds it: envFrom ConfigMaps, then env (values or refs)."""
    objects = index(overlay)
    container = pod_spec(doc)["containers"][0]
    env: dict[str, Any] = {}
    for source in container.get("envFrom", []):
        assert "configMapRef" in source, "secrets are referenced key by key (secretKeyRef), never whole"
        env.update(objects[("ConfigMap", source["configMapRef"]["name"])]["data"])
    for var in container.get("env", []):
        env[var["name"]] = var.get("value", var.get("valueFrom"))
    return env


def service_of(doc: Doc) -> str:
    name: str = doc["metadata"]["labels"]["app.kubernetes.io/name"]
    return name


# --- schemas ---------------------------------------------------------------------------------------------


def _strict(schema: Any) -> Any:
    """A CRD's structural schema as the API server applies it: unknown fields are errors."""
    if isinstance(schema, list):
        return [_strict(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: _strict(v) for k, v in schema.items()}
    open_ended = "additionalProperties" in out or out.get("x-kubernetes-preserve-unknown-fields")
    if out.get("type") == "object" and "properties" in out and not open_ended:
        out["additionalProperties"] = False
    return out


@functools.cache
def cnpg_schemas() -> dict[tuple[str, str], Doc]:
    crds = os.environ.get("CNPG_CRD_DIR")
    if not crds:
        go = shutil.which("go")
        if go is None:
            pytest.fail("go is missing: it fetches the CloudNativePG CRDs (the Makefile needs it for kustomize too)")
        info = subprocess.run([go, "mod", "download", "-json", CNPG_MODULE], capture_output=True, text=True)
        assert info.returncode == 0, info.stdout + info.stderr
        crds = str(Path(json.loads(info.stdout)["Dir"]) / "config/crd/bases")
    schemas = {}
    for path in Path(crds).glob("postgresql.cnpg.io_*.yaml"):
        crd = yaml.safe_load(path.read_text())
        for version in crd["spec"]["versions"]:
            key = (f"{crd['spec']['group']}/{version['name']}", crd["spec"]["names"]["kind"])
            schemas[key] = _strict(version["schema"]["openAPIV3Schema"])
    assert ("postgresql.cnpg.io/v1", "Cluster") in schemas
    return schemas


@functools.cache
def strimzi_schemas() -> dict[str, Doc]:
    spec = yaml.safe_load((Path(__file__).parent / "strimzi-v1beta2.schema.yaml").read_text())
    return {kind: {"$defs": spec["$defs"], **schema} for kind, schema in spec["kinds"].items()}


def schema_errors(doc: Doc, version: str) -> list[str]:
    group = doc["apiVersion"].split("/")[0]
    if group == "postgresql.cnpg.io":
        schema = cnpg_schemas()[(doc["apiVersion"], doc["kind"])]
        return [f"{list(e.path)}: {e.message}" for e in jsonschema.Draft7Validator(schema).iter_errors(doc)]
    if group == "kafka.strimzi.io":
        schema = strimzi_schemas()[doc["kind"]]
        return [f"{list(e.path)}: {e.message}" for e in jsonschema.Draft202012Validator(schema).iter_errors(doc)]
    try:
        kubernetes_validate.validate(doc, version, strict=True)
    except kubernetes_validate.ValidationError as e:
        return [f"{list(e.path)}: {e.message}"]
    return []


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_object_validates_against_its_schema(overlay: str, version: str) -> None:
    errors = {f"{d['kind']}/{d['metadata']['name']}": schema_errors(d, version) for d in build(overlay)}
    assert {name: errs for name, errs in errors.items() if errs} == {}
    assert len(errors) == len(build(overlay)), "two objects of one kind share a name"


@pytest.mark.parametrize(
    ("kind", "mutate"),
    [
        ("Deployment", lambda d: pod_spec(d)["containers"][0].update(readinessProbes={})),
        ("Cluster", lambda d: d["spec"].update(instance=3)),
        ("Database", lambda d: d["spec"].update(ensure="maybe")),
        ("KafkaTopic", lambda d: d["spec"].update(partition=3)),
        ("KafkaUser", lambda d: d["spec"]["authorization"]["acls"][0].update(operations=["Reed"])),
    ],
)
def test_schema_validation_catches_a_misspelt_field(kind: str, mutate: Any) -> None:
    doc = copy.deepcopy(of_kind("operators", kind)[0])
    mutate(doc)
    assert schema_errors(doc, KUBERNETES_VERSIONS[0])


def test_kubernetes_validate_knows_every_builtin_kind() -> None:
    """kubernetes-validate only warns about a kind it has no schema for; here that is a failure."""
    builtin = {
        (d["apiVersion"], d["kind"]): d
        for overlay in OVERLAYS
        for d in build(overlay)
        if d["apiVersion"].split("/")[0] not in CRD_GROUPS
    }
    assert {kind for _, kind in builtin} >= {"Deployment", "Job", "NetworkPolicy", "HorizontalPodAutoscaler"}
    for doc in builtin.values():
        for version in KUBERNETES_VERSIONS:
            kubernetes_validate.validate(doc, version, strict=True)  # raises SchemaNotFoundError


def test_schema_validation_needs_no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """CI reaches only package registries: the schemas must come from the installed package."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("kubernetes-validate tried to reach the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    for doc in build("prod"):
        for version in KUBERNETES_VERSIONS:
            kubernetes_validate.validate(doc, version, strict=True)


# --- per service -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("overlay", OVERLAYS)
@pytest.mark.parametrize("service", [*PROCESSES, *WEB])
def test_each_service_has_its_objects(overlay: str, service: str) -> None:
    objects = index(overlay)
    name = f"{service}-app"
    deployment = objects[("Deployment", name)]
    assert deployment["metadata"]["namespace"] == NAMESPACE
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    selector = deployment["spec"]["selector"]["matchLabels"]
    assert selector.items() <= labels.items() and selector["app.kubernetes.io/name"] == service
    assert objects[("Service", name)]["spec"]["selector"] == selector
    assert objects[("PodDisruptionBudget", name)]["spec"]["selector"]["matchLabels"] == selector
    hpa = objects[("HorizontalPodAutoscaler", name)]["spec"]
    assert hpa["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": name}
    assert 1 <= hpa["minReplicas"] <= hpa["maxReplicas"]
    assert "replicas" not in deployment["spec"], "the HPA owns the replica count; apply must not reset it"
    assert environment(overlay, deployment)["SERVICE"] == service
    # The Service and the PDB must not take the migration Job's pods for the service's.
    for job in of_kind(overlay, "Job"):
        assert not selector.items() <= job["spec"]["template"]["metadata"]["labels"].items()


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_each_database_service_has_a_migration_job_and_the_gateway_none(overlay: str) -> None:
    jobs = {service_of(j): j for j in of_kind(overlay, "Job")}
    assert set(jobs) == {*SERVICES, *WEB}
    for service, job in jobs.items():
        container = pod_spec(job)["containers"][0]
        assert [*container["command"], *container["args"]] == ["gov-migrate", service]
        assert pod_spec(job)["restartPolicy"] == "Never"
        deployment = index(overlay)[("Deployment", f"{service}-app")]
        # The Job migrates the very database the Deployment uses, with the same image.
        assert environment(overlay, job)["GOV_DATABASE_URL"] == environment(overlay, deployment)["GOV_DATABASE_URL"]
        assert environment(overlay, job)["DB_NAME"] == service
        assert container["image"] == pod_spec(deployment)["containers"][0]["image"]
    pyproject = (ROOT / "libs/common/pyproject.toml").read_text()
    assert 'gov-migrate = "gov_common.cli:migrate_main"' in pyproject


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_pod_is_locked_down(overlay: str) -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    graceful = int(re.search(r"--timeout-graceful-shutdown (\d+)", dockerfile).group(1))  # type: ignore[union-attr]
    for doc in workloads(overlay):
        spec, container = pod_spec(doc), pod_spec(doc)["containers"][0]
        name = f"{doc['kind']}/{doc['metadata']['name']}"
        assert spec["automountServiceAccountToken"] is False, name
        assert spec["securityContext"]["runAsNonRoot"] is True, name
        assert spec["securityContext"]["runAsUser"] >= 1000, name
        assert spec["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}, name
        sc = container["securityContext"]
        assert sc["readOnlyRootFilesystem"] is True and sc["allowPrivilegeEscalation"] is False, name
        assert sc["capabilities"] == {"drop": ["ALL"]}, name
        resources = container["resources"]
        assert {"cpu", "memory"} <= resources["requests"].keys() and "memory" in resources["limits"], name
        volumes = {v["name"]: v for v in spec["volumes"]}
        mounts = {m["mountPath"]: volumes[m["name"]] for m in container["volumeMounts"]}
        assert "emptyDir" in mounts["/tmp"], name
        # Everything the service writes (its data folder, uploads, batches) lies on a mounted volume.
        env = environment(overlay, doc)
        for var, value in env.items():
            if var.endswith("_DIR") and isinstance(value, str):
                assert any(value == m or value.startswith(m.rstrip("/") + "/") for m in mounts), (name, var)
        for volume in volumes.values():
            if "persistentVolumeClaim" in volume:
                assert ("PersistentVolumeClaim", volume["persistentVolumeClaim"]["claimName"]) in index(overlay)
        if doc["kind"] == "Deployment":
            port = container["ports"][0]["name"]
            assert container["startupProbe"]["httpGet"] == {"path": "/healthz", "port": port}, name
            assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": port}, name
            assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": port}, name
            drain = container["lifecycle"]["preStop"]["sleep"]["seconds"]
            assert drain > 0 and spec["terminationGracePeriodSeconds"] > drain + graceful, name


def _settings_class(service: str) -> type[ServiceSettings]:
    if service == "gateway":
        from gateway.settings import GatewaySettings

        return GatewaySettings
    cls: type[ServiceSettings] = importlib.import_module(f"{service}.main").SPEC.settings_cls
    return cls


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_variable_is_a_setting_the_service_reads(overlay: str) -> None:
    """A misspelt or stale variable would be ignored silently (extra="ignore"): none may be set."""
    for doc in workloads(overlay):
        service = service_of(doc)
        cls = _settings_class(service)
        prefix = str(cls.model_config.get("env_prefix", ""))
        known = {f"{prefix}{f}".upper() for f in cls.model_fields} | {
            f"GOV_{f}".upper() for f in ServiceSettings.model_fields
        }
        unknown = set(environment(overlay, doc)) - known - NOT_SETTINGS
        assert unknown == set(), (doc["metadata"]["name"], unknown)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_secrets_are_referenced_never_written(overlay: str) -> None:
    readme = (ROOT / "README.md").read_text().split("## Kubernetes\n")[1].split("\n## ")[0]
    assert of_kind(overlay, "Secret") == []
    for doc in of_kind(overlay, "Deployment"):
        env = environment(overlay, doc)
        service = service_of(doc)
        refs = {name: v["secretKeyRef"] for name, v in env.items() if isinstance(v, dict) and "secretKeyRef" in v}
        for name in env:
            if re.search(r"KEY|SECRET|PASSWORD", name) and not name.endswith("_ID"):
                assert name in refs, f"{service}: {name} must come from a Secret"
        assert REQUIRED_IN_PRODUCTION.get(service, set()) <= refs.keys(), service
        for ref in refs.values():
            assert ref.get("optional") is not True, f"{service}: a missing secret must stop the pod"
            assert ref["name"].startswith(f"{service}-"), ref
            # The README's recipe creates every secret and key the manifests read.
            generic = ref["name"].replace(service, "<service>", 1)
            assert (ref["name"] in readme or generic in readme) and f"`{ref['key']}`" in readme, ref
        if service != "gateway":
            url = env["GOV_DATABASE_URL"]
            assert url == "postgresql+asyncpg://$(DB_USERNAME):$(DB_PASSWORD)@$(DB_HOST):$(DB_PORT)/$(DB_NAME)"
            assert refs["DB_USERNAME"] == {"name": f"{service}-db", "key": "username"}


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_migration_job_gets_the_keys_its_service_seals_with(overlay: str) -> None:
    """A migration that reseals stored values (identity_0010, application_0006, ...) runs in production mode
    and needs the service's keys: the Job references the same key secrets as the Deployment."""
    for doc in of_kind(overlay, "Job"):
        service = service_of(doc)
        deployment = index(overlay)[("Deployment", f"{service}-app")]
        keys = REQUIRED_IN_PRODUCTION.get(service, set())
        job_env, app_env = environment(overlay, doc), environment(overlay, deployment)
        assert {name: job_env.get(name) for name in keys} == {name: app_env[name] for name in keys}, service


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_environment_matches_the_overlay(overlay: str) -> None:
    for doc in of_kind(overlay, "Deployment"):
        env = environment(overlay, doc)
        production = overlay != "dev"
        assert env["GOV_ENVIRONMENT"] == ("production" if production else "development")
        assert env["GOV_DEMO_DATA"] == ("false" if production else "true")
        assert env["GOV_MIGRATE_ON_START"] == "false"
        assert env["GOV_EVENT_BUS"] == "kafka"
        if production:
            assert all(not str(v).startswith("http://127.") for v in env.values())


# --- network -------------------------------------------------------------------------------------------


def _matches(selector: Doc, labels: dict[str, str]) -> bool:
    if not selector.get("matchLabels", {}).items() <= labels.items():
        return False
    for expr in selector.get("matchExpressions", []):
        value = labels.get(expr["key"])
        if expr["operator"] == "In" and value not in expr["values"]:
            return False
        if expr["operator"] == "NotIn" and value in expr["values"]:
            return False
        if expr["operator"] == "Exists" and value is None:
            return False
    return True


Peer = tuple[str, dict[str, str]]  # (namespace, pod labels); namespace None-like "" for an address outside


def _peer_matches(rule_peers: list[Doc] | None, peer: Peer) -> bool:
    if rule_peers is None:
        return True
    namespace, labels = peer
    for p in rule_peers:
        if "ipBlock" in p:
            if namespace == "":
                return True
            continue
        if "namespaceSelector" in p:
            if not namespace or not _matches(p["namespaceSelector"], {"kubernetes.io/metadata.name": namespace}):
                continue
        elif namespace != NAMESPACE:
            continue
        if _matches(p.get("podSelector", {}), labels):
            return True
    return False


def _allowed(policies: list[Doc], direction: str, pod: Peer, peer: Peer, port: int) -> bool:
    """Whether the policies let ``pod`` receive from (Ingress) or send to (Egress) ``peer`` on ``port``."""
    kind, field, peers = {"in": ("Ingress", "ingress", "from"), "out": ("Egress", "egress", "to")}[direction]
    if pod[0] != NAMESPACE:
        return True
    selecting = [p for p in policies if kind in p["spec"]["policyTypes"] and _matches(p["spec"]["podSelector"], pod[1])]
    if not selecting:
        return True
    for policy in selecting:
        for rule in policy["spec"].get(field, []):
            ports = rule.get("ports")
            if ports is not None and not any(p.get("port") == port for p in ports):
                continue
            if _peer_matches(rule.get(peers), peer):
                return True
    return False


def reachable(overlay: str, src: Peer, dst: Peer, port: int) -> bool:
    policies = of_kind(overlay, "NetworkPolicy")
    return _allowed(policies, "out", src, dst, port) and _allowed(policies, "in", dst, src, port)


@functools.cache
def pods(overlay: str) -> dict[str, Peer]:
    """One representative pod per workload: <service> for servers, <service>-migrate for Jobs."""
    found: dict[str, Peer] = {}
    for doc in workloads(overlay):
        suffix = "" if doc["kind"] == "Deployment" else "-migrate"
        found[service_of(doc) + suffix] = (NAMESPACE, doc["spec"]["template"]["metadata"]["labels"])
    return found


OUTSIDE: dict[str, Peer] = {
    "ingress controller": ("ingress-nginx", {"app.kubernetes.io/name": "ingress-nginx"}),
    "government ingress controller": ("ingress-gov", {"app.kubernetes.io/name": "ingress-nginx-gov"}),
    "another namespace": ("elsewhere", {}),
    "an address outside the cluster": ("", {}),
}
POSTGRES: Peer = (NAMESPACE, {"cnpg.io/cluster": "gov-pg", "cnpg.io/instanceRole": "primary"})
KAFKA: Peer = (NAMESPACE, {"strimzi.io/cluster": "gov-kafka", "strimzi.io/kind": "Kafka"})
DNS: Peer = ("kube-system", {"k8s-app": "kube-dns"})


def test_egress_to_the_internet_leaves_out_what_exchange_refuses() -> None:
    """The one policy open to addresses outside the cluster (exchange's webhooks) excludes the private,
    loopback, link-local and carrier-grade NAT ranges, as exchange.webhooks.egress does: both layers agree."""
    import ipaddress

    from exchange.webhooks.egress import non_public

    # One address of each IPv4 range that is not public (RFC 6890's special-purpose ranges, multicast).
    probes = [
        "0.1.2.3", "10.1.1.1", "100.64.1.1", "127.0.0.1", "169.254.169.254", "172.16.1.1", "192.0.0.1",
        "192.0.2.1", "192.168.1.1", "198.18.0.1", "198.51.100.1", "203.0.113.1", "224.0.0.1", "240.0.0.1",
        "255.255.255.255",
    ]  # fmt: skip
    for overlay in OVERLAYS:
        blocks = [
            (policy["metadata"]["name"], peer["ipBlock"])
            for policy in of_kind(overlay, "NetworkPolicy")
            for rule in policy["spec"].get("egress", [])
            for peer in rule.get("to", [])
            if "ipBlock" in peer
        ]
        assert [name for name, _ in blocks] == ["exchange-webhooks-out"], overlay
        for _, block in blocks:
            excluded = [ipaddress.ip_network(cidr) for cidr in block["except"]]
            for probe in probes:
                assert non_public(probe), probe
                assert any(ipaddress.ip_address(probe) in net for net in excluded), (overlay, probe)
            for network in excluded:
                assert non_public(str(network[0])) and non_public(str(network[-1])), network


def expected_calls(overlay: str) -> set[tuple[str, str]]:
    """Who calls whom, read from the configuration the services get: the gateway's upstreams, the JWKS URL
    and every other ``http://<service>-app`` address a service is given."""
    calls = set()
    for doc in of_kind(overlay, "Deployment"):
        source = service_of(doc)
        env = environment(overlay, doc)
        # A service's own variable (PORTAL_JWKS_URL) overrides the shared one (GOV_JWKS_URL): that one is unused.
        own = f"{source.upper()}_"
        shadowed = {"GOV_" + name.removeprefix(own) for name in env if name.startswith(own)}
        for name, value in env.items():
            if name in shadowed:
                continue
            for target in re.findall(r"http://([a-z]+)-app\b", str(value)):
                calls.add((source, target))
    # Identity checks tokens against its own keys in process (identity.signing.LocalJWKS), not by URL.
    return calls - {("identity", "identity")}


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_services_reach_each_other_only_where_the_code_calls(overlay: str) -> None:
    servers = {name: pod for name, pod in pods(overlay).items() if not name.endswith("-migrate")}
    calls = expected_calls(overlay)
    assert {("gateway", s) for s in SERVICES} <= calls
    assert {(s, "identity") for s in SERVICES if s != "identity"} <= calls  # JWKS
    assert ("application", "certificates") in calls and ("certificates", "identity") in calls
    assert {(a, b) for a, b in calls if "portal" in (a, b)} == {("portal", "gateway")}, "the portal: gateway only"
    assert {(a, b) for a, b in calls if "workbench" in (a, b)} == {("workbench", "gateway")}, "gateway only"
    open_paths = {(a, b) for a in servers for b in servers if reachable(overlay, servers[a], servers[b], 8080)}
    assert open_paths == calls


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_only_the_gateway_takes_traffic_from_outside(overlay: str) -> None:
    government = "government ingress controller"
    for name, pod in pods(overlay).items():
        for outsider, peer in OUTSIDE.items():
            allowed = reachable(overlay, peer, pod, 8080)
            if name == "workbench":  # the government network only, in every overlay
                expected = outsider == government
            elif name == "gateway" and outsider == government:  # staff browsers: sign-in pages and /api
                expected = True
            else:
                expected = name in ("gateway", "portal") and (overlay == "dev" or outsider == "ingress controller")
            assert allowed == expected, (name, outsider)
    ingress = of_kind(overlay, "Ingress")
    routes = {
        doc["spec"]["ingressClassName"]: (
            {r["host"] for r in doc["spec"]["rules"]},
            {p["backend"]["service"]["name"] for r in doc["spec"]["rules"] for p in r["http"]["paths"]},
        )
        for doc in ingress
    }
    if overlay != "dev":
        assert routes["nginx"][1] == {"gateway-app", "portal-app"}, "the public ingress never routes to staff pages"
        assert routes["nginx-gov"][1] == {"gateway-app", "workbench-app"}
        assert not routes["nginx"][0] & routes["nginx-gov"][0], "a host of its own"
    assert bool(ingress) == (overlay != "dev")


SCRAPER: Peer = ("monitoring", {"app.kubernetes.io/name": "prometheus"})


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_prometheus_scrapes_every_server_and_nothing_else_from_its_namespace_does(overlay: str) -> None:
    for name, pod in pods(overlay).items():
        assert reachable(overlay, SCRAPER, pod, 8080) == (not name.endswith("-migrate")), name
        if name not in ("gateway", *WEB):  # which take outside traffic anyway (the test above)
            assert not reachable(overlay, ("monitoring", {"app.kubernetes.io/name": "grafana"}), pod, 8080), name
    for doc in of_kind(overlay, "Deployment"):
        annotations = doc["spec"]["template"]["metadata"]["annotations"]
        assert annotations["prometheus.io/scrape"] == "true" and annotations["prometheus.io/path"] == "/metrics"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_egress_is_dns_and_the_data_stores(overlay: str) -> None:
    for name, pod in pods(overlay).items():
        service = name.removesuffix("-migrate")
        migration = name.endswith("-migrate")
        assert reachable(overlay, pod, DNS, 53), name
        assert reachable(overlay, pod, POSTGRES, 5432) == (service != "gateway"), name
        assert reachable(overlay, pod, KAFKA, KAFKA_PORT) == (service not in ("gateway", *WEB) and not migration), name
        assert not reachable(overlay, pod, KAFKA, 9092), name  # Kafka's plaintext port stays shut
        # Only exchange delivers to systems outside (webhooks); nothing else leaves the cluster.
        assert reachable(overlay, pod, OUTSIDE["an address outside the cluster"], 443) == (name == "exchange"), name
        for other in ("another namespace", "ingress controller"):
            assert not reachable(overlay, pod, OUTSIDE[other], 8080), name
        if migration:
            assert not any(reachable(overlay, p, pod, 8080) for p in pods(overlay).values()), name


@pytest.mark.parametrize("overlay", ["dev", "operators"])
def test_the_database_admits_the_services_and_its_operator_only(overlay: str) -> None:
    for name, pod in pods(overlay).items():
        assert reachable(overlay, pod, POSTGRES, 5432) == (name != "gateway"), name
    operator: Peer = ("cnpg-system", {"app.kubernetes.io/name": "cloudnative-pg"})
    assert reachable(overlay, operator, POSTGRES, 8000)
    assert not reachable(overlay, operator, POSTGRES, 5432)
    for peer in OUTSIDE.values():
        assert not reachable(overlay, peer, POSTGRES, 5432)
    # Strimzi writes the Kafka listeners' policies from networkPolicyPeers: the platform's servers only.
    kafka = of_kind(overlay, "Kafka")[0]
    for listener in kafka["spec"]["kafka"]["listeners"]:
        peers = listener["networkPolicyPeers"]
        assert all(_peer_matches(peers, pods(overlay)[s]) for s in SERVICES)
        assert not any(_peer_matches(peers, p) for n, p in pods(overlay).items() if n.endswith("-migrate"))
        assert not any(_peer_matches(peers, p) for p in OUTSIDE.values())


# --- data stores -----------------------------------------------------------------------------------------


def documented_topics() -> dict[str, str]:
    """topic -> publishing service, from the contracts (gov_contracts.registry, which docs/events.md shows)."""
    rows = {event.topic: event.publisher.removeprefix("/svc-") for event in registry.all_events()}
    assert len(rows) >= 8
    return rows


def subscriptions() -> dict[str, dict[str, list[str]]]:
    """service -> consumer group -> topics, from the services' own ServiceSpec."""
    out: dict[str, dict[str, list[str]]] = {}
    for service in SERVICES:
        spec = importlib.import_module(f"{service}.main").SPEC
        out[service] = {s.group: list(s.topics) for s in spec.subscriptions}
    return out


@pytest.mark.parametrize("overlay", ["dev", "operators"])
def test_every_topic_and_its_dead_letter_topic_is_declared(overlay: str) -> None:
    topics = {t["spec"]["topicName"]: t["spec"] for t in of_kind(overlay, "KafkaTopic")}
    documented = documented_topics()
    assert set(topics) == set(documented) | {f"{t}.dlq" for t in documented}
    consumed = {t for groups in subscriptions().values() for ts in groups.values() for t in ts}
    assert consumed <= set(documented)
    pool = of_kind(overlay, "KafkaNodePool")[0]["spec"]
    assert "broker" in pool["roles"] and "controller" in pool["roles"]
    kafka = of_kind(overlay, "Kafka")[0]
    assert kafka["metadata"]["annotations"] == {"strimzi.io/node-pools": "enabled", "strimzi.io/kraft": "enabled"}
    config = kafka["spec"]["kafka"]["config"]
    assert config["auto.create.topics.enable"] is False
    for name, spec in topics.items():
        # A write is acknowledged by min.insync.replicas copies, and one broker may be down (prod).
        assert spec["replicas"] <= pool["replicas"], name
        assert spec["config"]["min.insync.replicas"] <= max(1, spec["replicas"] - 1), name
        # -1 keeps a compacted topic's latest value per key forever (the calendar's years).
        retention = int(spec["config"]["retention.ms"])
        assert retention >= 7 * 24 * 3600 * 1000 or (retention == -1 and spec["config"]["cleanup.policy"] == "compact")
    for doc in [*of_kind(overlay, "KafkaTopic"), *of_kind(overlay, "KafkaUser"), *of_kind(overlay, "KafkaNodePool")]:
        assert doc["metadata"]["labels"]["strimzi.io/cluster"] == kafka["metadata"]["name"]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_each_service_logs_in_to_kafka_as_its_own_user_over_tls(overlay: str) -> None:
    """SCRAM-SHA-512 as <service>-kafka with the password of that user's secret, the brokers' certificate
    checked against a mounted CA; the gateway and the migrations get no Kafka login at all. In the cluster
    overlays no listener takes a client without TLS and a login, and nobody is a super user."""
    ca_secrets = set()
    for doc in workloads(overlay):
        env, service, name = environment(overlay, doc), service_of(doc), doc["metadata"]["name"]
        if doc["kind"] == "Job" or service in ("gateway", *WEB):
            assert not {v for v in env if v.startswith(("GOV_KAFKA_SASL", "GOV_KAFKA_SECURITY"))}, name
            continue
        assert env["GOV_KAFKA_SECURITY_PROTOCOL"] == "SASL_SSL", name
        assert env["GOV_KAFKA_SASL_MECHANISM"] == "SCRAM-SHA-512", name
        assert env["GOV_KAFKA_SASL_USERNAME"] == f"{service}-kafka", name
        assert env["GOV_KAFKA_SASL_PASSWORD"] == {"secretKeyRef": {"name": f"{service}-kafka", "key": "password"}}
        spec = pod_spec(doc)
        volumes = {v["name"]: v for v in spec["volumes"]}
        cafile = Path(env["GOV_KAFKA_SSL_CAFILE"])
        mount = next(m for m in spec["containers"][0]["volumeMounts"] if Path(m["mountPath"]) == cafile.parent)
        secret = volumes[mount["name"]]["secret"]
        assert mount["readOnly"] is True and {"key": "ca.crt", "path": cafile.name} in secret["items"], name
        ca_secrets.add(secret["secretName"])
    bootstrap = environment(overlay, index(overlay)[("Deployment", "catalog-app")])["GOV_KAFKA_BOOTSTRAP_SERVERS"]
    assert bootstrap.rsplit(":", 1)[1] == str(KAFKA_PORT)
    if overlay == "prod":
        # An external Kafka: its CA in the secret the README has the operations team create.
        assert ca_secrets == {"kafka-ca"}
        return
    kafka = of_kind(overlay, "Kafka")[0]
    cluster = kafka["metadata"]["name"]
    assert ca_secrets == {f"{cluster}-cluster-ca-cert"}  # written by Strimzi's Cluster Operator
    listeners = kafka["spec"]["kafka"]["listeners"]
    assert bootstrap == f"{cluster}-kafka-bootstrap:{KAFKA_PORT}" and KAFKA_PORT in {li["port"] for li in listeners}
    for listener in listeners:
        assert listener["tls"] is True and listener["authentication"] == {"type": "scram-sha-512"}, listener
    authorization = kafka["spec"]["kafka"]["authorization"]
    assert authorization["type"] == "simple" and not authorization.get("superUsers")
    users = {u["metadata"]["name"]: u["spec"] for u in of_kind(overlay, "KafkaUser")}
    assert set(users) == {f"{s}-kafka" for s in SERVICES}
    assert all(u["authentication"] == {"type": "scram-sha-512"} for u in users.values())


def test_every_manifest_is_part_of_a_kustomization() -> None:
    """A file no kustomization names is never deployed, and misleads whoever reads it."""
    for path in K8S.rglob("*.yaml"):
        if path.name != "kustomization.yaml":
            assert path.name in (path.parent / "kustomization.yaml").read_text(), path.relative_to(ROOT)


def _acls(user: Doc) -> set[tuple[str, str, str]]:
    return {
        (acl["resource"]["type"], acl["resource"].get("name", ""), op)
        for acl in user["spec"]["authorization"]["acls"]
        for op in acl["operations"]
    }


def test_each_service_is_a_kafka_user_allowed_what_its_code_does() -> None:
    users = {u["metadata"]["name"].removesuffix("-kafka"): u for u in of_kind("operators", "KafkaUser")}
    assert set(users) == set(SERVICES)
    published = {service: {t for t, p in documented_topics().items() if p == service} for service in SERVICES}
    for service, groups in subscriptions().items():
        expected: set[tuple[str, str, str]] = set()
        for topic in published[service]:
            expected |= {("topic", topic, "Write"), ("topic", topic, "Describe")}
        for group, topics in groups.items():
            expected.add(("group", group, "Read"))
            for topic in topics:
                expected |= {("topic", topic, "Read"), ("topic", topic, "Describe")}
                expected |= {("topic", f"{topic}.dlq", "Write"), ("topic", f"{topic}.dlq", "Describe")}
        assert _acls(users[service]) == expected, service


@pytest.mark.parametrize("overlay", ["dev", "operators"])
def test_one_database_and_owner_per_service(overlay: str) -> None:
    cluster = of_kind(overlay, "Cluster")[0]
    roles = {r["name"]: r for r in cluster["spec"]["managed"]["roles"]}
    databases = {d["spec"]["name"]: d["spec"] for d in of_kind(overlay, "Database")}
    assert set(roles) == set(databases) == {*SERVICES, *WEB}
    host = environment(overlay, index(overlay)[("Deployment", "catalog-app")])["DB_HOST"]
    assert host == f"{cluster['metadata']['name']}-rw"
    for service in [*SERVICES, *WEB]:
        assert databases[service]["owner"] == service
        assert databases[service]["cluster"] == {"name": cluster["metadata"]["name"]}
        # The role's password is the secret the service's URL is assembled from.
        assert roles[service]["passwordSecret"] == {"name": f"{service}-db"} and roles[service]["login"] is True
        env = environment(overlay, index(overlay)[("Deployment", f"{service}-app")])
        assert env["DB_NAME"] == service and env["DB_USERNAME"]["secretKeyRef"]["name"] == f"{service}-db"
    if overlay == "operators":
        assert cluster["spec"]["instances"] >= 3 and cluster["spec"]["postgresql"]["synchronous"]["number"] >= 1


def test_prod_spreads_replicas_and_dev_stays_small() -> None:
    for doc in of_kind("prod", "Deployment"):
        spread = pod_spec(doc)["topologySpreadConstraints"]
        assert {c["topologyKey"] for c in spread} == {"topology.kubernetes.io/zone", "kubernetes.io/hostname"}
        assert all("app.kubernetes.io/name" in c["matchLabelKeys"] for c in spread)
    assert all(h["spec"]["minReplicas"] >= 3 for h in of_kind("prod", "HorizontalPodAutoscaler"))
    assert all(h["spec"]["minReplicas"] == 1 for h in of_kind("dev", "HorizontalPodAutoscaler"))
    assert of_kind("dev", "KafkaNodePool")[0]["spec"]["replicas"] == 1
    assert of_kind("dev", "Cluster")[0]["spec"]["instances"] == 1
    assert all(p["spec"]["maxUnavailable"] == 1 for p in of_kind("dev", "PodDisruptionBudget"))


# --- image -----------------------------------------------------------------------------------------------


def dockerfile_stages() -> list[tuple[str, list[str]]]:
    """(stage name, instructions) of the Dockerfile, continuation lines joined."""
    text = re.sub(r"\\\n\s*", " ", (ROOT / "Dockerfile").read_text())
    stages: list[tuple[str, list[str]]] = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.upper().startswith("FROM "):
            stages.append((line.split(" AS ")[-1].strip() if " AS " in line else "", []))
        elif stages:
            stages[-1][1].append(line)
    return stages


def test_the_image_is_built_in_stages_and_runs_as_nobody() -> None:
    stages = dockerfile_stages()
    assert [name for name, _ in stages] == ["build", "runtime"]
    build_steps, runtime = stages[0][1], stages[1][1]
    makefile = (ROOT / "Makefile").read_text()
    uv_version = re.search(r"^UV_VERSION := (\S+)", makefile, re.M).group(1)  # type: ignore[union-attr]
    assert f"RUN pip install --no-cache-dir uv=={uv_version}" in build_steps
    syncs = [s for s in build_steps if "uv sync" in s]
    assert syncs and all("--frozen" in s and "--no-dev" in s for s in syncs)
    # Every workspace member is in the image, and the CMD can start each of them.
    copied = " ".join(s for s in build_steps if s.startswith("COPY"))
    for member in ["libs/common", "libs/web", "gateway", *(f"svc-{s}" for s in SERVICES), *WEB]:
        assert f"COPY {member}/pyproject.toml" in copied and re.search(rf"COPY {member.split('/')[0]} ", copied), member
    cmd = json.loads(next(s for s in runtime if s.startswith("CMD")).removeprefix("CMD"))
    assert cmd[:2] == ["sh", "-c"] and cmd[2].startswith("exec uvicorn ")
    assert '"${SERVICE}.main:create_app" --factory' in cmd[2]
    for service in [*PROCESSES, *WEB]:
        assert callable(importlib.import_module(f"{service}.main").create_app)
    # The runtime stage: the venv and code from the build stage, no uv or compilers, a numeric non-root user.
    user = [s for s in runtime if s.startswith("USER ")]
    assert user == ["USER 10001:10001"]
    assert runtime[-1].startswith("CMD") and runtime.index(user[0]) > max(
        i for i, s in enumerate(runtime) if s.startswith(("RUN", "COPY"))
    )
    assert "COPY --from=build /app /app" in runtime
    assert not any(re.search(r"\b(uv|pip install|apt-get install|gcc|build-essential)\b", s) for s in runtime)
    assert not re.search(
        r"(?i)(secret|password|_key)\s*=", " ".join(s for s in runtime if s.startswith(("ENV", "ARG")))
    )
    env = " ".join(s for s in runtime if s.startswith("ENV"))
    assert "GOV_MIGRATE_ON_START=false" in env and "GOV_ENVIRONMENT=production" in env
    # The Deployments run as the image's user.
    for overlay in OVERLAYS:
        assert {pod_spec(d)["securityContext"]["runAsUser"] for d in workloads(overlay)} == {10001}


def test_idle_connections_outlive_every_callers_idle_timeout() -> None:
    """A server that closes an idle connection while its caller still counts it as reusable drops the
    caller's next request unanswered (a 502 at the ingress, a transport error in a client). So each process
    keeps idle connections longer than ingress-nginx keeps upstream ones (60 s) and than httpx clients do
    (5 s), and the gateway's pool lets its upstream connections go before the services would; ``make run``
    and the end-to-end tests start the processes alike."""
    from gateway.settings import GatewaySettings

    keep_alive = float(image_env()["KEEP_ALIVE_SECONDS"])
    assert keep_alive > 60 and keep_alive > httpx.Limits().keepalive_expiry  # type: ignore[operator]
    cmd = json.loads(next(s for _, steps in dockerfile_stages() for s in steps if s.startswith("CMD"))[3:])
    assert '--timeout-keep-alive "${KEEP_ALIVE_SECONDS}"' in cmd[2]
    assert GatewaySettings().upstream_keepalive_seconds < keep_alive
    launcher = (ROOT / "scripts/run.py").read_text()
    assert re.search(r'"--timeout-keep-alive", "(\d+)"', launcher).group(1) == str(int(keep_alive))  # type: ignore[union-attr]


def test_the_build_context_leaves_out_local_data_and_keys() -> None:
    ignored = {line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()}
    assert {".git", ".var", ".venv", "**/__pycache__"} <= ignored
    for needed in ("uv.lock", "pyproject.toml", "libs", "gateway", *(f"svc-{s}" for s in SERVICES)):
        assert needed not in ignored


# --- the environment starts the services -----------------------------------------------------------------


def _secret_value(key: str) -> str:
    """A fresh value in the format the README's recipe makes."""
    raw = secrets.token_bytes(32)
    if key == "sealing-keys":  # a key ring: key id -> key
        return json.dumps({"2026": base64.b64encode(raw).decode()})
    return base64.b64encode(raw).decode()


def image_env() -> dict[str, str]:
    """The runtime stage's ENV (``ENV A=1 B=2`` lines; values without spaces), PATH left out."""
    env: dict[str, str] = {}
    for step in dict(dockerfile_stages())["runtime"]:
        if step.startswith("ENV "):
            env |= dict(pair.split("=", 1) for pair in step.removeprefix("ENV ").split())
    env.pop("PATH", None)
    return env


def _container_env(overlay: str, doc: Doc, local: dict[str, str]) -> dict[str, str]:
    """What the container gets: the image's ENV, then what the kubelet passes (envFrom, then env with
    $(VAR) expanded and secrets filled in), with the cluster's addresses (``local``) replaced by the test
    servers'."""
    container = pod_spec(doc)["containers"][0]
    env = image_env() | {k: v for k, v in environment(overlay, doc).items() if isinstance(v, str)} | local
    for var in container.get("env", []):
        if var["name"] in local:
            env[var["name"]] = local[var["name"]]
        elif "value" in var:
            env[var["name"]] = re.sub(r"\$\((\w+)\)", lambda m: env[m.group(1)], var["value"])
        else:
            env[var["name"]] = _secret_value(var["valueFrom"]["secretKeyRef"]["key"])
    return env


def _kafka_login(env: dict[str, Any]) -> dict[str, str]:
    """The test broker's SASL_SSL listener, user and CA (scripts/infra.sh) in place of the cluster's, for
    the variables the workload has."""
    swap = {
        "GOV_KAFKA_BOOTSTRAP_SERVERS": "GOV_TEST_KAFKA_SASL_SSL_BOOTSTRAP",
        "GOV_KAFKA_SASL_USERNAME": "GOV_TEST_KAFKA_SASL_USERNAME",
        "GOV_KAFKA_SASL_PASSWORD": "GOV_TEST_KAFKA_SASL_PASSWORD",
        "GOV_KAFKA_SSL_CAFILE": "GOV_TEST_KAFKA_SSL_CAFILE",
    }
    missing = [test for test in swap.values() if not os.environ.get(test)]
    if missing:
        pytest.fail(f"{', '.join(missing)} not set: run the tests with `make test` (`scripts/infra.sh env`)")
    return {var: os.environ[test] for var, test in swap.items() if var in env}


@pytest.mark.postgres
@pytest.mark.kafka
@pytest.mark.parametrize("service", [*PROCESSES, *WEB])
async def test_the_prod_environment_starts_each_service(
    service: str, pg_admin_dsn: str, kafka_bootstrap: str, tmp_path: Path
) -> None:
    """The migration Job's command, then the image's CMD, each with exactly the variables the prod overlay
    gives (the cluster's addresses swapped for the test servers', volumes for folders): the service starts
    in production mode, logs in to Kafka over SASL_SSL as a user holding exactly its KafkaUser's ACLs, turns
    ready (its consumers, relay and lag reader working), and stops cleanly on SIGTERM. A setting that
    production requires and the manifests lack, or a grant its code needs and the overlay lacks, fails
    here."""
    from sqlalchemy.engine import make_url

    from gov_common.testing import fresh_pg_database

    deployment = index("prod")[("Deployment", f"{service}-app")]
    cls = _settings_class(service)
    prefix = str(cls.model_config.get("env_prefix", ""))
    # Consumed topics: fresh ones, so that nothing here reads another test's events.
    fresh = {f: f"test.{secrets.token_hex(6)}" for f in cls.model_fields if f.endswith("_topic")}
    topics = {f"{prefix}{f}".upper(): name for f, name in fresh.items()}
    renamed = {cls.model_fields[f].default: name for f, name in fresh.items()}
    kafka = _kafka_login(environment("prod", deployment))
    if "GOV_KAFKA_SASL_USERNAME" in kafka:
        user, password, _ = kafka_user_of(service, kafka_bootstrap, lambda topic: renamed.get(topic, topic))
        kafka |= {"GOV_KAFKA_SASL_USERNAME": user, "GOV_KAFKA_SASL_PASSWORD": password}
    bin_dir = str(Path(sys.executable).parent)
    async with fresh_pg_database(pg_admin_dsn) as url:
        db = make_url(url)
        local = {
            "PATH": f"{bin_dir}:{os.environ['PATH']}",
            "PORT": str(free_port()),
            "FORWARDED_ALLOW_IPS": "127.0.0.1",
            **kafka,
            "DB_HOST": str(db.host),
            "DB_PORT": str(db.port),
            "DB_NAME": str(db.database),
            "DB_USERNAME": str(db.username),
            "DB_PASSWORD": str(db.password),
            **topics,
        }
        env = _container_env("prod", deployment, local)
        for name, value in list(env.items()):
            if value.startswith("/var/lib/gov"):
                env[name] = str(tmp_path / value.removeprefix("/"))
                Path(env[name]).mkdir(parents=True, exist_ok=True)
        assert env["GOV_ENVIRONMENT"] == "production"
        if service != "gateway":
            job = index("prod")[("Job", f"{service}-migrate")]
            container = pod_spec(job)["containers"][0]
            # The Job's own environment, with the same secret values as the Deployment's.
            # (The Job never reaches Kafka: none of the test broker's login.)
            job_local = {name: value for name, value in local.items() if name not in kafka}
            job_env = _container_env("prod", job, job_local) | {
                name: env[name] for name in REQUIRED_IN_PRODUCTION.get(service, set())
            }
            job_env |= {
                name: value
                for name, value in env.items()
                if name in job_env and name != "PATH" and value.startswith(str(tmp_path))
            }
            migrate = subprocess.run(
                [*container["command"], *container["args"]], env=job_env, cwd=tmp_path, capture_output=True, text=True
            )
            assert migrate.returncode == 0, migrate.stderr[-2000:]
        cmd = json.loads(next(s for _, steps in dockerfile_stages() for s in steps if s.startswith("CMD"))[3:])
        log = (tmp_path / "service.log").open("w")
        proc = await asyncio.create_subprocess_exec(*cmd, env=env, cwd=tmp_path, stdout=log, stderr=log)
        try:
            ready = 0
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{env['PORT']}", timeout=5) as client:
                for _ in range(240):
                    if proc.returncode is not None:
                        break
                    with contextlib.suppress(httpx.TransportError):
                        ready = (await client.get("/readyz")).status_code
                        if ready == 200:
                            break
                    await asyncio.sleep(0.5)
            assert ready == 200, (tmp_path / "service.log").read_text()[-3000:]
            # Readiness does not wait for the consumer groups (the API serves without them): their first
            # join and fetch, a moment later, must not be refused by the broker either.
            await asyncio.sleep(3)
            assert "AuthorizationFailed" not in (tmp_path / "service.log").read_text()
        finally:
            if proc.returncode is None:
                proc.send_signal(signal.SIGTERM)
            code = await asyncio.wait_for(proc.wait(), timeout=60)
            log.close()
        # uvicorn shuts down gracefully, then re-raises the SIGTERM it caught (exit status 143 to Kubernetes).
        logged = (tmp_path / "service.log").read_text()
        assert code in (0, -signal.SIGTERM) and "Application shutdown complete" in logged, logged[-3000:]


# --- each service's Kafka ACLs on a real broker ----------------------------------------------------------


class KafkaAdmin:
    """The test broker's super user (its PLAINTEXT listener) through confluent-kafka's admin client: topics,
    SCRAM users and ACLs, which aiokafka's admin cannot make."""

    def __init__(self, bootstrap: str) -> None:
        self.client = AdminClient({"bootstrap.servers": bootstrap})

    def enforces_acls(self) -> bool:
        any_acl = AclBindingFilter(
            ResourceType.ANY, None, ResourcePatternType.ANY, None, None, AclOperation.ANY, AclPermissionType.ANY
        )
        try:
            self.client.describe_acls(any_acl).result(timeout=30)
        except KafkaException as exc:
            if "SECURITY_DISABLED" in str(exc):
                return False
            raise
        return True

    def create_topics(self, names: set[str]) -> None:
        futures = self.client.create_topics([NewTopic(n, num_partitions=3, replication_factor=1) for n in names])
        for future in futures.values():
            try:
                future.result(timeout=30)
            except KafkaException as exc:
                if exc.args[0].code() != KafkaError.TOPIC_ALREADY_EXISTS:
                    raise

    def create_user(self, name: str, password: str) -> None:
        info = ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 8192)
        futures = self.client.alter_user_scram_credentials(
            [UserScramCredentialUpsertion(name, info, password.encode())]
        )
        for future in futures.values():
            future.result(timeout=30)

    def allow(self, principal: str, grants: set[tuple[str, str, str]]) -> None:
        """ALLOW ACLs, each (Strimzi resource type, literal name, operation) as a KafkaUser writes them."""
        kinds = {"topic": ResourceType.TOPIC, "group": ResourceType.GROUP}  # all a KafkaUser of ours names
        bindings = [
            AclBinding(
                kinds[kind],
                name,
                ResourcePatternType.LITERAL,
                f"User:{principal}",
                "*",
                AclOperation[operation.upper()],
                AclPermissionType.ALLOW,
            )
            for kind, name, operation in sorted(grants)
        ]
        for future in self.client.create_acls(bindings).values():
            future.result(timeout=30)


def kafka_user_of(
    service: str,
    kafka_bootstrap: str,
    rename: Callable[[str], str],
    others: tuple[set[str], set[str]] = (set(), set()),
    rename_group: Callable[[str], str] = lambda group: group,
) -> tuple[str, str, set[tuple[str, str, str]]]:
    """A fresh SCRAM-SHA-512 user on the test broker holding exactly the ACLs of ``service``'s KafkaUser in
    the operators overlay, its topic names passed through ``rename``: (user, password, the grants). The
    granted topics and ``others[0]`` are created; every granted topic and group and ``others`` are closed to
    the rest, as on the production cluster (the test broker leaves a resource nobody holds an ACL on open,
    allow.everyone.if.no.acl.found, so that the other tests need no grants)."""
    admin = KafkaAdmin(kafka_bootstrap)
    if not admin.enforces_acls():
        pytest.fail(f"the broker at {kafka_bootstrap} enforces no ACLs: start it with scripts/infra.sh up")
    user_doc = next(u for u in of_kind("operators", "KafkaUser") if u["metadata"]["name"] == f"{service}-kafka")
    granted: set[tuple[str, str, str]] = set()
    for kind, name, operation in _acls(user_doc):
        if kind == "topic":
            name = rename(name.removesuffix(DLQ)) + (DLQ if name.endswith(DLQ) else "")
        elif kind == "group":
            name = rename_group(name)
        granted.add((kind, name, operation))
    topics = {name for kind, name, _ in granted if kind == "topic"} | others[0]
    groups = {name for kind, name, _ in granted if kind == "group"} | others[1]
    admin.create_topics(topics)
    admin.allow("someone-else", {("topic", t, "Describe") for t in topics} | {("group", g, "Read") for g in groups})
    principal, password = f"{rename(service)}-{secrets.token_hex(3)}", secrets.token_urlsafe(18)
    admin.create_user(principal, password)
    admin.allow(principal, granted)
    return principal, password, granted


@pytest.mark.kafka
@pytest.mark.parametrize("service", SERVICES)
async def test_each_kafka_user_may_do_what_its_service_does_and_no_more(service: str, kafka_bootstrap: str) -> None:
    """The operators overlay's KafkaUser of ``service``, granted on the real broker (which enforces ACLs as
    the production cluster does; scripts/infra.sh) to a fresh SCRAM user: through the bus, over SASL, that
    user passes the readiness ping, publishes to the service's own topics, consumes its subscriptions in its
    consumer groups, dead-letters a poisoned event and reads its lag. It may not write a topic it only reads,
    read or write a topic it was not given, or join a group it was not given. Topic names carry a prefix of
    this run, and so do consumer groups (the grants are renamed alike), so nothing here touches the
    platform's own topics or groups."""
    from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
    from aiokafka.errors import GroupAuthorizationFailedError, TopicAuthorizationFailedError

    from gov_common.bus import Delivery, RetryPolicy, create_bus
    from gov_common.events import CloudEvent

    run = f"acl{secrets.token_hex(4)}."
    foreign_topic, foreign_group = f"{run}someone.elses", f"{run}someone-elses-group"
    principal, password, granted = kafka_user_of(
        service,
        kafka_bootstrap,
        lambda topic: f"{run}{topic}",
        others=({foreign_topic}, {foreign_group}),
        rename_group=lambda group: f"{run}{group}",
    )
    own = sorted(n for k, n, op in granted if k == "topic" and op == "Write" and not n.endswith(DLQ))
    groups = {f"{run}{group}": [f"{run}{t}" for t in topics] for group, topics in subscriptions()[service].items()}
    consumed = sorted({t for topics in groups.values() for t in topics})
    sasl = os.environ.get("GOV_TEST_KAFKA_SASL_BOOTSTRAP") or pytest.fail("GOV_TEST_KAFKA_SASL_BOOTSTRAP not set")

    login = {
        "event_bus": "kafka",
        "kafka_bootstrap_servers": sasl,
        "kafka_security_protocol": "SASL_PLAINTEXT",
        "kafka_sasl_mechanism": "SCRAM-SHA-512",
        "kafka_sasl_username": principal,
        "kafka_sasl_password": password,
    }
    bus = create_bus(ServiceSettings(service_name=service, **login))
    feeder = create_bus(
        ServiceSettings(service_name="acl-feeder", event_bus="kafka", kafka_bootstrap_servers=kafka_bootstrap)
    )
    handled: list[tuple[str, str]] = []

    async def handler(event: CloudEvent, delivery: Delivery) -> None:
        if event.data.get("poison"):
            raise ValueError("poisoned on purpose")
        handled.append((delivery.group, delivery.topic))

    def event(**data: Any) -> CloudEvent:
        return CloudEvent(type="test.acl.checked", source="/tests/deploy", subject="acl", data=data)

    consumers = [
        bus.consumer(group=g, topics=t, handler=handler, policy=RetryPolicy(max_attempts=1)) for g, t in groups.items()
    ]
    try:

        async def pinged() -> bool:  # a SCRAM user may take a moment to reach every listener
            try:
                await bus.ping()
            except Exception:
                return False
            return True

        await eventually(pinged, "the new user's login")
        for topic in own:
            await bus.publish(topic, [event(n=1)])
        await feeder.start()
        for topic in consumed:
            await feeder.publish(topic, [event(n=1), event(poison=True)])
        for consumer in consumers:
            await consumer.start()
        expected = sorted((g, t) for g, topics in groups.items() for t in topics)

        async def all_handled() -> bool:
            return sorted(handled) == expected and sum(c.stats.dead_lettered for c in consumers) == len(expected)

        await eventually(all_handled, f"{service}'s consumers and dead letters")

        async def caught_up() -> bool:
            lags = [await bus.lag(g, t) for g, t in groups.items()]
            return all(lag and not any(lag.values()) for lag in lags)

        await eventually(caught_up, "zero lag read by the service's user")

        # What it was not given is refused by the broker.
        producer = AIOKafkaProducer(**bus.connection, enable_idempotence=True, acks="all")
        await producer.start()
        try:
            for topic in [*consumed, foreign_topic]:
                with pytest.raises(TopicAuthorizationFailedError):
                    await asyncio.wait_for(producer.send_and_wait(topic, b"x"), timeout=30)
        finally:
            await producer.stop()
        intruders = [
            (
                AIOKafkaConsumer(foreign_topic, **bus.connection, group_id=next(iter(groups), None)),
                TopicAuthorizationFailedError,
            ),
            (
                AIOKafkaConsumer(*(consumed or own), **bus.connection, group_id=foreign_group),
                GroupAuthorizationFailedError,
            ),
        ]
        for intruder, refusal in intruders:
            try:
                with pytest.raises(refusal):  # at start (metadata) or at the first fetch
                    await intruder.start()
                    await asyncio.wait_for(intruder.getmany(timeout_ms=20000), timeout=30)
            finally:
                await intruder.stop()
    finally:
        for consumer in consumers:
            await consumer.stop()
        await bus.stop()
        await feeder.stop()

    # The poisoned events went to the dead-letter topics, with the group that gave up on them.
    if not consumed:
        return
    reader = AIOKafkaConsumer(
        *(f"{t}{DLQ}" for t in consumed), bootstrap_servers=kafka_bootstrap, auto_offset_reset="earliest"
    )
    await reader.start()
    letters: list[Any] = []
    try:
        for _ in range(60):
            if len(letters) >= len(expected):
                break
            for records in (await reader.getmany(timeout_ms=500)).values():
                letters.extend(records)
    finally:
        await reader.stop()
    assert sorted((dict(m.headers)["dlq_group"].decode(), m.topic.removesuffix(DLQ)) for m in letters) == expected
