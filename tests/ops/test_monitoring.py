"""deploy/monitoring: the alert rules pass promtool's unit tests (each alert fires on a series that should
wake someone and stays silent on a healthy one), every alert names a runbook that exists, and every query
of the rules and of the dashboards reads only series that the services really export (checked against a
running service's /metrics) or that CloudNativePG and the kubelet export."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

ROOT = Path(__file__).resolve().parents[2]
MONITORING = ROOT / "deploy" / "monitoring"
RUNBOOKS = ROOT / "docs" / "ops"
# Series from outside the platform's code, with the exporter that provides each.
EXTERNAL = {
    "cnpg_backends_total": "CloudNativePG",
    "cnpg_pg_settings_setting": "CloudNativePG",
    "cnpg_collector_last_available_backup_timestamp": "CloudNativePG",
    "kubelet_volume_stats_available_bytes": "kubelet",
    "kubelet_volume_stats_capacity_bytes": "kubelet",
}
PROMQL_WORDS = {
    "by", "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless", "bool", "offset",
    "inf", "nan",
}  # fmt: skip


def promtool() -> str:
    found = os.environ.get("PROMTOOL") or shutil.which("promtool") or str(ROOT / ".var/tools/bin/promtool")
    if not Path(found).exists():
        pytest.fail("promtool is missing: `make test` builds it into .var/tools/bin")
    return str(Path(found).resolve())  # it runs in a scratch folder


def rule_groups() -> list[dict[str, Any]]:
    doc = yaml.safe_load((MONITORING / "alerts.yaml").read_text())
    assert doc["apiVersion"] == "monitoring.coreos.com/v1" and doc["kind"] == "PrometheusRule"
    groups: list[dict[str, Any]] = doc["spec"]["groups"]
    return groups


def alerts() -> list[dict[str, Any]]:
    return [rule for group in rule_groups() for rule in group["rules"] if "alert" in rule]


# --- the series the platform exports ----------------------------------------------------------------------

_INSTRUMENT = re.compile(
    r"""(create_(counter|histogram|up_down_counter|observable_gauge)|SampledGauge)\(\s*"([a-z0-9_.]+)"([^)]*)\)""",
    re.S,
)


def exported_by_code() -> set[str]:
    """Every series name the OpenTelemetry instruments in our code export to Prometheus (dots to
    underscores, the unit "s" as ``_seconds``, counters ``_total``, histograms ``_bucket``/``_count``/``_sum``)."""
    names: set[str] = set()
    sources = [ROOT / "libs/common/src", ROOT / "gateway/src", *sorted(ROOT.glob("svc-*/src"))]
    for src in sources:
        for path in src.rglob("*.py"):
            for match in _INSTRUMENT.finditer(path.read_text(encoding="utf-8")):
                kind, name, rest = match.group(2) or "gauge", match.group(3).replace(".", "_"), match.group(4)
                if re.search(r'unit="s"', rest):
                    name += "_seconds"
                if kind == "counter":
                    names.add(name + "_total")
                elif kind == "histogram":
                    names |= {name + "_bucket", name + "_count", name + "_sum"}
                else:
                    names.add(name)
    return names


@pytest.fixture(scope="module")
def exported() -> set[str]:
    return exported_by_code()


async def test_the_names_derived_from_the_code_are_what_a_service_serves(tmp_path: Path, exported: set[str]) -> None:
    """The derivation above against a real service's /metrics: every platform series it serves after a
    request and a database round trip is in the derived set, so a renamed metric fails here."""
    from application.main import create_app
    from application.settings import Settings
    from gov_common.testing import serve_lifespan

    app = create_app(Settings(data_dir=tmp_path, environment="test", log_json=False))
    async with serve_lifespan(app) as client:
        assert (await client.get("/readyz")).status_code == 200
        assert (await client.get("/v1/no-such-route")).status_code in (401, 404)
        body = (await client.get("/metrics")).text
    served = {s.name for f in text_string_to_metric_families(body) for s in f.samples}
    ours = {n for n in served if n.startswith(("gov_", "db_client_"))}
    assert {"gov_http_server_request_duration_seconds_count", "db_client_connections_usage"} <= ours
    assert ours - exported == set(), "served but not derived from the code"
    assert "gov_outbox_published_events_total" in exported and "gov_events_consumer_lag" in exported


def metric_names(expr: str) -> set[str]:
    """The series names a PromQL expression reads (not functions, keywords, labels or numbers)."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)  # strings
    text = re.sub(r"\{[^}]*\}", "", text)  # label matchers
    text = re.sub(r"\[[^\]]*\]", "", text)  # ranges
    text = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", text)  # label lists
    names = set()
    for m in re.finditer(r"(?<![\w$.])([a-zA-Z_:][a-zA-Z0-9_:]*)\b(\s*\()?", text):
        word, call = m.group(1), m.group(2)
        if call or word.lower() in PROMQL_WORDS:
            continue
        names.add(word)
    return names


def test_metric_names_are_found_in_promql() -> None:
    expr = 'sum by (service) (rate(a_total{x="b"}[5m])) / on (service) max(b_c) > 0.5 unless time() - c > 3'
    assert metric_names(expr) == {"a_total", "b_c", "c"}


# --- alerts ------------------------------------------------------------------------------------------------


def test_every_alert_reads_only_exported_series(exported: set[str]) -> None:
    for rule in alerts():
        unknown = metric_names(rule["expr"]) - exported - EXTERNAL.keys()
        assert unknown == set(), (rule["alert"], unknown)


