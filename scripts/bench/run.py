#!/usr/bin/env python3
"""Benchmarks of the foundation, reported as ratios measured in one run (the machine is shared).

1. Events end to end (outbox -> bus -> idempotent consumer), embedded log + SQLite versus Kafka +
   PostgreSQL: events per second from the moment the relay starts until the consumer applied them all.
2. A simple read (``GET /healthz`` of a service, svc-catalog unless ``--service``) at 50 concurrent connections with wrk: direct,
   through the gateway (without and with a bearer token it verifies), and through nginx (Debian's package).
3. Reads on the platform ``make run`` starts, both backends: a catalog item (and its 304) and an application
   read by its owner, each against the same process's ``/healthz``; gateway against nginx (scripts/bench/reads.py).
4. Submissions: ``--submitters`` citizens at once through the gateway on PostgreSQL + Kafka (draft, three
   uploads, submit), with the submitted -> case-open lag and correctness checks (scripts/bench/submit.py).
5. Journeys: ``--users`` citizens at once running journey 1 through the gateway on PostgreSQL + Kafka and on
   the embedded default; journeys per minute, p50/p99 per API call, the event lag (scripts/bench/journeys.py).

6. Cost growth: a citizen's list, tracking by number and the staff inbox at 10 thousand and 10 million
   applications on PostgreSQL (``--scale-rows``; scripts/bench/scale.py; ~4 minutes and 1.9 GB per million).

7. The internet portal's pages (home, search, guide, a signed-in space) at 50 connections on the embedded
   default, with each page's first-visit weight (scripts/bench/portal_pages.py).

``--only events|gateway|reads|submissions|journeys|scale|portal`` runs one of them.
Needs ``GOV_TEST_PG_DSN`` and ``GOV_TEST_KAFKA_BOOTSTRAP`` (``make bench`` sets them). Writes
``.var/bench/results.json`` and prints a Markdown table.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from events import bench_events, event_lines  # scripts/bench, the script's folder
from tools import apt_install, best_of, free_port, nginx_proxy, wait_http

from gov_common.testing import TestIssuer

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / ".var" / "bench"


# ------------------------------------------------------------------------------------------ gateway
def bench_gateway(seconds: int, connections: int, rounds: int, service: str) -> dict[str, Any]:
    """``service``'s ``/healthz`` alone (no database, no other service): direct, through nginx, through the
    gateway without and with a bearer token it verifies (once, then from its cache)."""
    apt_install("wrk", "nginx")
    tmp = Path(tempfile.mkdtemp(prefix="gov-bench-"))
    svc_port, gw_port, jwks_port = free_port(), free_port(), free_port()
    # A signed token the gateway verifies at the edge (once; then from its cache), keys served from a file.
    issuer = TestIssuer(issuer="https://bench.gov/api/identity")
    (tmp / "jwks").write_text(json.dumps(asyncio.run(issuer._jwks())))
    token = issuer.token("bench-citizen", ttl_seconds=3600)
    env = dict(os.environ, GOV_DATA_DIR=str(tmp), GOV_LOG_LEVEL="WARNING",
               GATEWAY_UPSTREAMS=json.dumps({service: f"http://127.0.0.1:{svc_port}"}),
               GATEWAY_JWKS_URL=f"http://127.0.0.1:{jwks_port}/jwks", GATEWAY_TOKEN_ISSUER=issuer.issuer,
               GATEWAY_TOKEN_AUDIENCE=issuer.audience)  # fmt: skip
    uvicorn = [sys.executable, "-m", "uvicorn", "--factory", "--host", "127.0.0.1", "--no-access-log", "--log-level", "warning"]  # fmt: skip
    procs = [
        subprocess.Popen([*uvicorn, f"{service}.main:create_app", "--port", str(svc_port)], env=env, cwd=ROOT),
        subprocess.Popen([*uvicorn, "gateway.main:create_app", "--port", str(gw_port)], env=env, cwd=ROOT),
        subprocess.Popen(
            [sys.executable, "-m", "http.server", str(jwks_port), "--bind", "127.0.0.1", "--directory", str(tmp)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        ),
    ]
    try:
        with nginx_proxy({f"/api/{service}": f"http://127.0.0.1:{svc_port}"}, tmp) as nginx_port:
            wait_http(f"http://127.0.0.1:{svc_port}/healthz")
            wait_http(f"http://127.0.0.1:{gw_port}/api/{service}/healthz")
            wait_http(f"http://127.0.0.1:{nginx_port}/api/{service}/healthz")
            bearer = {"Authorization": f"Bearer {token}"}
            targets: dict[str, tuple[str, dict[str, str] | None]] = {
                "direct": (f"http://127.0.0.1:{svc_port}/healthz", None),
                "gateway": (f"http://127.0.0.1:{gw_port}/api/{service}/healthz", None),
                "gateway_token": (f"http://127.0.0.1:{gw_port}/api/{service}/healthz", bearer),
                "nginx": (f"http://127.0.0.1:{nginx_port}/api/{service}/healthz", None),
            }
            best = best_of(targets, seconds, connections, rounds)
        return {"connections": connections, "seconds": seconds, "rounds": rounds, "best": best}
    finally:
        for p in procs:
            p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                p.kill()


def journey_lines(jr: dict[str, Any], users: int, seconds: float) -> list[str]:
    pg, emb = jr["postgres_kafka"], jr["embedded"]
    lines = [
        f"### Journey 1 at {users} concurrent citizens through the gateway ({seconds:.0f} s of new journeys)",
        "| backend | journeys/min | failed | journey p50 s | p99 s | event lag submitted->case open p50 ms | p99 ms |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, r in (("PostgreSQL + Kafka", pg), ("embedded (SQLite + log)", emb)):
        lines.append(
            f"| {name} | {r['journeys_per_minute']} | {r['failed_journeys']} | {r['journey_p50_s']} | "
            f"{r['journey_p99_s']} | {r['event_lag_p50_ms']} | {r['event_lag_p99_ms']} |"
        )
    base = pg["journeys_per_minute"] or 1
    lines += [f"embedded / PostgreSQL+Kafka journeys per minute: {emb['journeys_per_minute'] / base:.2f}", ""]
    lines += ["| API call | PG+Kafka p50 ms | p99 ms | embedded p50 ms | p99 ms |", "|---|---|---|---|---|"]
    for route in sorted(set(pg["calls"]) | set(emb["calls"])):
        a, b = pg["calls"].get(route, {}), emb["calls"].get(route, {})
        lines.append(
            f"| `{route}` | {a.get('p50_ms', '')} | {a.get('p99_ms', '')} | {b.get('p50_ms', '')} | {b.get('p99_ms', '')} |"
        )
    return [*lines, ""]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=20000)
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--only", choices=["events", "gateway", "reads", "submissions", "journeys", "scale", "portal"])
    parser.add_argument("--submitters", type=int, default=20, help="concurrent submitters through the gateway")
    parser.add_argument("--submit-seconds", type=float, default=60, help="how long submitters keep submitting")
    parser.add_argument("--users", type=int, default=50, help="concurrent citizens in the journey load")
    parser.add_argument("--journey-seconds", type=float, default=120, help="how long users start new journeys")
    parser.add_argument("--service", default="catalog", help="the service whose /healthz is read")
    parser.add_argument("--scale-rows", default="10000,10000000", help="applications seeded for the cost growth")
    args = parser.parse_args()
    results: dict[str, Any] = {"when": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
    lines = []
    if args.only in (None, "events"):
        ev = asyncio.run(bench_events(args.events))
        results["events"] = ev
        lines += event_lines(ev, args.events)
    if args.only in (None, "gateway"):
        gw = bench_gateway(args.seconds, args.connections, args.rounds, args.service)
        results["gateway"] = gw
        d = gw["best"]["direct"]
        lines += [
            f"### A simple read at {args.connections} connections (wrk, best of {args.rounds} rounds of {args.seconds} s)",
            "| path | requests/s | p50 ms | p99 ms | throughput vs direct | p99 vs direct | non-2xx |", "|---|---|---|---|---|---|---|",
        ]  # fmt: skip
        for name in ("direct", "nginx", "gateway", "gateway_token"):
            b = gw["best"][name]
            lines.append(
                f"| {name} | {b['rps']:,.0f} | {b['p50_ms']:.2f} | {b['p99_ms']:.2f} | "
                f"{b['rps'] / d['rps']:.2f} | {b['p99_ms'] / d['p99_ms']:.2f} | {b['non_2xx']:.0f} |"
            )
    if args.only in (None, "reads"):
        from reads import bench_reads, read_lines

        rd = bench_reads(
            args.seconds, args.connections, args.rounds, os.environ["GOV_TEST_PG_DSN"],
            os.environ["GOV_TEST_KAFKA_BOOTSTRAP"], ("embedded", "postgres"),
        )  # fmt: skip
        results["reads"] = rd
        lines += read_lines(rd)
    if args.only in (None, "submissions"):
        from submit import bench_submissions, submission_lines

        sb = bench_submissions(
            args.submitters, args.submit_seconds, os.environ["GOV_TEST_PG_DSN"], os.environ["GOV_TEST_KAFKA_BOOTSTRAP"]
        )
        results["submissions"] = sb
        lines += submission_lines(sb)
    if args.only in (None, "journeys"):
        from journeys import bench_journeys

        jr = bench_journeys(
            args.users, args.journey_seconds, os.environ["GOV_TEST_PG_DSN"], os.environ["GOV_TEST_KAFKA_BOOTSTRAP"]
        )
        results["journeys"] = jr
        lines += journey_lines(jr, args.users, args.journey_seconds)
    if args.only in (None, "scale"):
        from scale import bench_scale, scale_lines

        rows = [int(n) for n in args.scale_rows.split(",")]
        sc = bench_scale(os.environ["GOV_TEST_PG_DSN"], rows, progress=lambda line: print(line, file=sys.stderr))
        results["scale"] = asyncio.run(sc)
        lines += [
            f"### Cost growth on PostgreSQL: {' and '.join(f'{n:,}' for n in rows)} applications",
            *scale_lines(results["scale"]),
            "",
        ]
    if args.only in (None, "portal"):
        from portal_pages import bench_portal, portal_lines

        pt = bench_portal(args.seconds, args.connections, args.rounds)
        results["portal"] = pt
        lines += portal_lines(pt)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "results.json").write_text(json.dumps(results, indent=2))
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
