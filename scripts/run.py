#!/usr/bin/env python3
"""Start the whole platform on one machine: the gateway and the eight services, each its own process.

Embedded default: SQLite files and the embedded event log under ``--data-dir`` (``.var/run``), nothing
to install. On PostgreSQL and Kafka: set ``GOV_EVENT_BUS=kafka``, ``GOV_KAFKA_BOOTSTRAP_SERVERS`` and
``GOV_DATABASE_URL_TEMPLATE`` (e.g. ``postgresql+asyncpg://gov:gov@127.0.0.1:5432/gov_{service}``; the
databases are created when missing). Ctrl-C (or SIGTERM) stops everything; children also die with
this process if it is killed (PR_SET_PDEATHSIG), so nothing is left behind.

``GOV_WORKERS`` runs services as several processes on their one port (uvicorn workers), e.g.
``GOV_WORKERS=application=2,workflow=2``, or ``GOV_WORKERS=2`` for every service and the gateway: nothing
a service keeps in its process has to be shared (see README "Scaling out"). One worker each by default: on a
two-core machine the nine processes already share the cores.
"""

from __future__ import annotations

import argparse
import asyncio
import ctypes
import ipaddress
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Order matters: identity first (the others fetch its keys), the gateway last (it fronts the others).
SERVICES = [
    "identity",
    "catalog",
    "application",
    "workflow",
    "certificates",
    "payment",
    "exchange",
    "evaluation",
    "hall",
    "hotline",
]
# The web front-ends call the gateway like any other client; the portal listens on 8080 (port base + 80), the
# staff workbench on 8081 (port base + 81).
WEB = ["portal", "workbench"]
OFFSETS = {name: i + 1 for i, name in enumerate(SERVICES)} | {"gateway": 0, "portal": 80, "workbench": 81}
PROCESSES = [*SERVICES, "gateway", *WEB]
# The demo portal's confidential client secret, as identity's demo data registers it.
PORTAL_DEMO_SECRET = "demo-portal-web-secret"
# The demo workbench's confidential client secret, as identity's demo data registers it.
WORKBENCH_DEMO_SECRET = "demo-workbench-web-secret"


def _die_with_parent() -> None:
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


async def _ensure_pg_databases(template: str) -> None:
    import asyncpg
    from sqlalchemy.engine import make_url

    first = make_url(template.format(service=SERVICES[0]))
    admin = first.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
    conn = await asyncpg.connect(admin)
    try:
        existing = {r["datname"] for r in await conn.fetch("SELECT datname FROM pg_database")}
        for name in [*SERVICES, *WEB]:
            db = make_url(template.format(service=name)).database
            if db and db not in existing:
                await conn.execute(f'CREATE DATABASE "{db}"')
    finally:
        await conn.close()


def forwarding_args(name: str, host: str) -> list[str]:
    """uvicorn's trust in X-Forwarded-* for process ``name`` when the platform listens on ``host``: the
    gateway and the portal are the edge (nothing in front of them is trusted, so a caller cannot choose the address it is
    limited and audited by); a service trusts only the address the gateway reaches it from."""
    if name == "gateway" or name in WEB:
        return ["--no-proxy-headers"]
    return ["--proxy-headers", "--forwarded-allow-ips", _gateway_source(host)]


