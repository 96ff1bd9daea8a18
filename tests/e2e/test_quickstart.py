"""`make run` as a user meets it: the launcher starts all nine processes on the embedded default, every
service answers through the gateway, and Ctrl-C (or the launcher's death) leaves no process behind."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from browser import chromium, new_context
from harness import free_port_base

from gov_common.testing import SERVICES

ROOT = Path(__file__).resolve().parents[2]


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie still answers kill(0); it is dead for our purpose.
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().split(") ", 1)[1][0] != "Z"


def start_platform(data_dir: Path, base: int, **extra_env: str) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GOV_", "GATEWAY_"))} | extra_env
    return subprocess.Popen(
        [sys.executable, "scripts/run.py", "--port-base", str(base), "--data-dir", str(data_dir)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip


def wait_ready(proc: subprocess.Popen[str], timeout: float = 120) -> str:
    assert proc.stdout is not None
    seen = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line and proc.poll() is not None:
            break
        seen.append(line)
        if "Press Ctrl-C to stop" in line:
            return "".join(seen)
    raise AssertionError("the platform did not become ready:\n" + "".join(seen))


@pytest.fixture
def platform(tmp_path: Path):  # type: ignore[no-untyped-def]
    base = free_port_base(82)  # up to the web front-ends' ports (portal + 80, workbench + 81)
    proc = start_platform(tmp_path, base)
    try:
        banner = wait_ready(proc)
        yield proc, base, tmp_path, banner
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def api_reference_renders(gateway: str, merged: dict[str, Any]) -> None:
    """Headless Chromium with no route out (tests/e2e/browser.py) opens make run's /api/docs: every operation
    of the merged document is on the page, everything it loaded came from the gateway, nothing failed to load
    and the page's CSP refused nothing."""
    expected = {
        f"operations-{op['tags'][0]}-{op['operationId']}"
        for item in merged["paths"].values()
        for op in item.values()
        if isinstance(op, dict) and "operationId" in op
    }
    with chromium() as browser:
        context = new_context(browser)
        loaded: list[str] = []
        trouble: list[str] = []
        context.on("request", lambda request: loaded.append(request.url))
        context.on("requestfailed", lambda request: trouble.append(f"failed: {request.url}"))
        page = context.new_page()
        page.on("console", lambda msg: trouble.append(msg.text) if msg.type in ("error", "warning") else None)
        page.on("pageerror", lambda error: trouble.append(f"script error: {error}"))
        page.goto(f"{gateway}/api/docs")
        page.wait_for_function(f"document.querySelectorAll('.opblock').length >= {len(expected)}")
        shown = set(page.eval_on_selector_all(".opblock", "blocks => blocks.map(b => b.id)"))
        context.close()
    assert len(expected) > 100 and shown == expected, sorted(expected ^ shown)[:10]
    assert not [url for url in loaded if not url.startswith((gateway + "/", "data:", "blob:"))], loaded
    assert not trouble, trouble


def test_make_run_serves_every_service_and_stops_cleanly(platform) -> None:  # type: ignore[no-untyped-def]
    proc, base, data_dir, banner = platform
    gateway = f"http://127.0.0.1:{base}"
    assert f"{gateway}/api/docs" in banner
    pids = json.loads((data_dir / "pids.json").read_text())
    assert set(pids) == {*SERVICES, "gateway", "portal", "workbench"}

    with httpx.Client(base_url=gateway, timeout=10) as client:
        for service in SERVICES:
            ready = client.get(f"/api/{service}/readyz", headers={"X-Request-ID": f"e2e-{service}"})
            assert ready.status_code == 200, (service, ready.text)
            assert ready.json()["checks"] == {"database": "ok", "event_bus": "ok"}
            assert ready.headers["x-request-id"] == f"e2e-{service}"
        # The demo citizen's 营业执照 (README's quick start) is printed and verifies publicly.
        licence = re.search(r"zhangsan's wallet holds a 营业执照 \(e-license (\S+)\)", banner)
        assert licence, banner
        assert client.get(f"/api/certificates/v1/verify/{licence[1]}").json()["result"] == "authentic"
        merged = client.get("/api/openapi.json").json()
        docs = client.get("/api/docs")
        unknown = client.get("/api/nowhere/v1/x")
    assert {p.split("/")[2] for p in merged["paths"]} >= set(SERVICES)
    assert not merged.get("x-unavailable-services")
    assert docs.status_code == 200 and "swagger" in docs.text.lower()
    api_reference_renders(gateway, merged)
    assert unknown.status_code == 404 and unknown.headers["content-type"] == "application/problem+json"
    for service in SERVICES:
        assert (data_dir / f"{service}.db").exists()
    assert (data_dir / "events.db").exists()

    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=30) == 0
    deadline = time.monotonic() + 5
    while any(alive(pid) for pid in pids.values()) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [name for name, pid in pids.items() if alive(pid)], "orphan processes after Ctrl-C"


