"""The whole platform as real processes for end-to-end tests: the gateway and the eight services started
the way ``make run`` starts them (scripts/run.py), on fresh PostgreSQL databases and the real Kafka broker
or on the embedded default, with one process at a time killable and restartable.

Journeys talk to :attr:`Platform.gateway` only. The processes die with the test process
(PR_SET_PDEATHSIG, set by scripts/run.py) and are stopped by :meth:`Platform.close` at teardown; the
PDEATHSIG fires when the *thread* that started a process ends, so start processes from a long-lived
thread (pytest's main thread).
"""

from __future__ import annotations

import asyncio
import fcntl
import importlib
import importlib.util
import os
import random
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import closing, contextmanager
from pathlib import Path
from types import ModuleType
from typing import Literal

import asyncpg

from gov_common.testing import SERVICES

ROOT = Path(__file__).resolve().parents[2]
PROCESSES = (*SERVICES, "gateway")
LOCK_FILE = ROOT / ".var" / "e2e-kafka.lock"
READY_TIMEOUT = 180.0  # nine Python processes booting at once on a loaded two-core machine


def _load(relative: str) -> ModuleType:
    """A Python file that is not in a package (a script, a test module) loaded as a module."""
    path = ROOT / relative
    spec = importlib.util.spec_from_file_location(f"gov_e2e_{path.stem}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


# The processes start exactly as `make run` starts them.
launcher = _load("scripts/run.py")
# Moving the consumer groups past earlier runs' events: the handling-loop test's helper, for all groups.
skip_stale_events = _load("tests/integration/test_handling_loop.py").skip_stale_events


def _ephemeral_ports() -> range:
    """The ports the kernel hands to outgoing connections (a client of Kafka or PostgreSQL may take any of
    them between our check and the service's bind)."""
    try:
        low, high = map(int, Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split())
    except (OSError, ValueError):
        low, high = 32768, 60999
    return range(low, high + 1)


def free_port_base(count: int = len(PROCESSES)) -> int:
    """A base port with ``count`` consecutive free ports from it, outside the ephemeral range, so that no
    outgoing connection can take one before the process that should listen there binds it."""
    ephemeral = _ephemeral_ports()
    # Below the ephemeral range when the machine leaves room there (Linux: 32768-60999 by default).
    top = min(32000, ephemeral.start) if ephemeral.start > 20000 + 2 * count else 32000
    rng = random.Random()
    for _ in range(200):
        base = rng.randrange(20000, top - count)
        try:
            for port in range(base, base + count):
                with socket.socket() as s:
                    s.bind(("127.0.0.1", port))
        except OSError:
            continue
        return base
    raise RuntimeError("no free port range")


def consumer_groups() -> dict[str, list[str]]:
    """Every consumer group the services use and its topics, read from their ``SPEC``s."""
    groups: dict[str, list[str]] = {}
    for service in SERVICES:
        spec = importlib.import_module(f"{service}.main").SPEC
        for sub in spec.subscriptions:
            groups.setdefault(sub.group, []).extend(sub.topics)
    return groups


async def _drop_databases(admin_dsn: str, prefix: str) -> None:
    conn = await asyncpg.connect(admin_dsn)
    try:
        rows = await conn.fetch("SELECT datname FROM pg_database WHERE datname LIKE $1", prefix + "\\_%")
        for row in rows:
            await conn.execute(f'DROP DATABASE IF EXISTS "{row["datname"]}" WITH (FORCE)')
    finally:
        await conn.close()


class Platform:
    """The nine processes of one platform. ``gateway`` is the only URL journeys call; ``url(service)``
    reaches a service directly (fault tests, diagnostics)."""

    def __init__(
        self,
        data_dir: Path,
        backend: Literal["postgres", "embedded"],
        env: Mapping[str, str],
        *,
        pg_admin_dsn: str | None = None,
        db_prefix: str | None = None,
    ) -> None:
        self.backend = backend
        self.data_dir = data_dir
        self._pg_admin_dsn = pg_admin_dsn
        self._db_prefix = db_prefix
        self._launcher = launcher.Platform("127.0.0.1", free_port_base(), data_dir, base_env=env)
        # The web front-ends' ports are their own (launcher: base + 80, + 81), checked free like the others;
        # started on demand.
        self._launcher.ports["portal"] = free_port_base(1)
        self._launcher.ports["workbench"] = free_port_base(1)
        self.gateway: str = self._launcher.url("gateway")
        self.portal: str = self._launcher.url("portal")
        self.workbench: str = self._launcher.url("workbench")
        self._overrides: dict[str, dict[str, str]] = {}

    def url(self, service: str) -> str:
        return str(self._launcher.url(service))

    def pid(self, service: str) -> int:
        return int(self._launcher.procs[service].pid)

    def log(self, service: str, lines: int = 60) -> str:
        return str(self._launcher.tail(service, lines))

    def database_url(self, service: str) -> str:
        """The URL ``service`` reaches its database at (PostgreSQL; SQLite on the embedded default)."""
        env = self._launcher.env() | self._overrides.get(service, {})
        return str(env.get(f"{service.upper()}_DATABASE_URL") or f"sqlite+aiosqlite:///{self.data_dir}/{service}.db")

    def demo_text(self, service: str) -> str:
        """What ``service`` printed about its demo data (``make run`` shows it): sign-in names, TOTP secrets."""
        return (self.data_dir / "demo" / f"{service}.txt").read_text()

    def start_all(self) -> None:
        """The services and the gateway as `make run` starts them (the web front-ends on demand: :meth:`start`)."""
        names = (*launcher.SERVICES, "gateway")
        self._launcher.start(names)
        self._wait_ready(names)

    def start(self, service: str, **env: str) -> None:
        """(Re)start one process with ``env`` added to the platform's environment (kept for its later
        restarts); wait until /readyz is 200."""
        proc = self._launcher.procs.get(service)
        if proc is not None and proc.poll() is None:
            raise RuntimeError(f"{service} is still running (pid {proc.pid})")
        overrides = self._overrides.setdefault(service, {})
        overrides.update(env)
        self._launcher.start_one(service, self._launcher.env() | overrides)
        self._wait_ready((service,))

    def kill(self, service: str) -> None:
        """SIGKILL: the process gets no chance to finish anything."""
        proc = self._launcher.procs[service]
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)

    def restart(self, service: str, **env: str) -> None:
        """A graceful stop (SIGTERM, in-flight requests finish) and :meth:`start`."""
        proc = self._launcher.procs[service]
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        self.start(service, **env)

    def close(self) -> None:
        """Stop every process, then drop this platform's databases."""
        self._launcher.stop()
        if self._pg_admin_dsn and self._db_prefix:
            asyncio.run(_drop_databases(self._pg_admin_dsn, self._db_prefix))

    def _wait_ready(self, names: tuple[str, ...]) -> None:
        failed = self._launcher.wait_ready(READY_TIMEOUT, names)
        if failed:
            raise RuntimeError(f"{failed} did not become ready; its log ends with:\n{self.log(failed)}")