def _gateway_source(host: str) -> str:
    """The address the gateway's connections to ``host`` come from (the gateway runs on this machine)."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:  # a name such as localhost
        return "127.0.0.1,::1"
    if address.is_unspecified or address.is_loopback:
        return "127.0.0.1" if address.version == 4 else "::1"
    return str(address)


def workers_from(spec: str) -> dict[str, int]:
    """``GOV_WORKERS``: ``"2"`` (every process) or ``"application=2,workflow=3"``; 1 for the others."""
    spec = spec.strip()
    if not spec:
        return {}
    if spec.isdigit():
        return dict.fromkeys([*SERVICES, "gateway"], int(spec))
    counts = {}
    for part in spec.split(","):
        name, _, count = part.partition("=")
        name = name.strip()
        if name not in OFFSETS or not count.strip().isdigit() or int(count) < 1:
            raise SystemExit(f"GOV_WORKERS: {part!r} is not <service>=<count> (services: {', '.join(OFFSETS)})")
        counts[name] = int(count)
    return counts


def _get(url: str, timeout: float = 2.0) -> int:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return int(resp.status)
    except urllib.error.HTTPError as exc:
        return exc.code
    except (urllib.error.URLError, OSError):
        return 0


class Platform:
    def __init__(self, host: str, port_base: int, data_dir: Path, base_env: Mapping[str, str] | None = None) -> None:
        self.host = host
        self.ports = {name: port_base + off for name, off in OFFSETS.items()}
        self.data_dir = data_dir
        self.logs = data_dir / "logs"
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        # The environment the processes inherit: this process's unless a caller (the e2e harness) gives one.
        self.base_env = dict(os.environ if base_env is None else base_env)
        self.workers = workers_from(self.base_env.get("GOV_WORKERS", ""))

    def url(self, name: str) -> str:
        return f"http://{self.host}:{self.ports[name]}"

    def env(self) -> dict[str, str]:
        env = dict(self.base_env)
        env.setdefault("GOV_DATA_DIR", str(self.data_dir))
        env.setdefault("GOV_DEMO_DATA", "true")
        env.setdefault("GOV_JWKS_URL", f"{self.url('identity')}/.well-known/jwks.json")
        env.setdefault("GOV_TOKEN_ISSUER", f"{self.url('gateway')}/api/identity")
        env.setdefault("GATEWAY_UPSTREAMS", json.dumps({s: self.url(s) for s in SERVICES}))
        # The sandbox payment channel runs inside svc-payment and calls it back over HTTP.
        env.setdefault("PAYMENT_SANDBOX_ENABLED", "true")
        # svc-certificates asks identity who a citizen holder is, as the demo client identity seeds.
        env.setdefault("CERTIFICATES_IDENTITY_URL", self.url("identity"))
        env.setdefault("CERTIFICATES_IDENTITY_CLIENT_SECRET", "demo-svc-certificates-secret")
        env.setdefault("CERTIFICATES_PUBLIC_BASE_URL", f"{self.url('gateway')}/api/certificates")
        env.setdefault("APPLICATION_CERTIFICATES_URL", self.url("certificates"))
        # A kiosk's case look-up: the hall asks application, which asks identity who the applicant is; its
        # check-ins ask identity whether the person is the appointment's holder; its prints ask certificates.
        env.setdefault("APPLICATION_IDENTITY_URL", self.url("identity"))
        env.setdefault("APPLICATION_IDENTITY_CLIENT_SECRET", "demo-svc-application-secret")
        env.setdefault("HALL_IDENTITY_URL", self.url("identity"))
        env.setdefault("HALL_IDENTITY_CLIENT_SECRET", "demo-svc-hall-secret")
        env.setdefault("HALL_APPLICATION_URL", self.url("application"))
        env.setdefault("HALL_CERTIFICATES_URL", self.url("certificates"))
        env.setdefault("PAYMENT_NOTIFY_BASE_URL", self.url("payment"))
        env.setdefault("PAYMENT_SANDBOX_BASE_URL", f"{self.url('payment')}/sandbox-channel")
        env.setdefault("PAYMENT_PUBLIC_BASE_URL", f"{self.url('gateway')}/api/payment")  # the sandbox's pay page
        # After paying on the channel's page, the person comes back to their space in the portal.
        env.setdefault("PAYMENT_RETURN_URL", f"{self.url('portal')}/me")
        # The portal: a confidential OIDC client of identity, reaching the platform through the gateway only.
        env.setdefault("IDENTITY_DEMO_PORTAL_URL", self.url("portal"))
        env.setdefault("PORTAL_PUBLIC_URL", self.url("portal"))
        env.setdefault("PORTAL_GATEWAY_URL", self.url("gateway"))
        env.setdefault("PORTAL_CLIENT_SECRET", PORTAL_DEMO_SECRET)
        # Its anonymous usage counts go to the catalog, where staff read the usage statistics.
        env.setdefault("PORTAL_USAGE_CLIENT_SECRET", "demo-portal-usage-secret")
        env.setdefault("PORTAL_USAGE_REPORT_SECONDS", "10")
        # The staff workbench: the same, with staff scopes; staff sign in with their TOTP code.
        env.setdefault("IDENTITY_DEMO_WORKBENCH_URL", self.url("workbench"))
        env.setdefault("WORKBENCH_PUBLIC_URL", self.url("workbench"))
        env.setdefault("WORKBENCH_GATEWAY_URL", self.url("gateway"))
        env.setdefault("WORKBENCH_CLIENT_SECRET", WORKBENCH_DEMO_SECRET)
        template = env.get("GOV_DATABASE_URL_TEMPLATE")
        if template:
            for name in [*SERVICES, *WEB]:
                env.setdefault(f"{name.upper()}_DATABASE_URL", template.format(service=name))
        return env

    def start(self, names: Sequence[str] = PROCESSES) -> None:
        env = self.env()
        for name in names:
            self.start_one(name, env)

    def start_one(self, name: str, env: Mapping[str, str] | None = None) -> subprocess.Popen[bytes]:
        """Start one process (again, e.g. after it was killed) with ``env`` (default :meth:`env`)."""
        self.logs.mkdir(parents=True, exist_ok=True)
        cmd = [
            sys.executable, "-m", "uvicorn", f"{name}.main:create_app", "--factory",
            "--host", self.host, "--port", str(self.ports[name]),
            "--no-access-log", "--timeout-graceful-shutdown", "10",
            # As in the image: idle connections outlive the callers' own idle timeouts (see the Dockerfile).
            "--timeout-keep-alive", "75",
            *forwarding_args(name, self.host),
            *(["--workers", str(self.workers[name])] if self.workers.get(name, 1) > 1 else []),
        ]  # fmt: skip
        with (self.logs / f"{name}.log").open("ab") as log:
            self.procs[name] = subprocess.Popen(
                cmd, cwd=ROOT, env=dict(self.env() if env is None else env), stdout=log, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=True, preexec_fn=_die_with_parent,
            )  # fmt: skip
        (self.data_dir / "pids.json").write_text(json.dumps({n: p.pid for n, p in self.procs.items()}))
        return self.procs[name]

    def wait_ready(self, timeout: float, names: Sequence[str] = PROCESSES) -> str | None:
        """None when all of ``names`` are ready, else the name of the first that died or never became ready."""
        deadline = time.monotonic() + timeout
        pending = list(names)
        while pending:
            for name in list(pending):
                if self.procs[name].poll() is not None:
                    return name
                if _get(f"{self.url(name)}/readyz") == 200:
                    pending.remove(name)
            if time.monotonic() > deadline:
                return pending[0]
            time.sleep(0.2)
        return None

    def stop(self) -> None:
        # The gateway first, so no new request reaches a service that is stopping.
        for name in [*WEB, "gateway", *reversed(SERVICES)]:
            proc = self.procs.get(name)
            if proc and proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 15
        for proc in self.procs.values():
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def tail(self, name: str, lines: int = 30) -> str:
        path = self.logs / f"{name}.log"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default=os.environ.get("GOV_HOST", "127.0.0.1"))
    parser.add_argument("--port-base", type=int, default=int(os.environ.get("GOV_PORT_BASE", "8000")))
    parser.add_argument("--data-dir", type=Path, default=Path(os.environ.get("GOV_DATA_DIR", ROOT / ".var" / "run")))
    parser.add_argument("--ready-timeout", type=float, default=120)
    args = parser.parse_args()
    data_dir = args.data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)

    template = os.environ.get("GOV_DATABASE_URL_TEMPLATE")
    if template and template.startswith("postgresql"):
        asyncio.run(_ensure_pg_databases(template))

    platform = Platform(args.host, args.port_base, data_dir)
    stopping = False

    def on_signal(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)

    platform.start()
    failed = platform.wait_ready(args.ready_timeout)
    if failed and not stopping:
        print(f"{failed} did not become ready; its log ({platform.logs / (failed + '.log')}) ends with:")
        print(platform.tail(failed))
        platform.stop()
        return 1

    gw, portal, workbench = platform.url("gateway"), platform.url("portal"), platform.url("workbench")
    demo = [
        f"  {path.stem}:\n" + "".join(f"    {line}\n" for line in path.read_text().splitlines())
        for path in sorted((data_dir / "demo").glob("*.txt"))
        if path.read_text().strip()
    ]
    # The portal first: it is where a person starts (the API reference is for developers).
    print(f"\nPortal: {portal}/  (start here)", flush=True)
    if demo:
        print("\nDemo data:\n" + "".join(demo), end="")
    bus = os.environ.get("GOV_EVENT_BUS", "embedded")
    print(
        f"\nThe platform is ready (event bus: {bus}; data and logs in {data_dir}).\n"
        f"  Portal:         {portal}/   (citizens: sign in as zhangsan, password Demo-2026-gx)\n"
        f"  Workbench:      {workbench}/   (staff: nn-acceptor, nn-reviewer, nn-approver, or nn-supervisor for\n"
        "                  电子监察; nn-acceptor is also the hall window clerk (窗口服务: check-in, 身份核验,\n"
        "                  代为登记, 受理通知书); nn-catalog-editor / nn-catalog-publisher for 事项目录 and 审查要点;\n"
        "                  nn-staff-admin for 人员管理; password Demo-2026-gx, then the TOTP code of that\n"
        "                  account's secret listed under identity above)\n"
        f"  Gateway:        {gw}/api/<service>/...\n"
        f"  API reference:  {gw}/api/docs   (merged OpenAPI at {gw}/api/openapi.json)\n"
        "Press Ctrl-C to stop.",
        flush=True,
    )
    while not stopping:
        for name, proc in platform.procs.items():
            if proc.poll() is not None:
                print(f"{name} exited with {proc.returncode}; stopping. Its log ends with:\n{platform.tail(name)}")
                stopping = True
                break
        time.sleep(0.5)
    print("Stopping...", flush=True)
    platform.stop()
    print("Stopped.", flush=True)
    return 0 if not any(p.returncode not in (0, -signal.SIGTERM) for p in platform.procs.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
