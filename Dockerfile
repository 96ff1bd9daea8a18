# One image for the gateway and every service; the SERVICE variable picks which one a container runs.
#   docker build -t gov-platform .
#   docker run -e SERVICE=catalog -e CATALOG_DATABASE_URL=... gov-platform
FROM python:3.11-slim-bookworm AS build
RUN pip install --no-cache-dir uv==0.13.9
WORKDIR /app
ENV UV_LINK_MODE=copy UV_PYTHON_DOWNLOADS=never UV_COMPILE_BYTECODE=1
COPY pyproject.toml uv.lock ./
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
RUN uv sync --frozen --no-dev \
    && find /app -name tests -type d -prune -exec rm -rf {} +

FROM python:3.11-slim-bookworm
RUN useradd --system --uid 10001 --no-create-home gov
WORKDIR /app
# Migrations are read from the source tree at run time (migrations_dir), so it travels with the venv.
COPY --from=build /app /app
# FORWARDED_ALLOW_IPS: the proxies whose X-Forwarded-For is believed (the ingress for the gateway, the
# gateway's pod range for services); anything wider lets a caller forge its address (lockouts, audit).
ENV PATH=/app/.venv/bin:$PATH PYTHONUNBUFFERED=1 GOV_ENVIRONMENT=production GOV_MIGRATE_ON_START=false \
    SERVICE=gateway PORT=8080 FORWARDED_ALLOW_IPS=127.0.0.1
USER 10001
EXPOSE 8080
# exec: uvicorn is PID 1 and gets SIGTERM for a graceful shutdown.
CMD ["sh", "-c", "exec uvicorn \"${SERVICE}.main:create_app\" --factory --host 0.0.0.0 --port \"${PORT}\" --no-access-log --timeout-graceful-shutdown 20 --proxy-headers --forwarded-allow-ips \"${FORWARDED_ALLOW_IPS}\""]
