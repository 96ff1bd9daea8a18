#!/usr/bin/env bash
# Image check: builds the platform's one image (Dockerfile) and runs every process of it the way
# deploy/k8s runs it, then probes it. Needs a Docker daemon with BuildKit (a CLI of 23 or later needs the
# buildx plugin; a 20.10 CLI has BuildKit built in). Nothing is left behind but the image (and the base,
# with --make-base).
#
#   scripts/image-check.sh                       build FROM python:3.11-slim-bookworm, check all nine
#   scripts/image-check.sh --base mirror.example.cn/library/python:3.11-slim-bookworm
#   scripts/image-check.sh --make-base           no registry for the base: make local/python:3.11-bookworm
#                                                from Debian's packages (debootstrap; root) and use it
#   scripts/image-check.sh --no-build --services "catalog gateway"
#   scripts/image-check.sh --diff                the same runs with a writable root, then `docker diff`
#                                                lists every file a process wrote outside its volumes
#
# Per process, as its Deployment (base/template/deployment.yaml) has it: uid/gid 10001, read-only root
# file system, all capabilities dropped, no privilege escalation, /tmp and /var/lib/gov (GOV_DATA_DIR) as
# writable volumes, application's materials and exchange's national folder as volumes below it, the memory
# limit (512 MiB), platform-config's settings with GOV_ENVIRONMENT=production, the production secrets
# (generated here), and SIGTERM at the end (it must exit 0 within the 30 s grace period). Instead of
# PostgreSQL and Kafka: the embedded default (a SQLite file per service in its data volume, the embedded
# event log). Per service with a database: `gov-migrate <service>` first, twice (the Job: idempotent), in
# its own container with the Job's security context, on the same data volume; then the service starts with
# GOV_MIGRATE_ON_START=false. Probes: /healthz until 200 (the startupProbe allows 120 s), then /readyz 200;
# the gateway last, with GATEWAY_UPSTREAMS naming the other containers, its /readyz listing every upstream
# ready, and public routes proxied through it. Logs are searched for write failures and tracebacks.
#
# Ports: 127.0.0.1:PORT_BASE.. (IMAGE_CHECK_PORT_BASE, default 18080), one per process.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
REPO="$(cd "$SCRIPT_DIR/.." && pwd -P)"

BASE="${PYTHON_IMAGE:-python:3.11-slim-bookworm}"
TAG="${IMAGE_CHECK_TAG:-gov-platform:check}"
ALL_SERVICES="identity catalog application workflow certificates payment exchange evaluation hall gateway"
SERVICES="$ALL_SERVICES"
PORT_BASE="${IMAGE_CHECK_PORT_BASE:-18080}"
DEBIAN_MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
STAND_IN="local/python:3.11-bookworm"
MAKE_BASE=0 BUILD=1 DIFF=0 KEEP=0
NICE=(nice -n "${IMAGE_CHECK_NICE:-10}")
PREFIX="gov-check"
NET="$PREFIX-net"

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit "${1:-0}"; }
while [ $# -gt 0 ]; do
  case "$1" in
    --base) BASE="$2"; shift 2 ;;
    --make-base) MAKE_BASE=1; BASE="$STAND_IN"; shift ;;
    --tag) TAG="$2"; shift 2 ;;
    --services) SERVICES="$2"; shift 2 ;;
    --no-build) BUILD=0; shift ;;
    --diff) DIFF=1; shift ;;
    --keep) KEEP=1; shift ;;
    -h|--help) usage 0 ;;
    *) echo "unknown argument: $1" >&2; usage 2 ;;
  esac
done
for s in $SERVICES; do
  case " $ALL_SERVICES " in *" $s "*) ;; *) echo "unknown service: $s" >&2; exit 2 ;; esac
done

FAILED=0
fail() { echo "FAIL: $*"; FAILED=$((FAILED + 1)); }
ok() { echo "ok:   $*"; }
say() { printf '\n== %s\n' "$*"; }

