"""What every benchmark here needs: free ports, wrk and nginx from Debian's packages, waiting for a URL,
one wrk run read into figures, and nginx proxying a set of prefixes (the baseline a proxy is held to)."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def apt_install(*programs: str) -> None:
    """Install the Debian packages of the same names unless the programs are there already."""
    missing = [p for p in programs if not shutil.which(p) and not Path(f"/usr/sbin/{p}").exists()]
    if not missing:
        return
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    cmd = [*sudo, "apt-get", "install", "-y", "--no-install-recommends", *missing]
    if subprocess.run(cmd, env=env, check=False).returncode != 0:
        subprocess.run([*sudo, "apt-get", "update"], env=env, check=True)
        subprocess.run(cmd, env=env, check=True)


def wait_http(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} never answered")


def wrk(url: str, seconds: int, connections: int, headers: Mapping[str, str] | None = None) -> dict[str, float]:
    """One wrk run (one thread, ``connections`` kept-alive connections): requests/s, p50/p99 ms, non-2xx/3xx."""
    header_args = [arg for name, value in (headers or {}).items() for arg in ("-H", f"{name}: {value}")]
    out = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", *header_args, url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    lat = {
        m.group(1): float(m.group(2)) * _UNITS[m.group(3)] for m in re.finditer(r"\s(50|99)%\s+([\d.]+)(us|ms|s)", out)
    }
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rps": rps, "p50_ms": lat["50"], "p99_ms": lat["99"], "non_2xx": float(errors.group(1)) if errors else 0.0}


def best_of(
    targets: Mapping[str, tuple[str, Mapping[str, str] | None]], seconds: int, connections: int, rounds: int
) -> dict[str, dict[str, float]]:
    """The best of ``rounds`` wrk runs per target, interleaved so that drift of the machine hits every one."""
    runs: dict[str, list[dict[str, float]]] = {name: [] for name in targets}
    for _ in range(rounds):
        for name, (url, headers) in targets.items():
            wrk(url, 2, connections, headers)  # warm-up
            runs[name].append(wrk(url, seconds, connections, headers))
    return {name: max(r, key=lambda x: x["rps"]) for name, r in runs.items()}


@contextmanager
def nginx_proxy(routes: Mapping[str, str], folder: Path) -> Iterator[int]:
    """nginx (one worker, keep-alive to the upstreams) proxying each ``/prefix/`` of ``routes`` to its
    upstream's root; yields its port."""
    apt_install("nginx")
    port = free_port()
    upstreams = "\n".join(
        f"  upstream u{n} {{ server {url.removeprefix('http://')}; keepalive 64; }}"
        for n, url in enumerate(routes.values())
    )
    locations = "\n".join(
        f"    location {prefix.rstrip('/')}/ {{ proxy_pass http://u{n}/; proxy_http_version 1.1; "
        f'proxy_set_header Connection ""; }}'
        for n, prefix in enumerate(routes)
    )
    conf = folder / "nginx.conf"
    conf.write_text(f"""
worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/nginx-error.log warn;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  client_body_temp_path {folder}/body; proxy_temp_path {folder}/proxy;
  fastcgi_temp_path {folder}/fcgi; uwsgi_temp_path {folder}/uwsgi; scgi_temp_path {folder}/scgi;
{upstreams}
  server {{
    listen 127.0.0.1:{port};
{locations}
  }}
}}
""")
    proc = subprocess.Popen([shutil.which("nginx") or "/usr/sbin/nginx", "-c", str(conf), "-g", "daemon off;"])
    try:
        yield port
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
