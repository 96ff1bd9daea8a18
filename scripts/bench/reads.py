"""Reads at 50 connections (wrk) on the platform ``make run`` starts, on the embedded default and on
PostgreSQL + Kafka: each service's cheapest answer (``/healthz``) is the baseline the same process's real
reads are held to, and nginx proxying the same endpoints is the baseline of the gateway.

- the public catalog item (``GET /v1/items/{code}``, a published version), and the same read made
  conditional (``If-None-Match`` with the ETag it was given: 304);
- one application read by its owner (``GET /v1/applications/{id}`` with the citizen's bearer token);
- both again through the gateway and through nginx (Debian's package, one worker, keep-alive upstreams).

    uv run python scripts/bench/reads.py [--seconds 8] [--rounds 2] [--backend embedded|postgres]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import httpx
from tools import apt_install, best_of, nginx_proxy  # scripts/bench, the script's folder

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "e2e"))

import citizen_journey  # noqa: E402
import harness  # noqa: E402
from identity_flows import DEMO_PASSWORD, sign_in  # noqa: E402

NO_LIMITS = {"GATEWAY_RATE_LIMIT_PER_ADDRESS": "0", "GATEWAY_RATE_LIMIT_PER_CLIENT": "0"}


def _subjects(platform: harness.Platform) -> tuple[str, str, str]:
    """A published item's code, an application of the demo citizen, and that citizen's token."""
    setup = citizen_journey.prepare(platform)
    setup.staff.close()
    with citizen_journey.client(platform) as gw:
        token = sign_in(gw, "zhangsan", DEMO_PASSWORD)
        draft = gw.post(
            "/api/application/v1/applications",
            json={"item_code": setup.item_code, "applicant": {"name": "张三", "id_number": "450102199001011231"}},
            headers={"Authorization": f"Bearer {token}", "Idempotency-Key": uuid.uuid4().hex},
        )
        draft.raise_for_status()
    return setup.item_code, str(draft.json()["id"]), token


def measure(platform: harness.Platform, seconds: int, connections: int, rounds: int, folder: Path) -> dict[str, Any]:
    code, app_id, token = _subjects(platform)
    catalog, application, gateway = platform.url("catalog"), platform.url("application"), platform.gateway
    bearer = {"Authorization": f"Bearer {token}"}
    item_path, app_path = f"/v1/items/{code}", f"/v1/applications/{app_id}"
    etag = httpx.get(catalog + item_path).headers.get("etag")
    routes = {"/api/catalog": catalog, "/api/application": application}
    with nginx_proxy(routes, folder) as nginx_port:
        nginx = f"http://127.0.0.1:{nginx_port}"
        targets: dict[str, tuple[str, Mapping[str, str] | None]] = {
            "catalog /healthz": (catalog + "/healthz", None),
            "catalog item": (catalog + item_path, None),
            "application /healthz": (application + "/healthz", None),
            "application read": (application + app_path, bearer),
            "gateway: catalog /healthz": (gateway + "/api/catalog/healthz", None),
            "nginx: catalog /healthz": (nginx + "/api/catalog/healthz", None),
            "gateway: catalog item": (gateway + "/api/catalog" + item_path, None),
            "nginx: catalog item": (nginx + "/api/catalog" + item_path, None),
            "gateway: application read": (gateway + "/api/application" + app_path, bearer),
            "nginx: application read": (nginx + "/api/application" + app_path, bearer),
        }
        if etag:
            targets["catalog item, If-None-Match (304)"] = (catalog + item_path, {"If-None-Match": etag})
        best = best_of(targets, seconds, connections, rounds)
    return {"etag": etag, "best": best}


def bench_reads(
    seconds: int, connections: int, rounds: int, pg_admin_dsn: str, kafka_bootstrap: str, backends: tuple[str, ...]
) -> dict[str, Any]:
    apt_install("wrk", "nginx")
    results: dict[str, Any] = {"seconds": seconds, "connections": connections, "rounds": rounds}
    with tempfile.TemporaryDirectory(prefix="bench-reads-") as tmp:
        for backend in backends:
            folder = Path(tmp) / backend
            folder.mkdir()
            if backend == "postgres":
                platform_cm = harness.postgres_platform(folder, pg_admin_dsn, kafka_bootstrap, **NO_LIMITS)
            else:
                platform_cm = harness.embedded_platform(folder, **NO_LIMITS)
            with platform_cm as platform:
                results[backend] = measure(platform, seconds, connections, rounds, folder)
    return results


# Each read and what it is held to: (row, baseline row).
RATIOS = [
    ("catalog item", "catalog /healthz"),
    ("catalog item, If-None-Match (304)", "catalog /healthz"),
    ("application read", "application /healthz"),
    ("gateway: catalog /healthz", "nginx: catalog /healthz"),
    ("gateway: catalog item", "nginx: catalog item"),
    ("gateway: application read", "nginx: application read"),
]


def read_lines(results: Mapping[str, Any]) -> list[str]:
    lines = [
        f"### Reads at {results['connections']} connections (wrk, best of {results['rounds']} × {results['seconds']} s)",
        "| backend | read | requests/s | p50 ms | p99 ms | baseline (same run) | ratio to it | non-2xx/3xx |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for backend, label in (("embedded", "embedded"), ("postgres", "PostgreSQL + Kafka")):
        if backend not in results:
            continue
        best = results[backend]["best"]
        for name, base in RATIOS:
            if name not in best:
                continue
            b, d = best[name], best[base]
            lines.append(
                f"| {label} | {name} | {b['rps']:,.0f} | {b['p50_ms']:.1f} | {b['p99_ms']:.1f} | "
                f"{base}: {d['rps']:,.0f} | {b['rps'] / d['rps']:.2f} | {b['non_2xx']:.0f} |"
            )
    return [*lines, ""]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--backend", choices=["embedded", "postgres"], action="append")
    args = parser.parse_args()
    backends = tuple(args.backend or ("embedded", "postgres"))
    results = bench_reads(
        args.seconds,
        args.connections,
        args.rounds,
        os.environ.get("GOV_TEST_PG_DSN", ""),
        os.environ.get("GOV_TEST_KAFKA_BOOTSTRAP", ""),
        backends,
    )
    print(json.dumps(results, indent=2))
    print("\n".join(read_lines(results)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
