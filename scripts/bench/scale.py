#!/usr/bin/env python3
"""Cost growth of the reads that history makes bigger: a citizen's list of applications, the public status
by tracking number, and the staff inbox, at 10 thousand and at 10 million applications on PostgreSQL.

For each size, one fresh database per service (application, workflow), migrated to head, is seeded in SQL
(``INSERT ... SELECT`` over ``generate_series``: a bulk load in the server, as fast as ``COPY`` without
sending 40 million rows through the client) with the rows the three reads touch:

- ``application``: N applications over three years, 80 % citizens (N/5 of them, ~5 applications each),
  20 % enterprises, 15 departments of the seeded catalog (each in its own region), 90 % online; the last
  30 days are in progress (drafts, submitted, accepted, supplementing, approved), older ones are closed
  (completed, rejected, refused, withdrawn; 5 % abandoned drafts); a tracking number and query code for
  every submitted one, two ``status_change`` rows each (one for a draft);
- ``workflow``: a case per submitted application and one task per case (its current step: open or
  claimed for cases in progress, completed or cancelled for closed ones), so ~2 % of tasks are open.

Secondary indexes are dropped while loading and built again from their own definitions (the four tables
load in parallel), then VACUUM ANALYZE. Latency is measured through the real service code path: each
service's app (``create_app``, middleware, token verification, SQLAlchemy, pydantic) called in-process over
``httpx.ASGITransport``, one call at a time, sizes interleaved in rounds (the machine is shared); then the
statements each call sent (captured with a SQLAlchemy event) are replayed alone on one asyncpg connection:
the database's share, without the app's constant one. Finally ``EXPLAIN (ANALYZE, BUFFERS)`` of those
statements at the largest size. ``--before application_0006,workflow_0003`` seeds at those revisions,
measures, upgrades to head and measures again: what the later migrations bought, on the same rows.

    GOV_TEST_PG_DSN=... uv run python scripts/bench/scale.py [--rows 10000,10000000] [--calls 300] [--before ...]

Seeding takes ~4 minutes per million applications on a busy 2-core box (the four loaders share it) and
~1.9 GB of disk per million; the databases are dropped at the end. For the lead's ``run.py``:
``bench_scale(dsn, rows)`` and ``scale_lines(results)``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from fastapi import FastAPI

from gov_common.db import Database
from gov_common.migrations import upgrade
from gov_common.testing import TestIssuer, fresh_pg_database, recorded_statements, serve_lifespan

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / ".var" / "bench"
SPAN_SECONDS = 3 * 365 * 86400  # applications spread over three years
RECENT_SECONDS = 30 * 86400  # younger than this: still in progress
CHUNK = 1_000_000  # rows per INSERT ... SELECT (progress, bounded transactions)
READS = ("citizen_list", "tracking", "staff_inbox")
ROLES = ("acceptor", "reviewer", "approver")
# The statements of each read worth explaining (others: relay, consumers, samplers running alongside).
READ_TABLES = {
    "citizen_list": ("FROM application",),
    "tracking": ("FROM application", "FROM status_change"),
    "staff_inbox": ("FROM task",),
}


def departments() -> list[tuple[str, str, str]]:
    """(code, region, name) of the seeded catalog's departments, in a stable order."""
    raw = json.loads((ROOT / "svc-catalog/src/catalog/seed/catalog.json").read_text())["departments"]
    return [(d["code"], d["region"], d["name"]) for _, d in sorted(raw.items())]