# --- The stand-in base: Debian bookworm's Python 3.11 (3.11.2) instead of python:3.11-slim-bookworm
# (3.11.x from python.org under /usr/local). Trusts the host's extra CAs (/usr/local/share/ca-certificates),
# so that a build behind a TLS-inspecting proxy reaches PyPI. Not for production: a stand-in for the check.
make_base() {
  say "stand-in base $STAND_IN from $DEBIAN_MIRROR"
  command -v debootstrap >/dev/null || { apt-get update -q && apt-get install -y -q debootstrap; }
  local root; root="$(mktemp -d /tmp/gov-check-rootfs.XXXXXX)"
  "${NICE[@]}" debootstrap --variant=minbase bookworm "$root" "$DEBIAN_MIRROR" >"$root.log" 2>&1 \
    || { tail -20 "$root.log"; rm -rf "$root"; exit 1; }
  rm -f "$root/etc/apt/sources.list"
  printf 'Types: deb\nURIs: %s\nSuites: bookworm bookworm-updates\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
    "$DEBIAN_MIRROR" >"$root/etc/apt/sources.list.d/debian.sources"
  cp /etc/resolv.conf "$root/etc/resolv.conf"
  mkdir -p "$root/usr/local/share/ca-certificates"
  cp /usr/local/share/ca-certificates/*.crt "$root/usr/local/share/ca-certificates/" 2>/dev/null || true
  mount --bind /proc "$root/proc"
  "${NICE[@]}" chroot "$root" sh -c 'apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
      --no-install-recommends python3.11 python3-pip ca-certificates && update-ca-certificates \
      && apt-get clean && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin' >>"$root.log" 2>&1 \
    || { umount "$root/proc"; tail -20 "$root.log"; rm -rf "$root"; exit 1; }
  umount "$root/proc"
  rm -rf "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/info/*
  : >"$root/etc/resolv.conf"
  tar -C "$root" -c . | docker import \
    --change 'ENV PIP_BREAK_SYSTEM_PACKAGES=1' --change 'ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt' \
    --change 'CMD ["python3.11"]' - "$STAND_IN" >/dev/null
  rm -rf "$root" "$root.log"
  docker image ls "$STAND_IN"
}

build() {
  say "build $TAG FROM $BASE"
  local start end
  start=$(date +%s)
  if ! DOCKER_BUILDKIT=1 "${NICE[@]}" docker build --progress=plain --build-arg "PYTHON_IMAGE=$BASE" \
      -t "$TAG" "$REPO" >/tmp/gov-check-build.log 2>&1; then
    tail -30 /tmp/gov-check-build.log
    grep -q 'buildx component is missing' /tmp/gov-check-build.log \
      && echo "hint: a Docker CLI of 23 or later builds with BuildKit through the buildx plugin; install it, or use a 20.10 CLI"
    echo "FAIL: build (full log: /tmp/gov-check-build.log)"
    exit 1
  fi
  end=$(date +%s)
  ok "built in $((end - start)) s (log: /tmp/gov-check-build.log)"
  docker image ls "$TAG" --format 'image {{.Repository}}:{{.Tag}} {{.ID}} {{.Size}}'
}

cleanup() {
  [ "$KEEP" = 1 ] && { echo "kept: containers $PREFIX-*, network $NET, volumes $PREFIX-*"; return; }
  docker ps -aq --filter "label=$PREFIX" 2>/dev/null | xargs -r docker rm -f >/dev/null 2>&1 || true
  docker volume ls -q --filter "label=$PREFIX" 2>/dev/null | xargs -r docker volume rm >/dev/null 2>&1 || true
  docker network rm "$NET" >/dev/null 2>&1 || true
}

key() { head -c 32 /dev/urandom | base64 | tr -d '\n'; }

# What deploy/k8s gives each process (platform-config, the service's config, its secrets), with the
# embedded default standing in for PostgreSQL and Kafka.
env_args() {
  local s="$1"
  ENV=(-e "SERVICE=$s" -e PORT=8080
    -e GOV_ENVIRONMENT=production -e GOV_MIGRATE_ON_START=false -e GOV_DEMO_DATA=false
    -e GOV_DATA_DIR=/var/lib/gov -e GOV_EVENT_BUS=embedded
    -e GOV_JWKS_URL=http://identity-app:8080/.well-known/jwks.json
    -e GOV_TOKEN_ISSUER=https://gov.example.cn/api/identity -e GOV_TOKEN_AUDIENCE=gov-platform
    -e GOV_LOG_JSON=true -e GOV_LOG_LEVEL=INFO -e GOV_OTLP_ENDPOINT= -e FORWARDED_ALLOW_IPS=10.0.0.0/8)
  [ "$s" != gateway ] && ENV+=(-e "GOV_DATABASE_URL=sqlite+aiosqlite:////var/lib/gov/$s.db")
  case "$s" in
    gateway)
      local ups="" u
      for u in identity catalog application workflow certificates payment exchange evaluation hall; do
        ups+="${ups:+, }\"$u\": \"http://$u-app:8080\""
      done
      ENV+=(-e "GATEWAY_UPSTREAMS={$ups}") ;;
    identity)
      ENV+=(-e IDENTITY_COOKIE_SECURE=true -e "IDENTITY_SEALING_KEYS={\"$(date +%Y%m)\": \"$(key)\"}"
        -e "IDENTITY_INDEX_KEY=$(key)") ;;
    application)
      ENV+=(-e APPLICATION_CERTIFICATES_URL=http://certificates-app:8080
        -e APPLICATION_STORAGE_DIR=/var/lib/gov/materials
        -e "APPLICATION_SEALING_KEYS={\"$(date +%Y%m)\": \"$(key)\"}" -e "APPLICATION_INDEX_KEY=$(key)") ;;
    certificates)
      ENV+=(-e CERTIFICATES_IDENTITY_URL=http://identity-app:8080 -e CERTIFICATES_IDENTITY_CLIENT_ID=svc-certificates
        -e CERTIFICATES_PUBLIC_BASE_URL=https://gov.example.cn/api/certificates
        -e "CERTIFICATES_SEALING_KEYS={\"$(date +%Y%m)\": \"$(key)\"}"
        -e "CERTIFICATES_INDEX_KEY=$(key)" -e "CERTIFICATES_IDENTITY_CLIENT_SECRET=$(key)") ;;
    payment)
      ENV+=(-e PAYMENT_NOTIFY_BASE_URL=https://gov.example.cn/api/payment -e PAYMENT_RETURN_URL=https://gov.example.cn/) ;;
    exchange)
      ENV+=(-e EXCHANGE_NATIONAL_OUTBOX_DIR=/var/lib/gov/national
        -e "EXCHANGE_SEALING_KEYS={\"$(date +%Y%m)\": \"$(key)\"}" -e "EXCHANGE_INDEX_KEY=$(key)") ;;
  esac
}

# The pod's volumes: GOV_DATA_DIR (named volume; Docker copies the image's /var/lib/gov, owned by
# 10001, into it, as fsGroup makes an emptyDir writable) and the PVCs below it.
volume_args() {
  local s="$1" sub
  docker volume create --label "$PREFIX" "$PREFIX-$s-data" >/dev/null
  VOLS=(-v "$PREFIX-$s-data:/var/lib/gov")
  case "$s" in application) sub=materials ;; exchange) sub=national ;; *) sub="" ;; esac
  if [ -n "$sub" ]; then
    docker volume create --label "$PREFIX" "$PREFIX-$s-$sub" >/dev/null
    # fsGroup's part: the kubelet makes a PVC writable for group 10001.
    docker run --rm --label "$PREFIX" --user 0 --network none -v "$PREFIX-$s-$sub:/v" --entrypoint chown \
      "$TAG" 10001:10001 /v
    VOLS+=(-v "$PREFIX-$s-$sub:/var/lib/gov/$sub")
  fi
}

# The container's securityContext (pod and container level).
HARDEN=(--user 10001:10001 --cap-drop ALL --security-opt no-new-privileges)
root_fs() { if [ "$DIFF" = 1 ]; then echo ""; else echo "--read-only"; fi; }

migrate() {
  local s="$1" out i
  for i in 1 2; do
    # shellcheck disable=SC2046
    if out=$(docker run --rm --label "$PREFIX" --name "$PREFIX-$s-migrate" $(root_fs) "${HARDEN[@]}" \
        --tmpfs /tmp:size=64m --memory 256m --network none "${VOLS[@]}" "${ENV[@]}" "$TAG" gov-migrate "$s" 2>&1); then
      ok "$s: gov-migrate $s (run $i): $(echo "$out" | tail -1)"
    else
      fail "$s: gov-migrate $s (run $i) exited non-zero"; echo "$out" | tail -20
      return 1
    fi
  done
}

start() {
  local s="$1" port="$2"
  # shellcheck disable=SC2046
  docker run -d --label "$PREFIX" --name "$PREFIX-$s" --network "$NET" --network-alias "$s-app" $(root_fs) \
    "${HARDEN[@]}" --tmpfs /tmp:size=256m --memory 512m "${VOLS[@]}" "${ENV[@]}" \
    -p "127.0.0.1:$port:8080" "$TAG" >/dev/null
}

# GET until it answers `want` (or `deadline` seconds pass); prints "<status> <seconds> <body>".
probe() {
  local url="$1" want="$2" deadline="$3" t0 ms code body
  t0=$(date +%s%N)
  while :; do
    body=$(curl -s -m 5 -o - -w '\n%{http_code}' "$url" 2>/dev/null || true)
    code="${body##*$'\n'}"; body="${body%$'\n'*}"
    ms=$(( ($(date +%s%N) - t0) / 1000000 ))
    if [ "$code" = "$want" ] || [ "$ms" -gt $((deadline * 1000)) ]; then
      printf '%s %d.%01ds %s' "${code:-000}" $((ms / 1000)) $((ms % 1000 / 100)) "$body"
      return 0
    fi
    sleep 0.5
  done
}

check_probes() {
  local s="$1" port="$2" r
  r=$(probe "http://127.0.0.1:$port/healthz" 200 120)
  if [ "${r%% *}" = 200 ]; then ok "$s: /healthz $r"; else fail "$s: /healthz $r"; docker logs --tail 30 "$PREFIX-$s"; return; fi
  r=$(probe "http://127.0.0.1:$port/readyz" 200 30)
  if [ "${r%% *}" = 200 ]; then ok "$s: /readyz $r"; else fail "$s: /readyz $r"; fi
}

# Things that write when they run, done once inside the read-only containers.
exercise() {
  local s="$1"
  case "$s" in
    certificates)
      # The license PDF (ReportLab, CID font, QR code): must need no file.
      if docker exec "$PREFIX-$s" python -c '
import datetime as d, types
from certificates.pdf import render_pdf
lic = types.SimpleNamespace(type_name="营业执照", identifier="X-1", holder_name="测试", fields={"a": "b"},
    valid_from=d.date(2026, 1, 1), valid_until=None, issuer_name="南宁市行政审批局", version=1)
lt = types.SimpleNamespace(template={"title": "营业执照", "field_order": ["a"]}, fields=[{"name": "a", "label": "A"}])
pdf = render_pdf(lic, lt, verify_url="https://gov.example.cn/v/X-1")
assert pdf.startswith(b"%PDF"), pdf[:10]
print(len(pdf))' >/tmp/gov-check-pdf.out 2>&1; then
        ok "$s: license PDF rendered on the read-only root ($(tail -1 /tmp/gov-check-pdf.out) bytes)"
      else
        fail "$s: license PDF"; cat /tmp/gov-check-pdf.out
      fi ;;
    application|exchange)
      local sub; [ "$s" = application ] && sub=materials || sub=national
      if docker exec "$PREFIX-$s" sh -c "f=\$(mktemp -p /var/lib/gov/$sub) && rm \$f && f=\$(mktemp) && rm \$f"; then
        ok "$s: /var/lib/gov/$sub and /tmp writable as uid 10001"
      else
        fail "$s: /var/lib/gov/$sub or /tmp not writable as uid 10001"
      fi ;;
  esac
}

check_gateway() {
  local port="$1" r body
  body=$(curl -s -m 10 "http://127.0.0.1:$port/readyz" || true)
  if echo "$body" | python3 -c 'import json,sys; u=json.load(sys.stdin)["upstreams"]; bad={k:v for k,v in u.items() if v!="ready"}; print(bad) if bad else None; sys.exit(1 if bad else 0)' >/dev/null 2>&1; then
    ok "gateway: every upstream ready: $body"
  else
    # Only the services of this run can be ready.
    echo "note: gateway /readyz: $body"
  fi
  for path in /api/catalog/v1/items /api/identity/.well-known/jwks.json /api/openapi.json; do
    r=$(curl -s -m 10 -o /dev/null -w '%{http_code} %{size_download}B %{time_total}s' "http://127.0.0.1:$port$path" || true)
    if [ "${r%% *}" = 200 ]; then ok "gateway: GET $path $r"; else echo "note: gateway: GET $path $r (upstream in this run?)"; fi
  done
}

scan_logs() {
  local s="$1" hits
  hits=$(docker logs "$PREFIX-$s" 2>&1 | grep -iE 'read-only file system|permission denied|EROFS|Traceback|"level": "(ERROR|CRITICAL)"' || true)
  if [ -n "$hits" ]; then fail "$s: log shows errors"; echo "$hits" | head -20; else ok "$s: no write failure, traceback or error in the log"; fi
}

stop() {
  local s="$1" t0 t1 code
  t0=$(date +%s)
  docker stop -t 30 "$PREFIX-$s" >/dev/null
  t1=$(date +%s)
  code=$(docker inspect -f '{{.State.ExitCode}}' "$PREFIX-$s")
  if [ "$code" = 0 ]; then ok "$s: SIGTERM: exit 0 after $((t1 - t0)) s"; else fail "$s: SIGTERM: exit $code after $((t1 - t0)) s"; docker logs --tail 20 "$PREFIX-$s"; fi
}

main() {
  command -v docker >/dev/null || { echo "docker not found" >&2; exit 1; }
  docker info >/dev/null 2>&1 || { echo "no Docker daemon" >&2; exit 1; }
  [ "$MAKE_BASE" = 1 ] && make_base
  [ "$BUILD" = 1 ] && build
  docker image inspect "$TAG" >/dev/null || { echo "no image $TAG (build it, or drop --no-build)" >&2; exit 1; }
  trap cleanup EXIT
  cleanup
  docker network create --label "$PREFIX" "$NET" >/dev/null
  local s i=0 port ordered=""
  # The gateway last: its /readyz asks the others.
  for s in $SERVICES; do [ "$s" != gateway ] && ordered+="$s "; done
  case " $SERVICES " in *" gateway "*) ordered+="gateway" ;; esac
  declare -A PORTS
  for s in $ordered; do
    say "$s"
    port=$((PORT_BASE + i)); i=$((i + 1)); PORTS[$s]=$port
    env_args "$s"; volume_args "$s"
    if [ "$s" != gateway ]; then migrate "$s" || continue; fi
    start "$s" "$port"
    check_probes "$s" "$port"
    exercise "$s"
  done
  if [ -n "${PORTS[gateway]:-}" ]; then say "gateway routes"; check_gateway "${PORTS[gateway]}"; fi
  say "memory (limit 512 MiB)"
  docker ps -q --filter "label=$PREFIX" | xargs -r docker stats --no-stream --format '{{.Name}} {{.MemUsage}} {{.CPUPerc}}'
  say "logs, writes and shutdown"
  for s in $ordered; do
    docker inspect "$PREFIX-$s" >/dev/null 2>&1 || continue
    scan_logs "$s"
    if [ "$DIFF" = 1 ]; then
      local d; d=$(docker diff "$PREFIX-$s")
      if [ -n "$d" ]; then fail "$s: wrote outside its volumes:"; echo "$d" | head -30; else ok "$s: docker diff empty (no write outside /tmp and /var/lib/gov)"; fi
    fi
    stop "$s"
  done
  say "result"
  if [ "$FAILED" = 0 ]; then echo "image check passed: $TAG ($(docker image ls "$TAG" --format '{{.Size}}'))"; else echo "image check: $FAILED failure(s)"; exit 1; fi
}

main
