"""Submissions under load through the gateway: the gateway, svc-application and svc-workflow run as real
processes (as ``make run`` starts them), on PostgreSQL + Kafka and on the embedded default. ``users``
citizens submit again and again for ``seconds``; each submission is a draft (``POST applications``), three
material uploads and the submit. The item reaches both services as ``catalog.item.published`` on the bus
(no catalog process); tokens are TestIssuer's, its JWKS served from a file.

Reported per backend: submissions/s, p50/p99 per call kind, the event lag ``application.submitted`` -> case
open (``case.opened_at - application.submitted_at`` from the two databases), and correctness re-checked
under the same load: the same Idempotency-Key replayed concurrently gives one application and one
submission; one case per submission; 200 bookings racing for 20 places book exactly 20.

``replicas=2`` runs application and workflow as ``uvicorn --workers 2`` (the gateway has one upstream per
service, so the workers share its port).

    uv run python scripts/bench/submit.py [--users 20] [--seconds 60] [--replicas 1] [--backend pg|embedded|both]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine
from tools import free_port  # scripts/bench, the script's folder

from gov_common.bus import EventBus
from gov_common.bus.embedded import EmbeddedBus
from gov_common.bus.kafka import KafkaBus
from gov_common.testing import TestIssuer
from gov_contracts.catalog import ItemPublished
from gov_contracts.testing import envelope, implementation_code, item_definition, item_published
from gov_standards.calendar import default_calendar
from gov_standards.china_time import CHINA_TZ, china_date, utcnow

ROOT = Path(__file__).resolve().parents[2]
MATERIALS = ("申请书", "场所证明", "设备布局图")
FORM = {"name": "南宁好味餐饮有限公司"}
# Gateway limits off: every simulated citizen comes from one address.
NO_LIMITS = {"GATEWAY_RATE_LIMIT_PER_ADDRESS": "0", "GATEWAY_RATE_LIMIT_PER_CLIENT": "0"}
UPLOAD_BYTES = 50 * 1024


def _definition() -> Any:
    return item_definition(
        materials=[{"name": n} for n in MATERIALS],
        form_schema={"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]},
        process={"steps": [{"kind": "accept", "name": "受理", "role": "窗口受理人员", "share_percent": 100}]},
        fees=[],
    )


def _pdf(size: int) -> bytes:
    """A distinct PDF-looking file (the service sniffs its type; distinct content is stored apart)."""
    head = b"%PDF-1.4\n%" + uuid.uuid4().hex.encode() + b"\n"
    return head + os.urandom(max(0, size - len(head)))


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(q * len(ordered) + 0.5) - 1))]


def _ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as resp:
            return int(resp.status) == 200
    except (urllib.error.URLError, OSError):
        return False


# ------------------------------------------------------------------------------------------ the platform
class Platform:
    """gateway + application + workflow (+ a JWKS file server) in ``tmp``; ``urls`` of each service."""

    def __init__(self, tmp: Path, env: dict[str, str], replicas: int) -> None:
        self.tmp, self.env, self.replicas = tmp, env, replicas
        self.ports = {name: free_port() for name in ("gateway", "application", "workflow", "jwks")}
        self.procs: list[subprocess.Popen[bytes]] = []
        self.issuer = TestIssuer(issuer="https://bench.gov/api/identity")
        (tmp / "jwks").write_text(json.dumps(asyncio.run(self.issuer._jwks())))
        self.env.update(
            GOV_DATA_DIR=str(tmp),
            GOV_LOG_LEVEL="WARNING",
            GOV_DEMO_DATA="false",
            GOV_JWKS_URL=f"http://127.0.0.1:{self.ports['jwks']}/jwks",
            GOV_REVOCATION_URL="off",
            GOV_TOKEN_ISSUER=self.issuer.issuer,
            GOV_TOKEN_AUDIENCE=self.issuer.audience,
            GATEWAY_UPSTREAMS=json.dumps({s: self.url(s) for s in ("application", "workflow")}),
            APPLICATION_CERTIFICATES_URL="",
            **NO_LIMITS,
        )

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.ports[name]}"

    def start(self) -> None:
        (self.tmp / "logs").mkdir(exist_ok=True)
        self.procs.append(
            subprocess.Popen(
                [sys.executable, "-m", "http.server", str(self.ports["jwks"]), "--bind", "127.0.0.1"],
                cwd=self.tmp, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )
        )  # fmt: skip
        for name in ("application", "workflow", "gateway"):
            workers = ["--workers", str(self.replicas)] if self.replicas > 1 and name != "gateway" else []
            cmd = [
                sys.executable, "-m", "uvicorn", f"{name}.main:create_app", "--factory", "--host", "127.0.0.1",
                "--port", str(self.ports[name]), "--no-access-log", "--log-level", "warning", *workers,
            ]  # fmt: skip
            with (self.tmp / "logs" / f"{name}.log").open("ab") as log:
                self.procs.append(
                    subprocess.Popen(
                        cmd, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
                    )
                )
            if name == "application" and self.replicas > 1:
                # Workers of one service migrate the same database: let the first finish before the next.
                self._wait(name, 120)
        for name in ("application", "workflow", "gateway"):
            self._wait(name, 120)

    def _wait(self, name: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not _ready(f"{self.url(name)}/readyz"):
            if time.monotonic() > deadline or any(p.poll() is not None for p in self.procs):
                log = (self.tmp / "logs" / f"{name}.log").read_text(errors="replace")[-3000:]
                raise RuntimeError(f"{name} did not become ready:\n{log}")
            time.sleep(0.2)

    def stop(self) -> None:
        for proc in reversed(self.procs):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def bus(self) -> EventBus:
        """A client of the services' bus (for publishing the item)."""
        if self.env.get("GOV_EVENT_BUS") == "kafka":
            return KafkaBus(self.env["GOV_KAFKA_BOOTSTRAP_SERVERS"], client_id="bench")
        return EmbeddedBus(self.tmp / "events.db")

    def database_url(self, service: str) -> str:
        return self.env.get(f"{service.upper()}_DATABASE_URL") or f"sqlite+aiosqlite:///{self.tmp / service}.db"