def test_every_alert_has_a_severity_a_summary_and_a_runbook_that_exists() -> None:
    runbook = (RUNBOOKS / "alerts.md").read_text(encoding="utf-8")
    anchors = {
        re.sub(r"[^a-z0-9 -]", "", h.strip().lower()).replace(" ", "-") for h in re.findall(r"^#+ (.+)$", runbook, re.M)
    }
    names = [rule["alert"] for rule in alerts()]
    assert len(names) == len(set(names)) >= 15
    for rule in alerts():
        assert rule["labels"]["severity"] in ("critical", "warning"), rule["alert"]
        assert rule["annotations"]["summary"], rule["alert"]
        url = rule["annotations"]["runbook_url"]
        assert url == f"docs/ops/alerts.md#{rule['alert'].lower()}", url
        assert rule["alert"].lower() in anchors, f"docs/ops/alerts.md has no section {rule['alert']}"
        section = runbook.split(f"## {rule['alert']}\n")[1].split("\n## ")[0]
        assert "```" in section and "After" in section, f"{rule['alert']}: the runbook names commands and checks"


def test_each_alert_is_tested_firing_and_silent() -> None:
    tests = yaml.safe_load((MONITORING / "alerts.test.yaml").read_text())["tests"]
    fired: set[str] = set()
    silent: set[str] = set()
    for case in tests:
        for check in case["alert_rule_test"]:
            (fired if check["exp_alerts"] else silent).add(check["alertname"])
    names = {rule["alert"] for rule in alerts()}
    assert names - fired == set(), "alerts never shown to fire"
    assert names - silent == set(), "alerts never shown to stay silent"


def test_promtool_checks_the_rules_and_runs_their_tests(tmp_path: Path) -> None:
    (tmp_path / "rules.yaml").write_text(yaml.safe_dump({"groups": rule_groups()}, allow_unicode=True))
    shutil.copy(MONITORING / "alerts.test.yaml", tmp_path / "alerts.test.yaml")
    check = subprocess.run([promtool(), "check", "rules", "rules.yaml"], cwd=tmp_path, capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    run = subprocess.run(
        [promtool(), "test", "rules", "alerts.test.yaml"], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "SUCCESS" in run.stdout + run.stderr

    # The tests can fail: with one threshold loosened, the healthy catalog series fires and promtool says so.
    loose = (MONITORING / "alerts.yaml").read_text().replace(") > 0.05\n", ") > 0.001\n")
    groups = yaml.safe_load(loose)["spec"]["groups"]
    (tmp_path / "rules.yaml").write_text(yaml.safe_dump({"groups": groups}, allow_unicode=True))
    broken = subprocess.run(
        [promtool(), "test", "rules", "alerts.test.yaml"], cwd=tmp_path, capture_output=True, text=True
    )
    assert broken.returncode != 0 and "GovHighErrorRatio" in broken.stdout + broken.stderr


# --- dashboards --------------------------------------------------------------------------------------------


def generator() -> Any:
    spec = importlib.util.spec_from_file_location("gov_dashboards", ROOT / "scripts" / "dashboards.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_dashboards_are_the_generators_output() -> None:
    dashboards = generator()
    assert set(dashboards.DASHBOARDS) == {p.stem for p in (MONITORING / "dashboards").glob("*.json")}
    for name, board in dashboards.DASHBOARDS.items():
        on_disk = (MONITORING / "dashboards" / f"{name}.json").read_text(encoding="utf-8")
        assert on_disk == dashboards.render(board), f"{name}.json is stale: run python scripts/dashboards.py"


def test_every_panel_query_reads_only_exported_series(exported: set[str]) -> None:
    queries = 0
    for path in sorted((MONITORING / "dashboards").glob("*.json")):
        board = json.loads(path.read_text(encoding="utf-8"))
        assert board["uid"] and board["schemaVersion"] >= 36 and board["panels"], path.name
        ids = [p["id"] for p in board["panels"]]
        assert len(ids) == len(set(ids)), path.name
        for p in board["panels"]:
            assert p["targets"], (path.name, p["title"])
            for target in p["targets"]:
                names = metric_names(target["expr"])
                assert names, (path.name, p["title"], target["expr"])
                assert names - exported - EXTERNAL.keys() == set(), (path.name, p["title"], names - exported)
                queries += 1
    assert queries >= 25


def test_the_monitoring_kustomization_renders() -> None:
    kustomize = os.environ.get("KUSTOMIZE") or shutil.which("kustomize") or str(ROOT / ".var/tools/bin/kustomize")
    out = subprocess.run([kustomize, "build", str(MONITORING)], capture_output=True, text=True, check=True).stdout
    docs = [d for d in yaml.safe_load_all(out) if d]
    kinds = sorted((d["kind"], d["metadata"]["name"]) for d in docs)
    assert ("PrometheusRule", "gov-platform-alerts") in kinds
    maps = [d for d in docs if d["kind"] == "ConfigMap"]
    assert len(maps) == 4 and all(d["metadata"]["labels"]["grafana_dashboard"] == "1" for d in maps)
    for d in maps:
        (body,) = d["data"].values()
        assert json.loads(body)["panels"]


def test_the_readme_points_to_the_runbooks_and_dashboards() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8").split("## Kubernetes\n")[1].split("\n## ")[0]
    for target in ("docs/ops/", "deploy/monitoring", "scripts/restore-drill.sh"):
        assert target in readme, target
    for runbook in (
        "alerts.md",
        "kafka-down.md",
        "database-failover.md",
        "lost-node.md",
        "key-rotation.md",
        "restore.md",
    ):
        assert (RUNBOOKS / runbook).is_file(), runbook
