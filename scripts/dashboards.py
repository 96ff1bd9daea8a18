"""The Grafana dashboards of deploy/monitoring/dashboards, as code: edit here, then
``uv run python scripts/dashboards.py`` rewrites the JSON (Grafana's dashboard model, schemaVersion 39).
tests/ops/test_monitoring.py checks that the JSON is this script's output and that every panel's query
reads only series the services export."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parents[1] / "deploy" / "monitoring" / "dashboards"
DS = {"type": "prometheus", "uid": "${datasource}"}
NS = 'namespace="$namespace"'


def panel(title: str, exprs: list[tuple[str, str]], *, unit: str = "short", kind: str = "timeseries",
          description: str = "", w: int = 12, h: int = 8) -> dict[str, Any]:  # fmt: skip
    return {
        "type": kind,
        "title": title,
        "description": description,
        "datasource": DS,
        "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
        "gridPos": {"w": w, "h": h},
        "targets": [
            {"refId": chr(ord("A") + i), "expr": expr, "legendFormat": legend, "datasource": DS}
            for i, (expr, legend) in enumerate(exprs)
        ],
    }


def dashboard(uid: str, title: str, panels: list[dict[str, Any]], *, service_variable: bool = False) -> dict[str, Any]:
    variables: list[dict[str, Any]] = [
        {"name": "datasource", "type": "datasource", "query": "prometheus", "label": "Prometheus"},
        {
            "name": "namespace",
            "type": "query",
            "datasource": DS,
            "query": "label_values(gov_http_server_request_duration_seconds_count, namespace)",
            "current": {"text": "gov-platform", "value": "gov-platform"},
        },
    ]
    if service_variable:
        variables.append(
            {
                "name": "service",
                "type": "query",
                "datasource": DS,
                "query": 'label_values(gov_http_server_request_duration_seconds_count{namespace="$namespace"}, service)',
            }
        )
    x = y = 0
    laid = []
    for n, p in enumerate(panels, start=1):  # left to right, then down
        w, h = p["gridPos"]["w"], p["gridPos"]["h"]
        if x + w > 24:
            x, y = 0, y + h
        laid.append({**p, "id": n, "gridPos": {"x": x, "y": y, "w": w, "h": h}})
        x += w
    return {
        "uid": uid,
        "title": title,
        "tags": ["gov-platform"],
        "timezone": "Asia/Shanghai",
        "schemaVersion": 39,
        "version": 1,
        "editable": False,
        "refresh": "1m",
        "time": {"from": "now-6h", "to": "now"},
        "templating": {"list": variables},
        "annotations": {"list": []},
        "links": [],
        "panels": laid,
    }


def requests_rate(sel: str) -> str:
    return f"sum by (service) (rate(gov_http_server_request_duration_seconds_count{{{sel}}}[5m]))"


OVERVIEW = dashboard(
    "gov-overview",
    "政务服务平台 · Platform overview",
    [
        panel("Requests per second by service", [(requests_rate(NS), "{{service}}")], unit="reqps"),
        panel(
            "5xx ratio by service",
            [
                (
                    f"sum by (service) (rate(gov_http_server_errors_total{{{NS}}}[5m])) / {requests_rate(NS)}",
                    "{{service}}",
                )
            ],
            unit="percentunit",
            description="Alert GovHighErrorRatio above 5% for 5 minutes (docs/ops/alerts.md).",
        ),
        panel(
            "p99 latency by service",
            [
                (
                    "histogram_quantile(0.99, sum by (service, le) "
                    f"(rate(gov_http_server_request_duration_seconds_bucket{{{NS}}}[5m])))",
                    "{{service}}",
                )
            ],
            unit="s",
        ),
        panel(
            "Outbox backlog by service",
            [(f"max by (service) (gov_outbox_backlog{{{NS}}})", "{{service}}")],
            description="Events decided but not yet published (Kafka down or the relay failing).",
        ),
        panel(
            "Consumer lag by group",
            [(f"sum by (group) (gov_events_consumer_lag{{{NS}}})", "{{group}}")],
        ),
        panel(
            "Dead letters (last hour)",
            [(f"sum by (group, topic) (increase(gov_events_dead_lettered_total{{{NS}}}[1h]))", "{{group}} {{topic}}")],
            kind="stat",
        ),
        panel(
            "Database pool in use by service",
            [
                (
                    f'sum by (service) (db_client_connections_usage{{{NS},state="used"}}) '
                    f"/ sum by (service) (db_client_connections_usage{{{NS}}})",
                    "{{service}}",
                )
            ],
            unit="percentunit",
        ),
        panel(
            "Cases turning red (per hour)",
            [
                (
                    f'sum(increase(gov_outbox_published_events_total{{{NS},type="workflow.sla.overdue"}}[1h]))',
                    "overdue",
                ),
                (
                    f'sum(increase(gov_outbox_published_events_total{{{NS},type="workflow.sla.warning"}}[1h]))',
                    "warned",
                ),
            ],
        ),
        panel(
            "Oldest current seal key (days)",
            [(f"(time() - min(gov_certificates_seal_key_created_seconds{{{NS}}})) / 86400", "days")],
            unit="d",
            kind="stat",
            description="Alert GovSealKeyDueForRotation past 335 days (rotate yearly: docs/ops/key-rotation.md).",
        ),
    ],
)

SVC = f'{NS},service="$service"'
SERVICE = dashboard(
    "gov-service",
    "政务服务平台 · One service",
    [
        panel(
            "Requests per second by route and status class",
            [
                (
                    f"sum by (route, status_class) (rate(gov_http_server_request_duration_seconds_count{{{SVC}}}[5m]))",
                    "{{route}} {{status_class}}",
                )
            ],
            unit="reqps",
            w=24,
        ),
        panel(
            "p99 latency by route",
            [
                (
                    "histogram_quantile(0.99, sum by (route, le) "
                    f"(rate(gov_http_server_request_duration_seconds_bucket{{{SVC}}}[5m])))",
                    "{{route}}",
                )
            ],
            unit="s",
        ),
        panel(
            "5xx by route",
            [(f"sum by (route) (rate(gov_http_server_errors_total{{{SVC}}}[5m]))", "{{route}}")],
            unit="reqps",
        ),
        panel(
            "Database connections by pod and state",
            [(f"sum by (pod, state) (db_client_connections_usage{{{SVC}}})", "{{pod}} {{state}}")],
        ),
        panel(
            "Outbox: backlog, published, relay failures",
            [
                (f"max(gov_outbox_backlog{{{SVC}}})", "backlog"),
                (f"sum(rate(gov_outbox_published_total{{{SVC}}}[5m]))", "published/s"),
                (f"sum(rate(gov_outbox_publish_failures_total{{{SVC}}}[5m]))", "relay failures/s"),
            ],
        ),
        panel(
            "Events handled, failed, dead-lettered",
            [
                (f"sum by (topic) (rate(gov_events_consumed_total{{{SVC}}}[5m]))", "handled {{topic}}"),
                (f"sum by (topic) (rate(gov_events_handler_failures_total{{{SVC}}}[5m]))", "failed {{topic}}"),
                (f"sum by (topic) (increase(gov_events_dead_lettered_total{{{SVC}}}[15m]))", "dead {{topic}}"),
            ],
            w=24,
        ),
    ],
    service_variable=True,
)

EVENTS = dashboard(
    "gov-events",
    "政务服务平台 · Events",
    [
        panel(
            "Events published per second by type",
            [(f"sum by (type) (rate(gov_outbox_published_events_total{{{NS}}}[5m]))", "{{type}}")],
            w=24,
        ),
        panel(
            "Consumer lag by group and topic",
            [(f"sum by (group, topic) (gov_events_consumer_lag{{{NS}}})", "{{group}} {{topic}}")],
        ),
        panel(
            "Handling time p99 by group",
            [
                (
                    "histogram_quantile(0.99, sum by (group, le) "
                    f"(rate(gov_events_handle_duration_seconds_bucket{{{NS}}}[5m])))",
                    "{{group}}",
                )
            ],
            unit="s",
        ),
        panel(
            "Handler failures by group and topic",
            [(f"sum by (group, topic) (rate(gov_events_handler_failures_total{{{NS}}}[5m]))", "{{group}} {{topic}}")],
        ),
        panel(
            "Dead letters by group and topic (15 min)",
            [(f"sum by (group, topic) (increase(gov_events_dead_lettered_total{{{NS}}}[15m]))", "{{group}} {{topic}}")],
        ),
    ],
)


def published(type_: str, window: str = "$__range") -> str:
    return f'sum(increase(gov_outbox_published_events_total{{{NS},type="{type_}"}}[{window}]))'


PLAN = dashboard(
    "gov-plan",
    "政务服务平台 · 规划指标 (the plan's figures)",
    [
        panel(
            "网上办理率 · applications submitted online",
            [
                (
                    f"{published('application.submitted')} / ({published('application.submitted')} "
                    f"+ {published('hall.ticket.finished')})",
                    "online share",
                )
            ],
            unit="percentunit",
            kind="stat",
            w=8,
            description="Applications submitted online against those plus the hall tickets served in the range.",
        ),
        panel(
            "按时办结率 · cases completed on time",
            [(f"1 - {published('workflow.sla.overdue')} / {published('workflow.case.completed')}", "on time")],
            unit="percentunit",
            kind="stat",
            w=8,
            description="1 - cases that went past their time limit / cases completed, in the range.",
        ),
        panel(
            "好差评 · ratings and overdue rectifications",
            [
                (published("evaluation.rating.submitted"), "ratings"),
                (published("evaluation.rectification.overdue"), "rectifications overdue"),
            ],
            kind="stat",
            w=8,
            description="Ratings received; bad ratings whose rectification is overdue. The satisfaction rate "
            "itself (share of 满意 and 非常满意) is svc-evaluation's statistics API.",
        ),
        panel(
            "Applications, cases completed, licences issued per day",
            [
                (published("application.submitted", "1d"), "submitted"),
                (published("workflow.case.completed", "1d"), "completed"),
                (published("certificates.license.issued", "1d"), "licences issued"),
            ],
            w=24,
        ),
        panel(
            "12345 work orders per day",
            [
                (published("hotline.order.created", "1d"), "created"),
                (published("hotline.order.closed", "1d"), "closed"),
                (published("hotline.order.overdue", "1d"), "overdue"),
            ],
            w=24,
        ),
    ],
)

DASHBOARDS = {"overview": OVERVIEW, "service": SERVICE, "events": EVENTS, "plan": PLAN}


def render(board: dict[str, Any]) -> str:
    return json.dumps(board, ensure_ascii=False, indent=2) + "\n"


if __name__ == "__main__":
    OUT.mkdir(parents=True, exist_ok=True)
    for name, board in DASHBOARDS.items():
        (OUT / f"{name}.json").write_text(render(board), encoding="utf-8")
        print(f"wrote {OUT / name}.json")