@contextmanager
def platform(backend: str, pg_dsn: str, kafka: str, replicas: int) -> Iterator[Platform]:
    tmp = Path(tempfile.mkdtemp(prefix=f"bench-submit-{backend}-"))
    env = dict(os.environ)
    for name in ("GOV_DATABASE_URL", "GOV_EVENT_BUS", "APPLICATION_DATABASE_URL", "WORKFLOW_DATABASE_URL"):
        env.pop(name, None)
    prefix = f"bsub{uuid.uuid4().hex[:8]}"
    if backend == "pg":
        base = make_url(pg_dsn).set(drivername="postgresql+asyncpg")
        for service in ("application", "workflow"):
            url = base.set(database=f"{prefix}_{service}").render_as_string(hide_password=False)
            env[f"{service.upper()}_DATABASE_URL"] = url
        env.update(GOV_EVENT_BUS="kafka", GOV_KAFKA_BOOTSTRAP_SERVERS=kafka, GOV_TOPIC_PREFIX=f"{prefix}.")
        asyncio.run(_databases(pg_dsn, prefix, create=True))
    plat = Platform(tmp, env, replicas)
    try:
        plat.start()
        yield plat
    finally:
        plat.stop()
        if backend == "pg":
            asyncio.run(_databases(pg_dsn, prefix, create=False))
        shutil.rmtree(tmp, ignore_errors=True)


async def _databases(pg_dsn: str, prefix: str, *, create: bool) -> None:
    conn = await asyncpg.connect(make_url(pg_dsn).set(drivername="postgresql").render_as_string(hide_password=False))
    try:
        for service in ("application", "workflow"):
            verb = "CREATE DATABASE" if create else "DROP DATABASE IF EXISTS"
            await conn.execute(f'{verb} "{prefix}_{service}"' + ("" if create else " WITH (FORCE)"))
    finally:
        await conn.close()


# ------------------------------------------------------------------------------------------ the load
class Calls:
    """Milliseconds per call kind, and the statuses that were not expected."""

    def __init__(self) -> None:
        self.ms: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, int] = defaultdict(int)
        self.recording = True

    async def call(
        self, http: aiohttp.ClientSession, kind: str, method: str, url: str, expect: int, **kwargs: Any
    ) -> dict[str, Any]:
        started = time.perf_counter()
        async with http.request(method, url, **kwargs) as resp:
            body = await resp.read()
            status = resp.status
        if self.recording:
            self.ms[kind].append((time.perf_counter() - started) * 1000)
        if status != expect:
            self.errors[f"{kind} {status}"] += 1
            raise RuntimeError(f"{kind}: {status} {body[:300]!r}")
        return json.loads(body) if body else {}