def _clean_env(data_dir: Path) -> dict[str, str]:
    """This process's environment without platform settings a developer's shell may hold."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GOV_", "GATEWAY_"))}
    return env | {"GOV_DATA_DIR": str(data_dir), "GOV_DEMO_DATA": "true"}


@contextmanager
def kafka_turn(timeout: float = 1800.0) -> Iterator[None]:
    """Hold the machine-wide turn to consume the shared topics: the services' consumer groups have fixed
    names, so two platforms on one broker would split each other's events. Waits for the platform of
    another test process (another e2e module running at the same time) to finish."""
    LOCK_FILE.parent.mkdir(parents=True, exist_ok=True)
    with LOCK_FILE.open("w") as lock:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"another platform held {LOCK_FILE} for {timeout:.0f}s") from None
                time.sleep(1)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


@contextmanager
def postgres_platform(
    data_dir: Path, pg_admin_dsn: str, kafka_bootstrap: str, *, pg_address: str | None = None, **env: str
) -> Iterator[Platform]:
    """The platform on fresh PostgreSQL databases (``<prefix>_<service>``, dropped afterwards) and Kafka, its
    consumer groups moved past earlier runs' events. ``pg_address`` (``host:port``) is where the services
    reach PostgreSQL, e.g. a proxy a fault test can cut; databases are created through ``pg_admin_dsn``."""
    prefix = f"e2e{uuid.uuid4().hex[:8]}"
    base = pg_admin_dsn.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1)
    if pg_address:
        base = base.rsplit("@", 1)[0] + "@" + pg_address
    admin_base = pg_admin_dsn.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1)
    platform_env = _clean_env(data_dir) | {
        "GOV_EVENT_BUS": "kafka",
        "GOV_KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "GOV_DATABASE_URL_TEMPLATE": f"{base}/{prefix}_{{service}}",
        **env,
    }
    with kafka_turn():
        platform = Platform(data_dir, "postgres", platform_env, pg_admin_dsn=pg_admin_dsn, db_prefix=prefix)
        with closing(platform):
            asyncio.run(launcher._ensure_pg_databases(f"{admin_base}/{prefix}_{{service}}"))
            asyncio.run(skip_stale_events(kafka_bootstrap, consumer_groups()))
            platform.start_all()
            yield platform


@contextmanager
def embedded_platform(data_dir: Path, **env: str) -> Iterator[Platform]:
    """The platform on ``make run``'s embedded default: SQLite files and the embedded event log in ``data_dir``."""
    platform = Platform(data_dir, "embedded", _clean_env(data_dir) | env)
    with closing(platform):
        platform.start_all()
        yield platform
