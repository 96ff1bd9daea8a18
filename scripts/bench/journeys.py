"""Journeys under load: ``users`` citizens at once, each running journey 1 (tests/e2e/citizen_journey.py:
register, sign in through OIDC, search, apply with an e-license, supplement, pay, receive, verify, rate)
again and again through the gateway for ``seconds``, while robot staff (three Nanning accounts) handle the
cases as they arrive. The platform is the one the end-to-end tests start (tests/e2e/harness.py), on
PostgreSQL + Kafka or on the embedded default.

Reported: journeys completed per minute (wall time until the last started journey ends), p50/p99 of every
API call by method and route (the time until the whole response is read), and the event lag from
``application.submitted`` to the case being open in workflow, read from the two services' databases
(``case.opened_at - application.submitted_at``).

Rate limits are off for the run: every simulated person comes from one address, and three staff accounts
act for fifty citizens, which the gateway's per-address and per-person limits (and certificates' limit on
public verification per address) would rightly refuse.
"""

from __future__ import annotations

import asyncio
import re
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "e2e"))

import citizen_journey  # noqa: E402
import harness  # noqa: E402

NO_LIMITS = {
    "GATEWAY_RATE_LIMIT_PER_ADDRESS": "0",
    "GATEWAY_RATE_LIMIT_PER_CLIENT": "0",
    # Public verification is limited per address in certificates itself (60/minute).
    "CERTIFICATES_VERIFY_RATE_LIMIT": "100000/minute",
}
# A path segment that names one thing (ids, tracking numbers, license identifiers, codes) rather than a route.
_ID_SEGMENT = re.compile(r"^(?=.*\d)[^/]{8,}$")


def route_of(method: str, path: str) -> str:
    """``GET /api/application/v1/applications/{id}`` for any concrete id."""
    segments = ["{id}" if _ID_SEGMENT.match(s) else s for s in path.split("/")]
    return f"{method} {'/'.join(segments)}"


def percentile(sorted_values: list[float], q: float) -> float:
    """The nearest-rank percentile of already sorted values."""
    index = max(0, min(len(sorted_values) - 1, round(q * len(sorted_values) + 0.5) - 1))
    return sorted_values[index]


class CallTimes:
    """Seconds per API call by route, filled by httpx event hooks from many threads."""

    def __init__(self) -> None:
        self.by_route: dict[str, list[float]] = defaultdict(list)
        self.statuses: dict[int, int] = defaultdict(int)
        self._lock = threading.Lock()

    def hooks(self) -> dict[str, list[Any]]:
        def started(request: httpx.Request) -> None:
            request.extensions["bench_started"] = time.perf_counter()

        def finished(response: httpx.Response) -> None:
            response.read()
            elapsed = time.perf_counter() - response.request.extensions["bench_started"]
            route = route_of(response.request.method, response.request.url.path)
            with self._lock:
                self.by_route[route].append(elapsed)
                self.statuses[response.status_code] += 1

        return {"request": [started], "response": [finished]}

    def summary(self, min_calls: int) -> dict[str, dict[str, float]]:
        out = {}
        for route, values in sorted(self.by_route.items()):
            if len(values) < min_calls:
                continue
            ordered = sorted(values)
            out[route] = {
                "calls": len(ordered),
                "p50_ms": round(percentile(ordered, 0.5) * 1000, 1),
                "p99_ms": round(percentile(ordered, 0.99) * 1000, 1),
            }
        return out


@contextmanager
def timed_clients(times: CallTimes) -> Iterator[None]:
    """Every client the journey opens (citizens' and staff's browsers) reports its calls to ``times``."""
    original = citizen_journey.client

    def client(platform: harness.Platform) -> httpx.Client:
        return httpx.Client(base_url=platform.gateway, timeout=120, event_hooks=times.hooks())

    citizen_journey.client = client
    try:
        yield
    finally:
        citizen_journey.client = original