async def one_submission(
    http: aiohttp.ClientSession, calls: Calls, api: str, code: str, headers: dict[str, str], size: int
) -> dict[str, Any]:
    draft = await calls.call(
        http,
        "create",
        "POST",
        f"{api}/v1/applications",
        201,
        json={"item_code": code, "applicant": {"name": "张三", "id_number": "11010519491231002X"}, "form": FORM},
        headers={**headers, "Idempotency-Key": uuid.uuid4().hex},
    )
    for name in MATERIALS:
        form = aiohttp.FormData()
        form.add_field("name", name)
        form.add_field("file", _pdf(size), filename=f"{name}.pdf", content_type="application/pdf")
        await calls.call(
            http, "upload", "POST", f"{api}/v1/applications/{draft['id']}/materials", 201, data=form, headers=headers
        )
    return await calls.call(
        http,
        "submit",
        "POST",
        f"{api}/v1/applications/{draft['id']}/submit",
        200,
        json={},
        headers={**headers, "Idempotency-Key": uuid.uuid4().hex},
    )


async def _publish_item(plat: Platform) -> str:
    definition = _definition()
    code = implementation_code(definition)
    bus = plat.bus()
    await bus.start()
    try:
        topic = plat.env.get("GOV_TOPIC_PREFIX", "") + ItemPublished.topic
        await bus.publish(topic, [envelope(item_published(definition, code=code))])
    finally:
        await bus.stop()
    return code


async def _replays(http: aiohttp.ClientSession, api: str, code: str, headers: dict[str, str]) -> dict[str, Any]:
    """The same Idempotency-Key sent 5 times at once, for a create and for a submit: one answer each."""
    key = uuid.uuid4().hex
    body = {"item_code": code, "applicant": {"name": "张三", "id_number": "11010519491231002X"}, "form": FORM}

    async def post(url: str, json_body: dict[str, Any], k: str) -> tuple[int, dict[str, Any]]:
        async with http.post(url, json=json_body, headers={**headers, "Idempotency-Key": k}) as resp:
            return resp.status, await resp.json(content_type=None)

    created = await asyncio.gather(*(post(f"{api}/v1/applications", body, key) for _ in range(5)))
    ids = {b.get("id") for s, b in created if s == 201}
    app_id = next(iter(ids))
    for name in MATERIALS:
        form = aiohttp.FormData()
        form.add_field("name", name)
        form.add_field("file", _pdf(1024), filename="x.pdf", content_type="application/pdf")
        async with http.post(f"{api}/v1/applications/{app_id}/materials", data=form, headers=headers) as resp:
            assert resp.status == 201, await resp.text()
    skey = uuid.uuid4().hex
    submitted = await asyncio.gather(*(post(f"{api}/v1/applications/{app_id}/submit", {}, skey) for _ in range(5)))
    numbers = {b.get("tracking_number") for s, b in submitted if s == 200}
    return {
        "create_statuses": sorted(s for s, _ in created),
        "create_ids": len(ids),
        "submit_statuses": sorted(s for s, _ in submitted),
        "tracking_numbers": len(numbers),
        "ok": len(ids) == 1 and len(numbers) == 1 and all(s == 201 for s, _ in created)
        and all(s == 200 for s, _ in submitted),
    }  # fmt: skip