def test_children_die_with_a_killed_launcher(platform) -> None:  # type: ignore[no-untyped-def]
    proc, _base, data_dir, _banner = platform
    pids = json.loads((data_dir / "pids.json").read_text())
    proc.kill()  # SIGKILL: the launcher cannot clean up; the kernel tells the children
    proc.wait()
    deadline = time.monotonic() + 20
    while any(alive(pid) for pid in pids.values()) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [name for name, pid in pids.items() if alive(pid)]


def test_make_run_on_postgres_and_kafka(tmp_path: Path, pg_admin_dsn: str, kafka_bootstrap: str) -> None:
    """The same launcher on the production backends: it creates one database per service and migrates it.
    Application and workflow run as two worker processes each, as when scaled out: the workers migrate and
    seed their database one at a time (once), and serve together."""
    prefix = f"q{uuid.uuid4().hex[:8]}"
    template = pg_admin_dsn.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1)
    base = free_port_base(82)  # up to the web front-ends' ports (portal + 80, workbench + 81)
    proc = start_platform(
        tmp_path,
        base,
        GOV_EVENT_BUS="kafka",
        GOV_KAFKA_BOOTSTRAP_SERVERS=kafka_bootstrap,
        GOV_DATABASE_URL_TEMPLATE=f"{template}/{prefix}_{{service}}",
        GOV_WORKERS="application=2,workflow=2",
    )
    try:
        banner = wait_ready(proc)
        assert "event bus: kafka" in banner
        halls = asyncio.run(_count(pg_admin_dsn, f"{prefix}_application", "SELECT count(*) FROM hall"))
        assert halls == 1, "two workers seeded the demo hall once"
        assert len(_children(json.loads((tmp_path / "pids.json").read_text())["application"])) == 2
        with httpx.Client(base_url=f"http://127.0.0.1:{base}", timeout=10) as client:
            for service in SERVICES:
                ready = client.get(f"/api/{service}/readyz")
                assert ready.status_code == 200, (service, ready.text)
        assert not list(tmp_path.glob("*.db")), "no SQLite file when PostgreSQL is configured"
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        asyncio.run(_drop_databases(pg_admin_dsn, prefix))


async def _count(admin_dsn: str, database: str, query: str) -> int:
    conn = await asyncpg.connect(admin_dsn.rsplit("/", 1)[0] + "/" + database)
    try:
        return int(await conn.fetchval(query))
    finally:
        await conn.close()


def _children(pid: int) -> list[int]:
    """The worker processes uvicorn's supervisor ``pid`` started (its multiprocessing helper aside)."""
    tasks = Path(f"/proc/{pid}/task")
    found = []
    for task in tasks.iterdir():
        for child in (task / "children").read_text().split():
            cmdline = Path(f"/proc/{child}/cmdline").read_bytes()
            if b"resource_tracker" not in cmdline:
                found.append(int(child))
    return found


async def _drop_databases(admin_dsn: str, prefix: str) -> None:
    conn = await asyncpg.connect(admin_dsn)
    try:
        names = [
            r["datname"]
            for r in await conn.fetch("SELECT datname FROM pg_database WHERE datname LIKE $1", prefix + "%")
        ]
        assert {name.removeprefix(f"{prefix}_") for name in names} == {*SERVICES, "portal", "workbench"}, names
        for name in names:
            await conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
    finally:
        await conn.close()