def _source(n: int, lo: int, hi: int, now: datetime) -> str:
    """Rows lo..hi of the N applications, with every value the services' tables need, computed from i alone
    (so application's and workflow's databases agree without talking to each other)."""
    depts = departments()
    values = ", ".join(f"({k}, '{code}', '{region}', '{name}')" for k, (code, region, name) in enumerate(depts))
    citizens = max(n // 5, 1)
    enterprises = max(n // 20, 1)
    return f"""
    SELECT i, h.*, d.code AS dept, d.region, d.name AS dept_name, s.status, w.*,
           ('00000000-0000-4000-8000-' || lpad(to_hex(i), 12, '0'))::uuid AS app_id,
           ('00000000-0000-4000-9000-' || lpad(to_hex(i), 12, '0'))::uuid AS case_id,
           ('00000000-0000-4000-a000-' || lpad(to_hex(i), 12, '0'))::uuid AS task_id,
           CASE WHEN h.kh < 8 THEN 'citizen' ELSE 'enterprise' END AS kind,
           CASE WHEN h.kh < 8 THEN 'citizen-' || h.sh ELSE 'ent-rep-' || (h.sh % {enterprises}) END AS subject,
           CASE WHEN h.kh < 8 THEN NULL ELSE '9145' || lpad((h.sh % {enterprises})::text, 14, '0') END AS enterprise,
           CASE WHEN h.chh = 0 THEN 'hall' ELSE 'online' END AS channel,
           CASE WHEN s.status = 'draft' THEN NULL ELSE h.created_at + interval '1 hour' END AS submitted_at,
           CASE WHEN s.status = 'draft' THEN NULL ELSE
             d.region || to_char((h.created_at + interval '1 hour') AT TIME ZONE 'Asia/Shanghai', 'YYYYMMDD')
             || lpad((i % 999999 + 1)::text, 6, '0') END AS tracking_number,
           upper(substr(md5(i::text), 1, 8)) AS query_code
    FROM generate_series({lo}, {hi}) AS i
    CROSS JOIN LATERAL (
      SELECT abs(hashint8extended(i, 1)) % 10 AS kh, abs(hashint8extended(i, 2)) % {citizens} AS sh,
             (abs(hashint8extended(i, 3)) % {len(depts)})::int AS dk, abs(hashint8extended(i, 4)) % 100 AS st,
             abs(hashint8extended(i, 5)) % 10 AS chh, abs(hashint8extended(i, 6)) % 10 AS th,
             ({n} - i)::float8 * {SPAN_SECONDS} / {n} < {RECENT_SECONDS} AS recent,
             timestamptz '{now.isoformat()}' - make_interval(secs => ({n} - i)::float8 * {SPAN_SECONDS} / {n})
               AS created_at
    ) AS h
    JOIN (VALUES {values}) AS d(k, code, region, name) ON d.k = h.dk
    CROSS JOIN LATERAL (
      SELECT CASE WHEN h.recent THEN CASE WHEN h.st < 15 THEN 'draft' WHEN h.st < 35 THEN 'submitted'
                  WHEN h.st < 75 THEN 'accepted' WHEN h.st < 85 THEN 'supplement_requested'
                  WHEN h.st < 95 THEN 'approved' ELSE 'withdrawn' END
             ELSE CASE WHEN h.st < 5 THEN 'draft' WHEN h.st < 8 THEN 'withdrawn' WHEN h.st < 10 THEN 'refused'
                  WHEN h.st < 13 THEN 'rejected' ELSE 'completed' END END AS status
    ) AS s
    CROSS JOIN LATERAL (
      SELECT c.*, CASE WHEN c.active THEN CASE WHEN h.th < 7 THEN 'open' ELSE 'claimed' END
                       WHEN s.status = 'withdrawn' THEN 'cancelled' ELSE 'completed' END AS task_status
      FROM (SELECT
        CASE s.status WHEN 'submitted' THEN 'accepting' WHEN 'accepted' THEN
               CASE WHEN h.th % 2 = 0 THEN 'reviewing' ELSE 'deciding' END
             WHEN 'supplement_requested' THEN 'supplementing' WHEN 'approved' THEN 'delivering'
             WHEN 'rejected' THEN 'completed' ELSE s.status END AS case_status,
        s.status IN ('submitted', 'accepted', 'approved') AS active,
        CASE WHEN s.status = 'accepted' AND h.th % 2 = 0 THEN 'review'
             WHEN s.status IN ('accepted', 'rejected', 'completed') THEN 'decide'
             WHEN s.status = 'approved' THEN 'deliver' ELSE 'accept' END AS task_kind
      ) AS c
    ) AS w
    """


def _task_role() -> str:
    return "CASE task_kind WHEN 'review' THEN 'reviewer' WHEN 'decide' THEN 'approver' ELSE 'acceptor' END"


FORM = '{"name": "张三", "phone": "13800000000", "address": "南宁市青秀区民族大道 100 号", "scope": "食品销售"}'
# Passed through str.format once more (the braces doubled).
CASE_JSON = "'[]'::json, '{{\"steps\": []}}'::json, '[]'::json"

APPLICATION_INSERTS = [
    """INSERT INTO application (id, tracking_number, status, channel, item_code, item_version, item_name, region,
         department_code, department_name, applicant_subject, applicant_kind, enterprise, applicant_name_masked,
         id_tail, query_code, created_by, form, case_id, created_at, updated_at, submitted_at)
       SELECT app_id, tracking_number, status, channel, 'item-' || dk, 1, '事项 ' || dk, region, dept, dept_name,
         subject, kind, enterprise, '张*', '1234', CASE WHEN tracking_number IS NULL THEN NULL ELSE query_code END,
         subject, '{form}'::json, CASE WHEN status = 'draft' THEN NULL ELSE case_id::text END,
         created_at, coalesce(submitted_at, created_at), submitted_at
       FROM ({source}) AS src""",
    """INSERT INTO status_change (id, application_id, from_status, to_status, cause, actor, at, detail)
       SELECT (v.k || substr(app_id::text, 2))::uuid, app_id, v.f, v.t, v.cause, subject, v.at, '{{}}'::json
       FROM ({source}) AS src
       CROSS JOIN LATERAL (VALUES ('1', NULL, 'draft', 'created', created_at),
                                  ('2', 'draft', status, 'status', submitted_at)) AS v(k, f, t, cause, at)
       WHERE v.k = '1' OR status <> 'draft'""",
]
WORKFLOW_INSERTS = [
    f"""INSERT INTO "case" (id, application_id, tracking_number, item_code, item_version, item_name, region,
         department, department_name, applicant_subject, applicant_kind, applicant_enterprise,
         applicant_name_masked, form, materials, process, fees, promised_days, smart_approval, status, step_index,
         opened_at, deadline, paused_days, sla_level, decision, closed_at, trace_seq, trace_head, updated_at)
       SELECT case_id, app_id::text, tracking_number, 'item-' || dk, 1, '事项 ' || dk, region, dept, dept_name,
         subject, kind, enterprise, '张*', '{{form}}'::json, {CASE_JSON}, 10, false, case_status, 0,
         submitted_at, (submitted_at + interval '14 days')::date, 0, 'green',
         CASE status WHEN 'completed' THEN 'approve' WHEN 'rejected' THEN 'reject' END,
         CASE WHEN active THEN NULL ELSE submitted_at + interval '5 days' END, 1, repeat('0', 64),
         submitted_at + CASE WHEN active THEN interval '2 hours' ELSE interval '5 days' END
       FROM ({{source}}) AS src WHERE status <> 'draft'""",
    f"""INSERT INTO task (id, case_id, step_index, kind, name, role, department, region, status, assignee, due,
         created_at, claimed_at, completed_at)
       SELECT task_id, case_id, 0, task_kind, '办理', {_task_role()}, dept, region, task_status,
         CASE WHEN task_status = 'open' THEN NULL ELSE 'staff-' || (th % 3) END,
         (submitted_at + interval '14 days')::date, submitted_at + interval '2 hours',
         CASE WHEN task_status = 'open' THEN NULL ELSE submitted_at + interval '3 hours' END,
         CASE WHEN active THEN NULL ELSE submitted_at + interval '5 days' END
       FROM ({{source}}) AS src WHERE status <> 'draft'""",
]


def _pg(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


async def migrate(url: str, service: str, revision: str = "head") -> None:
    db = Database(url)
    try:
        await upgrade(db, ROOT / f"svc-{service}" / "migrations", revision)
    finally:
        await db.dispose()


async def _each(url: str, statements: list[str], setup: str = "") -> None:
    """``statements`` one after the other on a connection of their own (one loader per table, in parallel)."""
    conn = await asyncpg.connect(_pg(url))
    try:
        if setup:
            await conn.execute(setup)
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()


async def seed(url: str, service: str, n: int, now: datetime) -> float:
    """Load N applications' rows into ``service``'s migrated database at ``url``; seconds taken."""
    inserts = APPLICATION_INSERTS if service == "application" else WORKFLOW_INSERTS
    tables = ["application", "status_change"] if service == "application" else ["case", "task"]
    started = time.perf_counter()
    conn = await asyncpg.connect(_pg(url))
    try:
        indexes = await conn.fetch(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename = ANY($1::text[])"
            " AND indexname NOT IN (SELECT conname FROM pg_constraint)",
            tables,
        )
        for row in indexes:  # built again after the load: one sort instead of 10 million inserts each
            await conn.execute(f'DROP INDEX "{row["indexname"]}"')
    finally:
        await conn.close()
    chunks = [(lo, min(lo + CHUNK - 1, n)) for lo in range(1, n + 1, CHUNK)]
    # Ids are consistent by construction: no foreign-key triggers per row while loading.
    await asyncio.gather(
        *(
            _each(
                url,
                [sql.format(source=_source(n, lo, hi, now), form=FORM) for lo, hi in chunks],
                "SET session_replication_role = replica",
            )
            for sql in inserts
        )
    )
    await asyncio.gather(*(_each(url, [row["indexdef"]], "SET maintenance_work_mem = '512MB'") for row in indexes))
    await asyncio.gather(*(_each(url, [f'VACUUM (ANALYZE) "{table}"']) for table in tables))
    return time.perf_counter() - started


# ------------------------------------------------------------------------------------------ measuring
@dataclass
class Target:
    """One service app on one seeded database, and the calls of each read to send to it."""

    size: int
    app: FastAPI
    client: httpx.AsyncClient
    url: str
    service: str
    calls: dict[str, list[tuple[str, dict[str, str]]]] = field(default_factory=dict)
    latencies: dict[str, list[float]] = field(default_factory=dict)
    # The statements each call sent, replayed alone: the database's share without the app's (constant) one.
    statements: dict[str, list[list[tuple[str, tuple[Any, ...]]]]] = field(default_factory=dict)
    sql_latencies: dict[str, list[float]] = field(default_factory=dict)


@asynccontextmanager
async def serve(service: str, url: str, issuer: TestIssuer) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    data_dir = Path(tempfile.mkdtemp(prefix=f"scale-{service}-"))
    common: dict[str, Any] = {
        "data_dir": data_dir,
        "database_url": url,
        "environment": "test",
        "log_level": "WARNING",
        "migrate_on_start": False,  # seed() migrated it, before the load
    }
    if service == "application":
        from application.main import create_app as create_application
        from application.settings import Settings as ApplicationSettings

        # The bench sends hundreds of status queries from one address: the per-address limit would answer 429.
        app = create_application(ApplicationSettings(**common, status_query_limit="1000000/minute"))
    else:
        from workflow.main import create_app as create_workflow
        from workflow.settings import Settings as WorkflowSettings

        # The SLA sweep over every open case is a background job, not one of the reads measured.
        app = create_workflow(WorkflowSettings(**common, sla_sweep_enabled=False))
    issuer.install(app)
    async with serve_lifespan(app) as client:
        yield app, client


async def _calls(url: str, service: str, n: int, count: int, issuer: TestIssuer) -> dict[str, Any]:
    """``count`` calls per read of ``service``, on rows picked at random among the N seeded."""
    rng = random.Random(n)
    picks = [f"00000000-0000-4000-8000-{i:012x}" for i in (rng.randint(1, n) for _ in range(count * 3))]
    conn = await asyncpg.connect(_pg(url))
    try:
        if service == "application":
            rows = await conn.fetch(
                "SELECT applicant_kind, applicant_subject, tracking_number, query_code FROM application"
                " WHERE id = ANY($1::uuid[])",
                picks,
            )
            citizens = [r["applicant_subject"] for r in rows if r["applicant_kind"] == "citizen"][:count]
            numbers = [(r["tracking_number"], r["query_code"]) for r in rows if r["tracking_number"]][:count]
            return {
                "citizen_list": [
                    ("/v1/applications?limit=20", issuer.headers(s, kind="citizen", ttl_seconds=3600)) for s in citizens
                ],
                "tracking": [(f"/v1/status?tracking_number={t}&query_code={q}", {}) for t, q in numbers],
            }
    finally:
        await conn.close()
    staff = [
        issuer.headers(
            f"staff-{code}-{role}", kind="staff", roles=[role], department=code, region=region, ttl_seconds=3600
        )
        for code, region, _ in departments()
        for role in ROLES
    ]
    return {"staff_inbox": [("/v1/tasks?limit=20", rng.choice(staff)) for _ in range(count)]}


async def _timed(target: Target, read: str, start: int, stop: int) -> None:
    for path, headers in target.calls[read][start:stop]:
        with recorded_statements() as seen:
            began = time.perf_counter()
            response = await target.client.get(path, headers=headers)
            elapsed = time.perf_counter() - began
        if response.status_code != 200:
            raise RuntimeError(f"{read} at {target.size}: {response.status_code} {response.text[:300]}")
        target.latencies.setdefault(read, []).append(elapsed)
        mine = [(sql, params) for sql, params in seen if any(t in sql for t in READ_TABLES[read])]
        target.statements.setdefault(read, []).append(mine)


async def _replayed(target: Target, read: str, conn: asyncpg.Connection, start: int, stop: int) -> None:
    """The statements of calls ``start:stop`` sent again, alone, on one connection (prepared and cached as
    the services' are)."""
    for statements in target.statements[read][start:stop]:
        began = time.perf_counter()
        for sql, params in statements:
            await conn.fetch(sql, *params)
        target.sql_latencies.setdefault(read, []).append(time.perf_counter() - began)


async def _explain(target: Target, read: str) -> list[str]:
    """EXPLAIN (ANALYZE, BUFFERS) of each statement ``read`` sends (its first call), on its database."""
    path, headers = target.calls[read][0]
    with recorded_statements() as seen:
        await target.client.get(path, headers=headers)
    statements = [(s, p) for s, p in seen if any(t in s for t in READ_TABLES[read])]
    conn = await asyncpg.connect(_pg(target.url))
    lines: list[str] = []
    try:
        for statement, params in statements:
            plan = await conn.fetch(f"EXPLAIN (ANALYZE, BUFFERS) {statement}", *params)
            lines += [" ".join(statement.split())[:400], *(r[0] for r in plan), ""]
    finally:
        await conn.close()
    return lines


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def _measure(everyone: list[Target], calls: int, rounds: int) -> dict[str, Any]:
    """p50/p99 of each read per size: a warm-up, then the sizes interleaved in ``rounds``."""
    for target in everyone:  # warm-up: connections, caches, prepared statements
        for read in target.calls:
            await _timed(target, read, 0, 10)
        target.latencies.clear()
        target.statements.clear()
        target.sql_latencies.clear()
    step = -(-calls // rounds)
    for r in range(rounds):
        for target in everyone:
            for read in target.calls:
                await _timed(target, read, r * step, (r + 1) * step)
    async with AsyncExitStack() as stack:
        conns = {id(t): await stack.enter_async_context(_connection(t.url)) for t in everyone}
        for target in everyone:  # warm-up
            for read in target.calls:
                await _replayed(target, read, conns[id(target)], 0, 10)
            target.sql_latencies.clear()
        for r in range(rounds):
            for target in everyone:
                for read in target.calls:
                    await _replayed(target, read, conns[id(target)], r * step, (r + 1) * step)
    reads: dict[str, Any] = {}
    for target in everyone:
        for read, values in target.latencies.items():
            sql = target.sql_latencies[read]
            reads.setdefault(read, {})[str(target.size)] = {
                "calls": len(values),
                "p50_ms": round(statistics.median(values) * 1000, 2),
                "p99_ms": round(_pct(values, 0.99) * 1000, 2),
                "sql_p50_ms": round(statistics.median(sql) * 1000, 3),
                "sql_p99_ms": round(_pct(sql, 0.99) * 1000, 3),
            }
    return reads


@asynccontextmanager
async def _connection(url: str) -> AsyncIterator[asyncpg.Connection]:
    conn = await asyncpg.connect(_pg(url))
    try:
        yield conn
    finally:
        await conn.close()


async def _plans(everyone: list[Target]) -> dict[str, list[str]]:
    largest = max(t.size for t in everyone)
    return {read: await _explain(t, read) for t in everyone if t.size == largest for read in t.calls}


async def bench_scale(
    dsn: str,
    rows: list[int],
    *,
    calls: int = 300,
    rounds: int = 5,
    before: dict[str, str] | None = None,
    progress: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Seed ``rows`` applications (each size its own databases), measure the three reads through the
    services' apps (p50/p99 over ``calls`` sequential calls each, sizes interleaved in ``rounds``) and
    explain their statements at the largest size. Latencies in milliseconds. With ``before`` (service ->
    Alembic revision), the databases are seeded at those revisions and measured first ("before"), then
    upgraded to head and measured again: what the later migrations bought, on the same rows."""
    now = datetime.now(UTC).replace(microsecond=0)
    issuer = TestIssuer()
    results: dict[str, Any] = {"rows": rows, "calls": calls, "seed_seconds": {}, "reads": {}, "plans": {}}
    async with AsyncExitStack() as stack:
        everyone: list[Target] = []
        for n in rows:
            urls = {s: await stack.enter_async_context(fresh_pg_database(dsn)) for s in ("application", "workflow")}
            for service, url in urls.items():  # one at a time: Alembic's context is global
                await migrate(url, service, (before or {}).get(service, "head"))
            took = await asyncio.gather(*(seed(url, service, n, now) for service, url in urls.items()))
            results["seed_seconds"][str(n)] = round(max(took), 1)
            progress(f"seeded {n:,} applications in {max(took):.0f} s")
            for service, url in urls.items():
                app, client = await stack.enter_async_context(serve(service, url, issuer))
                target = Target(size=n, app=app, client=client, url=url, service=service)
                target.calls = await _calls(url, service, n, calls, issuer)
                everyone.append(target)
        if before:
            results["before"] = {"revisions": before, "reads": await _measure(everyone, calls, rounds)}
            results["before"]["plans"] = await _plans(everyone)
            progress("measured before; upgrading to head")
            started = time.perf_counter()
            for target in everyone:
                await migrate(target.url, target.service)
                await target.app.state.runtime.db.engine.dispose()  # no statement cached on the old schema
            results["upgrade_seconds"] = round(time.perf_counter() - started, 1)
        results["reads"] = await _measure(everyone, calls, rounds)
        results["plans"] = await _plans(everyone)
    return results


def scale_lines(results: dict[str, Any]) -> list[str]:
    """A Markdown table: p50 and p99 of each read per size, through the service's app and of its SQL alone,
    and the ratio of the largest size to the smallest (the target: within 2 x)."""
    sizes = sorted(results["rows"])
    small, large = str(sizes[0]), str(sizes[-1])
    head = "| read | " + " | ".join(f"p50 / p99 at {n:,} (ms)" for n in sizes) + " | ratio p50 | ratio p99 |"
    lines = [head, "|" + "---|" * (len(sizes) + 3)]
    for read in READS:
        figures = results["reads"].get(read)
        if not figures:
            continue
        for what, key in (("app", ""), ("SQL alone", "sql_")):
            p50, p99 = f"{key}p50_ms", f"{key}p99_ms"
            cells = [f"{figures[str(n)][p50]:.2f} / {figures[str(n)][p99]:.2f}" for n in sizes]
            ratio50 = figures[large][p50] / figures[small][p50]
            ratio99 = figures[large][p99] / figures[small][p99]
            lines.append(f"| {read}, {what} | " + " | ".join(cells) + f" | {ratio50:.2f} x | {ratio99:.2f} x |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", default="10000,10000000", help="comma-separated numbers of applications")
    parser.add_argument("--calls", type=int, default=300, help="calls per read and size")
    parser.add_argument(
        "--before", default="", help="measure at these revisions first, e.g. application_0006,workflow_0003"
    )
    args = parser.parse_args()
    dsn = os.environ.get("GOV_TEST_PG_DSN")
    if not dsn:
        sys.exit("set GOV_TEST_PG_DSN (scripts/infra.sh env)")
    rows = [int(r) for r in args.rows.split(",")]
    before = {r.split("_")[0]: r for r in args.before.split(",") if r}
    results = asyncio.run(bench_scale(dsn, rows, calls=args.calls, before=before or None))
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "scale.json").write_text(json.dumps(results, indent=2, ensure_ascii=False))
    if "before" in results:
        print("before (" + ", ".join(results["before"]["revisions"].values()) + "):")
        print("\n".join(scale_lines({"rows": rows, "reads": results["before"]["reads"]})))
        print("\nafter (head):")
    print("\n".join(scale_lines(results)))
    for read, plan in results.get("before", {}).get("plans", {}).items():
        print(f"\n## {read} at {max(rows):,}, before\n" + "\n".join(plan))
    for read, plan in results["plans"].items():
        print(f"\n## {read} at {max(rows):,}\n" + "\n".join(plan))


if __name__ == "__main__":
    main()