async def _booking_race(http: aiohttp.ClientSession, api: str, plat: Platform, users: int) -> dict[str, Any]:
    """200 bookings at ``users`` at once for one slot with 4 windows x 5 places: exactly 20 booked."""
    admin = {
        "Authorization": f"Bearer {plat.issuer.token('admin', kind='staff', roles=['staff_admin'], region='450100', ttl_seconds=3600)}"
    }
    async with http.post(
        f"{api}/v1/halls",
        json={"name": "bench", "region": "450100", "address": "bench hall", "periods": [["09:00", "12:00"]],
              "slot_minutes": 30, "windows": [{"name": f"w{i}", "capacity_per_slot": 5} for i in range(4)]},
        headers=admin,
    ) as resp:  # fmt: skip
        hall = await resp.json()
    day = china_date(utcnow()) + timedelta(days=1)
    while not default_calendar().is_working_day(day):
        day += timedelta(days=1)
    start = datetime(day.year, day.month, day.day, 9, 0, tzinfo=CHINA_TZ).isoformat()
    gate = asyncio.Semaphore(users)
    statuses: list[int] = []

    async def book(i: int) -> None:
        token = plat.issuer.token(f"booker-{i}", kind="citizen", ttl_seconds=3600)
        async with (
            gate,
            http.post(
                f"{api}/v1/appointments",
                json={"hall_id": hall["id"], "slot_start": start},
                headers={"Authorization": f"Bearer {token}", "Idempotency-Key": uuid.uuid4().hex},
            ) as resp,
        ):
            statuses.append(resp.status)

    await asyncio.gather(*(book(i) for i in range(200)))
    booked = statuses.count(201)
    return {"booked": booked, "refused_full": statuses.count(409), "other": len(statuses) - booked - statuses.count(409),
            "ok": booked == 20}  # fmt: skip


async def _rows(url: str, query: str) -> list[Any]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            return list((await conn.execute(sa.text(query))).all())
    finally:
        await engine.dispose()


def _utc(value: Any) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


async def _cases_settled(plat: Platform, timeout: float = 60) -> tuple[list[Any], list[Any]]:
    """Submitted applications and cases once every submission has its case (or ``timeout`` passed)."""
    deadline = time.monotonic() + timeout
    while True:
        apps = await _rows(
            plat.database_url("application"),
            "SELECT tracking_number, submitted_at FROM application WHERE submitted_at IS NOT NULL",
        )
        cases = await _rows(
            plat.database_url("workflow"), 'SELECT tracking_number, opened_at, application_id FROM "case"'
        )
        if len(cases) >= len(apps) or time.monotonic() > deadline:
            return apps, cases
        await asyncio.sleep(0.5)


async def run_load(plat: Platform, users: int, seconds: float, size: int = UPLOAD_BYTES) -> dict[str, Any]:
    api = f"{plat.url('gateway')}/api/application"
    code = await _publish_item(plat)
    headers = [
        {"Authorization": f"Bearer {plat.issuer.token(f'citizen-{i}', kind='citizen', ttl_seconds=3600)}"}
        for i in range(users)
    ]
    calls = Calls()
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=120)) as http:
        deadline = time.monotonic() + 60  # both services have the item once a warm-up submission opens a case
        while True:
            try:
                await one_submission(http, calls, api, code, headers[0], size)
                break
            except RuntimeError:
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.5)
        for _ in range(3):  # warm-up: connection pools, caches
            await asyncio.gather(*(one_submission(http, calls, api, code, h, size) for h in headers))
        await _cases_settled(plat)
        calls = Calls()
        done: list[float] = []
        failures: list[str] = []
        stop_at = time.monotonic() + seconds

        async def user(h: dict[str, str]) -> None:
            while time.monotonic() < stop_at:
                try:
                    await one_submission(http, calls, api, code, h, size)
                    done.append(time.monotonic())
                except Exception as exc:  # counted and reported; the user goes on
                    failures.append(f"{type(exc).__name__}: {str(exc)[:150]}")

        started = time.monotonic()
        submitted_since = datetime.now(UTC)
        await asyncio.gather(*(user(h) for h in headers))
        wall = time.monotonic() - started
        calls.recording = False
        replays = await _replays(http, api, code, headers[0])
        booking = await _booking_race(http, api, plat, users)
    apps, cases = await _cases_settled(plat)
    opened = {r[0]: _utc(r[1]) for r in cases}
    lags = [
        (opened[n] - _utc(at)).total_seconds() * 1000 for n, at in apps if n in opened and _utc(at) >= submitted_since
    ]
    return {
        "users": users,
        "replicas": plat.replicas,
        "seconds": round(wall, 1),
        "submissions": len(done),
        "submissions_per_s": round(len(done) / wall, 1),
        "failed": len(failures),
        "failures": sorted(set(failures))[:5],
        "errors": dict(calls.errors),
        "calls": {
            kind: {"calls": len(v), "p50_ms": round(percentile(v, 0.5), 1), "p99_ms": round(percentile(v, 0.99), 1)}
            for kind, v in sorted(calls.ms.items())
        },
        "event_lag_p50_ms": round(percentile(lags, 0.5)) if lags else None,
        "event_lag_p99_ms": round(percentile(lags, 0.99)) if lags else None,
        "one_case_per_submission": len(cases) == len(apps) == len({r[2] for r in cases}),
        "submitted_applications": len(apps),
        "cases": len(cases),
        "idempotent_replays": replays,
        "booking_race": booking,
    }