async def event_lags(platform: harness.Platform) -> list[float]:
    """Seconds from each application's submission to its case being open, for every case of the run."""

    async def rows(service: str, query: str) -> dict[str, Any]:
        engine = create_async_engine(platform.database_url(service))
        try:
            async with engine.connect() as conn:
                return {r[0]: r[1] for r in (await conn.execute(text(query))).all()}
        finally:
            await engine.dispose()

    submitted = await rows(
        "application", "SELECT tracking_number, submitted_at FROM application WHERE submitted_at IS NOT NULL"
    )
    opened = await rows("workflow", 'SELECT tracking_number, opened_at FROM "case"')
    return sorted((_aware(opened[n]) - _aware(at)).total_seconds() for n, at in submitted.items() if n in opened)


def _aware(value: Any) -> Any:
    """SQLite gives the stored text or naive times; both services store UTC."""
    from datetime import UTC, datetime

    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def run_load(platform: harness.Platform, users: int, seconds: float) -> dict[str, Any]:
    times = CallTimes()
    with timed_clients(times):
        setup = citizen_journey.prepare(platform)
        citizen_journey.run_journey(setup)  # warm-up: caches, connection pools, consumer groups settled
        times.by_route.clear()
        times.statuses.clear()
        done: list[float] = []
        failures: list[str] = []
        lock = threading.Lock()
        stop_at = time.monotonic() + seconds

        def user() -> None:
            while time.monotonic() < stop_at:
                started = time.monotonic()
                try:
                    citizen_journey.run_journey(setup)
                except Exception as exc:  # a failed journey is counted and reported, the user goes on
                    where = " ".join(getattr(exc, "__notes__", []))
                    if isinstance(exc, httpx.RequestError):  # no response, so no route in the times
                        where += f", {route_of(exc.request.method, exc.request.url.path)}"
                    with lock:
                        failures.append(f"{where}: {type(exc).__name__}: {str(exc)[:200]}")
                    continue
                with lock:
                    done.append(time.monotonic() - started)

        started = time.monotonic()
        threads = [threading.Thread(target=user, name=f"user-{n}") for n in range(users)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        wall = time.monotonic() - started
        setup.staff.close()
    lags = asyncio.run(event_lags(platform))
    durations = sorted(done)
    return {
        "backend": platform.backend,
        "users": users,
        "wall_seconds": round(wall, 1),
        "journeys": len(done),
        "failed_journeys": len(failures),
        "failures": failures[:5],
        # How many failed for each reason (the first words of the error).
        "failure_kinds": dict(Counter(f[:90] for f in failures).most_common()),
        "journeys_per_minute": round(len(done) / wall * 60, 1),
        "journey_p50_s": round(percentile(durations, 0.5), 1) if durations else None,
        "journey_p99_s": round(percentile(durations, 0.99), 1) if durations else None,
        "event_lag_p50_ms": round(percentile(lags, 0.5) * 1000) if lags else None,
        "event_lag_p99_ms": round(percentile(lags, 0.99) * 1000) if lags else None,
        "statuses": dict(times.statuses),
        "calls": times.summary(min_calls=max(5, users // 2)),
    }


def bench_journeys(users: int, seconds: float, pg_admin_dsn: str, kafka_bootstrap: str) -> dict[str, Any]:
    """The load on PostgreSQL + Kafka, then on the embedded default, one platform at a time."""
    results = {}
    with tempfile.TemporaryDirectory(prefix="bench-journeys-") as tmp:
        for sub in ("pg", "embedded"):
            (Path(tmp) / sub).mkdir()
        with harness.postgres_platform(Path(tmp) / "pg", pg_admin_dsn, kafka_bootstrap, **NO_LIMITS) as platform:
            results["postgres_kafka"] = run_load(platform, users, seconds)
        with harness.embedded_platform(Path(tmp) / "embedded", **NO_LIMITS) as platform:
            results["embedded"] = run_load(platform, users, seconds)
    return results
