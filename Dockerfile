# One image for the gateway and every service; the SERVICE variable picks which one a container runs, and
# `gov-migrate <service>` (the migration Job) runs from the same image.
#   docker build -t registry.example.cn/gov-platform:0.1.0 .
#   docker build --build-arg PYTHON_IMAGE=<mirror>/python:3.11-slim-bookworm ...   (no Docker Hub)
#   docker run -e SERVICE=catalog -e GOV_DATABASE_URL=... -e GOV_KAFKA_BOOTSTRAP_SERVERS=... <image>
# Needs BuildKit (Docker 20.10 or later) for the cache mounts. No `# syntax=` line on purpose: it would make
# every build fetch the docker/dockerfile frontend from Docker Hub, even one given a mirrored PYTHON_IMAGE;
# the frontend built into BuildKit has all this file uses. To pin a frontend anyway, pass
# --build-arg BUILDKIT_SYNTAX=<mirror>/docker/dockerfile:1. scripts/image-check.sh builds the image and runs
# every process as deploy/k8s does (read-only root, uid 10001) and probes it.
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# Build: uv (the version the Makefile pins) installs the locked dependencies into /app/.venv.
FROM ${PYTHON_IMAGE} AS build
RUN pip install --no-cache-dir uv==0.13.9
WORKDIR /app
ENV UV_LINK_MODE=copy UV_PYTHON_DOWNLOADS=never UV_COMPILE_BYTECODE=1 UV_PYTHON=python3.11
# The dependencies first, from the lock and the members' pyproject files only: this layer is rebuilt when
# they change, not on every change of the code.
COPY pyproject.toml uv.lock ./
COPY libs/common/pyproject.toml libs/common/
COPY libs/standards/pyproject.toml libs/standards/
COPY libs/contracts/pyproject.toml libs/contracts/
COPY libs/web/pyproject.toml libs/web/
COPY gateway/pyproject.toml gateway/
COPY svc-identity/pyproject.toml svc-identity/
COPY svc-catalog/pyproject.toml svc-catalog/
COPY svc-application/pyproject.toml svc-application/
COPY svc-workflow/pyproject.toml svc-workflow/
COPY svc-certificates/pyproject.toml svc-certificates/
COPY svc-payment/pyproject.toml svc-payment/
COPY svc-exchange/pyproject.toml svc-exchange/
COPY svc-evaluation/pyproject.toml svc-evaluation/
COPY svc-hall/pyproject.toml svc-hall/
COPY svc-hotline/pyproject.toml svc-hotline/
COPY portal/pyproject.toml portal/
COPY workbench/pyproject.toml workbench/
RUN --mount=type=cache,target=/root/.cache/uv uv sync --frozen --no-dev --no-install-workspace
# Then the code. Workspace members stay editable: a service finds its Alembic migrations next to its
# source (migrations_dir), so the source tree travels with the venv.
COPY libs ./libs
COPY gateway ./gateway
COPY svc-identity ./svc-identity
COPY svc-catalog ./svc-catalog
COPY svc-application ./svc-application
COPY svc-workflow ./svc-workflow
COPY svc-certificates ./svc-certificates
COPY svc-payment ./svc-payment
COPY svc-exchange ./svc-exchange
COPY svc-evaluation ./svc-evaluation
COPY svc-hall ./svc-hall
COPY svc-hotline ./svc-hotline
COPY portal ./portal
COPY workbench ./workbench
# The workspace's own modules are compiled here (uv compiles only site-packages): the root file system is
# read-only at run time, so Python could not cache them and would compile them again at every start.
RUN --mount=type=cache,target=/root/.cache/uv uv sync --frozen --no-dev \
    && find /app -name tests -type d -prune -exec rm -rf {} + \
    && .venv/bin/python -m compileall -q libs gateway svc-* portal workbench

# Runtime: the same Python, the venv and the code; no uv, no compiler, no package cache. Files belong to
# root and are read-only for the process, which runs as an unprivileged numeric user (runAsNonRoot can
# check a number, not a name).
FROM ${PYTHON_IMAGE} AS runtime
RUN groupadd --system --gid 10001 gov \
    && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin gov \
    && mkdir -p /var/lib/gov && chown 10001:10001 /var/lib/gov
WORKDIR /app
COPY --from=build /app /app
# FORWARDED_ALLOW_IPS: the proxies whose X-Forwarded-For is believed (the ingress for the gateway, the
# gateway's pod range for services; deploy/k8s sets both); anything wider lets a caller forge its address
# (lockouts, audit, rate limits). The default believes no one outside the container.
ENV PATH=/app/.venv/bin:$PATH PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 \
    GOV_ENVIRONMENT=production GOV_MIGRATE_ON_START=false GOV_DATA_DIR=/var/lib/gov \
    SERVICE=gateway PORT=8080 FORWARDED_ALLOW_IPS=127.0.0.1 KEEP_ALIVE_SECONDS=75
USER 10001:10001
EXPOSE 8080
# exec: uvicorn replaces the shell as PID 1 and gets SIGTERM itself, for a graceful shutdown.
# KEEP_ALIVE_SECONDS: how long an idle client connection stays open. It must outlast every caller's own
# idle timeout (ingress-nginx keeps upstream connections 60 s, httpx clients 5 s), or a caller sends a
# request on a connection the server is closing that moment and gets no answer; uvicorn's 5 s did.
CMD ["sh", "-c", "exec uvicorn \"${SERVICE}.main:create_app\" --factory --host 0.0.0.0 --port \"${PORT}\" --no-access-log --timeout-graceful-shutdown 20 --timeout-keep-alive \"${KEEP_ALIVE_SECONDS}\" --proxy-headers --forwarded-allow-ips \"${FORWARDED_ALLOW_IPS}\""]