@contextmanager
def application_read_target(backend: str, pg_dsn: str = "", kafka: str = "") -> Iterator[dict[str, Any]]:
    """A running platform (``pg`` or ``embedded``) with one submitted application (3 materials): yields the
    URLs of ``GET /v1/applications/{id}`` and ``/healthz`` on the application process itself (no gateway)
    and the owner's ``headers``, for wrk (run.py's ``_wrk``) to load both in the same run."""
    with platform(backend, pg_dsn, kafka, 1) as plat:
        headers = {"Authorization": f"Bearer {plat.issuer.token('reader', kind='citizen', ttl_seconds=3600)}"}

        async def one() -> dict[str, Any]:
            code = await _publish_item(plat)
            async with aiohttp.ClientSession() as http:
                for _ in range(120):  # until the item has reached application
                    try:
                        return await one_submission(
                            http, Calls(), f"{plat.url('gateway')}/api/application", code, headers, 1024
                        )
                    except RuntimeError:
                        await asyncio.sleep(0.5)
            raise RuntimeError("the item never reached application")

        app = asyncio.run(one())
        yield {
            "get": f"{plat.url('application')}/v1/applications/{app['id']}",
            "healthz": f"{plat.url('application')}/healthz",
            "headers": headers,
        }


def bench_submissions(users: int, seconds: float, pg_dsn: str, kafka: str, replicas: int = 1) -> dict[str, Any]:
    """The load on PostgreSQL + Kafka, then on the embedded default (empty ``pg_dsn``: embedded only)."""
    results: dict[str, Any] = {}
    for backend in ("pg", "embedded") if pg_dsn else ("embedded",):
        with platform(backend, pg_dsn, kafka, replicas) as plat:
            results["postgres_kafka" if backend == "pg" else "embedded"] = asyncio.run(run_load(plat, users, seconds))
    return results


def submission_lines(results: dict[str, Any]) -> list[str]:
    """README lines: one per backend, then the correctness checks."""
    lines = []
    for backend, r in results.items():
        c = r["calls"]
        per_call = ", ".join(f"{k} p50 {v['p50_ms']} / p99 {v['p99_ms']} ms" for k, v in c.items())
        checks = (
            f"replayed keys: {r['idempotent_replays']['create_ids']} application, "
            f"{r['idempotent_replays']['tracking_numbers']} tracking number; "
            f"cases {r['cases']} for {r['submitted_applications']} submissions; "
            f"booking race {r['booking_race']['booked']} booked of 20 places"
        )
        lines.append(
            f"- {backend}, {r['users']} submitters, {r['replicas']} replica(s) of application and workflow, "
            f"{r['seconds']} s: **{r['submissions_per_s']} submissions/s** ({r['submissions']}, {r['failed']} failed); "
            f"{per_call}; submitted -> case open p50 {r['event_lag_p50_ms']} / p99 {r['event_lag_p99_ms']} ms; {checks}"
        )
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--replicas", type=int, default=1)
    parser.add_argument("--backend", choices=("pg", "embedded", "both"), default="both")
    parser.add_argument("--json", action="store_true", help="print the whole result as JSON")
    args = parser.parse_args()
    pg_dsn = os.environ.get("GOV_TEST_PG_DSN", "") if args.backend != "embedded" else ""
    kafka = os.environ.get("GOV_TEST_KAFKA_BOOTSTRAP", "")
    if args.backend == "pg":
        with platform("pg", pg_dsn, kafka, args.replicas) as plat:
            results = {"postgres_kafka": asyncio.run(run_load(plat, args.users, args.seconds))}
    else:
        results = bench_submissions(args.users, args.seconds, pg_dsn, kafka, args.replicas)
    print(json.dumps(results, indent=2, ensure_ascii=False) if args.json else "\n".join(submission_lines(results)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
