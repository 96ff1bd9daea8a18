#!/usr/bin/env bash
# Real test servers on loopback: a private PostgreSQL cluster and a single-node
# Apache Kafka broker (KRaft), with all state under the git-ignored $REPO/.var/infra/.
#
#   scripts/infra.sh up       start both (idempotent; < 2 s when already up)
#   scripts/infra.sh down     stop both
#   scripts/infra.sh status   print state; exit 1 if either is down
#   scripts/infra.sh env      print export lines:  eval "$(scripts/infra.sh env)"
#   scripts/infra.sh kafka-stop / kafka-start   stop or start the broker alone (fault tests)
#   scripts/infra.sh s3-stop / s3-start         stop or start the object store alone
#
# Ports: INFRA_PG_PORT (55432), INFRA_KAFKA_PORT (59092), INFRA_KAFKA_CONTROLLER_PORT (59093),
# INFRA_S3_PORT (59097: an S3-compatible object store, Versity's versitygw over a POSIX folder, built from
# its Go module with `go install`; one account INFRA_S3_ACCESS_KEY / INFRA_S3_SECRET_KEY).
# The broker also authenticates: SASL_PLAINTEXT on INFRA_KAFKA_SASL_PORT (59094) and SASL_SSL on
# INFRA_KAFKA_SASL_SSL_PORT (59095), mechanisms SCRAM-SHA-512, SCRAM-SHA-256 and PLAIN, one user
# (INFRA_KAFKA_SASL_USER / INFRA_KAFKA_SASL_PASSWORD), a certificate from a CA made here with openssl;
# and mutual TLS on INFRA_KAFKA_MTLS_PORT (59096: a client certificate from that CA is required). It
# enforces ACLs (StandardAuthorizer; ANONYMOUS and that user are super users).
# `up` restarts a running broker of this checkout whose configuration is out of date.
# PostgreSQL comes from Debian's packages (installed when missing; never the system
# cluster); Kafka's jars come from Maven Central (scripts/infra/kafka-pom.xml).
# Works as root (CI: postgres runs as the `postgres` OS user) or as a normal user
# (sudo is used only to apt-get install, and only if available).
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
REPO="$(cd "$SCRIPT_DIR/.." && pwd -P)"
VAR="$REPO/.var/infra"

PG_PORT="${INFRA_PG_PORT:-55432}"
KAFKA_PORT="${INFRA_KAFKA_PORT:-59092}"
KAFKA_CTRL_PORT="${INFRA_KAFKA_CONTROLLER_PORT:-59093}"
KAFKA_SASL_PORT="${INFRA_KAFKA_SASL_PORT:-59094}"
KAFKA_SASL_SSL_PORT="${INFRA_KAFKA_SASL_SSL_PORT:-59095}"
KAFKA_MTLS_PORT="${INFRA_KAFKA_MTLS_PORT:-59096}"
# Test credentials of a loopback broker (no commas, brackets, quotes or spaces: they go into JAAS and
# kafka-configs syntax).
KAFKA_SASL_USER="${INFRA_KAFKA_SASL_USER:-govtest}"
KAFKA_SASL_PASSWORD="${INFRA_KAFKA_SASL_PASSWORD:-govtest-scram-secret}"

S3_PORT="${INFRA_S3_PORT:-59097}"
S3_ACCESS_KEY="${INFRA_S3_ACCESS_KEY:-govtest-s3}"
S3_SECRET_KEY="${INFRA_S3_SECRET_KEY:-govtest-s3-secret-key}"
VGW_VERSION=v1.8.0

PG_DIR="$VAR/pg"
PG_DATA="$PG_DIR/data"
PG_LOG="$PG_DIR/log"
PG_SOCK="$PG_DIR/run"
# A unix socket path must fit in 107 bytes; fall back to /tmp for deep checkouts.
if [ $(( ${#PG_SOCK} + ${#PG_PORT} + 12 )) -gt 100 ]; then
    PG_SOCK="/tmp/gov-infra-pg-$(printf '%s' "$REPO" | sha256sum | cut -c1-12)"
fi

K_DIR="$VAR/kafka"
K_LIB="$K_DIR/lib"
K_DATA="$K_DIR/data"
K_LOGS="$K_DIR/logs"
K_PROPS="$K_DIR/server.properties"
K_PID="$K_DIR/kafka.pid"
K_TLS="$K_DIR/tls"
K_USER_MARK="$K_DIR/sasl-user"
K_POM="$SCRIPT_DIR/infra/kafka-pom.xml"
K_LOG4J="$SCRIPT_DIR/infra/kafka-log4j2.properties"
K_HEAP_OPTS=(-Xms256m -Xmx768m -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:+ExplicitGCInvokesConcurrent)
K_START_TIMEOUT="${INFRA_KAFKA_START_TIMEOUT:-90}"

S3_DIR="$VAR/s3"
S3_BIN="$VAR/bin/versitygw-$VGW_VERSION"
S3_PID="$S3_DIR/versitygw.pid"
S3_ENDPOINT="http://127.0.0.1:$S3_PORT"

PG_DSN="postgresql://gov:gov@127.0.0.1:$PG_PORT/postgres"
KAFKA_BOOTSTRAP="127.0.0.1:$KAFKA_PORT"
KAFKA_SASL_BOOTSTRAP="127.0.0.1:$KAFKA_SASL_PORT"
KAFKA_SASL_SSL_BOOTSTRAP="127.0.0.1:$KAFKA_SASL_SSL_PORT"
KAFKA_MTLS_BOOTSTRAP="127.0.0.1:$KAFKA_MTLS_PORT"

# ---------------------------------------------------------------- helpers
log() { printf '[infra] %s\n' "$*" >&2; }
die() { printf '[infra] ERROR: %s\n' "$*" >&2; exit 1; }
is_root() { [ "$(id -u)" -eq 0 ]; }

# Run a command as root: directly when root, else via sudo if there is one.
as_root() {
    if is_root; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        if [ -n "${CI:-}" ] || ! [ -t 0 ]; then sudo -n "$@"; else sudo "$@"; fi
    else
        die "need root (no sudo available) to run: $*"
    fi
}

# apt-get install; `apt-get update` only when the first attempt fails.
apt_install() {
    local inst=(env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@")
    log "installing $* from Debian packages"
    if ! as_root "${inst[@]}" </dev/null >&2; then
        log "apt-get install failed; running apt-get update and retrying"
        as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q </dev/null >&2
        as_root "${inst[@]}" </dev/null >&2
    fi
}

# True when something accepts TCP connections on 127.0.0.1:$1.
port_open() { timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null; }

# Serialize up/down between concurrent invocations.
take_lock() {
    mkdir -p "$VAR"
    [ -f "$REPO/.var/.gitignore" ] || printf '*\n' >"$REPO/.var/.gitignore"
    # Servers started below get `9>&-` so they don't inherit (and hold) this lock.
    exec 9>"$VAR/.lock"
    flock -w 180 9 || die "could not lock $VAR/.lock (another infra.sh up/down running?)"
}

# ---------------------------------------------------------------- PostgreSQL
PGBIN=""

# Pick the binaries: the cluster's own major version if it exists, else the newest.
pg_find_bin() {
    if [ -n "${INFRA_PG_BINDIR:-}" ]; then PGBIN="$INFRA_PG_BINDIR"; return 0; fi
    if [ -r "$PG_DATA/PG_VERSION" ]; then
        local v; v="$(cat "$PG_DATA/PG_VERSION" 2>/dev/null || true)"
        if [ -n "$v" ] && [ -x "/usr/lib/postgresql/$v/bin/initdb" ]; then
            PGBIN="/usr/lib/postgresql/$v/bin"; return 0
        fi
    fi
    local f best=""
    for f in /usr/lib/postgresql/*/bin/initdb; do
        [ -x "$f" ] && best="$(printf '%s\n%s\n' "$best" "$f" | sed '/^$/d' | sort -V | tail -n1)"
    done
    [ -n "$best" ] || return 1
    PGBIN="$(dirname "$best")"
}

pg_ensure_installed() {
    pg_find_bin && return 0
    apt_install postgresql
    pg_find_bin || die "postgresql installed but no /usr/lib/postgresql/*/bin/initdb found"
}

# Run as the cluster's OS owner (initdb and pg_ctl refuse to run as root).
# As root, run from a directory `postgres` can read: PostgreSQL 15's initdb/pg_ctl
# fail with "could not identify current directory" when started from e.g. /root.
pg_as_owner() {
    if is_root; then
        (cd "$PG_DIR" 2>/dev/null || cd /; runuser -u postgres -- "$@")
    else
        "$@"
    fi
}

pg_psql_admin() {
    pg_as_owner "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$PG_SOCK" -p "$PG_PORT" \
        -U postgres -d postgres "$@" </dev/null
}

pg_ours_running() {
    [ -n "$PGBIN" ] && [ -f "$PG_DATA/postmaster.pid" ] &&
        pg_as_owner "$PGBIN/pg_ctl" -D "$PG_DATA" status >/dev/null 2>&1
}

pg_accepting() {
    if command -v pg_isready >/dev/null 2>&1; then
        pg_isready -q -h 127.0.0.1 -p "$PG_PORT" -t 2 </dev/null
    else
        port_open "$PG_PORT"
    fi
}

# root: every ancestor of the cluster dir must be searchable by `postgres`.
pg_make_traversable() {
    is_root || return 0
    local d="" part
    local -a parts
    IFS=/ read -ra parts <<<"${PG_DIR#/}"
    for part in "${parts[@]}"; do   # from / downwards
        d="$d/$part"
        [ "$d" = "$PG_DIR" ] && break
        if ! runuser -u postgres -- test -x "$d" 2>/dev/null; then
            log "chmod o+x $d (so the postgres user can reach $PG_DIR)"
            chmod o+x "$d"
        fi
    done
}

pg_prepare_dirs() {
    mkdir -p "$PG_DIR"
    if is_root; then
        getent passwd postgres >/dev/null ||
            useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres
        chown postgres: "$PG_DIR"
        chmod 700 "$PG_DIR"
        pg_make_traversable
        runuser -u postgres -- mkdir -p "$PG_SOCK"
        if [ -e "$PG_LOG" ]; then chown postgres: "$PG_LOG"; fi
    else
        mkdir -p "$PG_SOCK"
    fi
    if ! pg_as_owner test -w "$PG_DIR"; then
        die "$PG_DIR is not writable by the cluster owner (created by another user? remove it: rm -rf $PG_DIR)"
    fi
}

pg_init() {
    [ -f "$PG_DATA/PG_VERSION" ] && return 0
    log "initdb $PG_DATA ($PGBIN)"
    pg_as_owner "$PGBIN/initdb" -D "$PG_DATA" -U postgres -E UTF8 --locale=C.UTF-8 \
        --auth=trust --no-sync >"$PG_DIR/initdb.log" 2>&1 ||
        { cat "$PG_DIR/initdb.log" >&2; die "initdb failed"; }
}

pg_write_conf() {
    cat >"$PG_DATA/infra.conf" <<EOF
# Managed by scripts/infra.sh (rewritten on every start). Loopback test server only.
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$PG_SOCK'
max_connections = 300
fsync = off
synchronous_commit = off
full_page_writes = off
EOF
    if is_root; then chown postgres: "$PG_DATA/infra.conf"; fi
    if ! grep -q "^include_if_exists = 'infra.conf'" "$PG_DATA/postgresql.conf"; then
        printf "\n# scripts/infra.sh settings\ninclude_if_exists = 'infra.conf'\n" >>"$PG_DATA/postgresql.conf"
    fi
}

pg_ensure_role() {
    pg_psql_admin -c "DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'gov') THEN
    CREATE ROLE gov LOGIN SUPERUSER CREATEDB CREATEROLE PASSWORD 'gov';
  END IF;
END \$\$;"
}

pg_up() {
    pg_find_bin || true
    if pg_ours_running; then
        pg_ensure_role
        log "postgres: already up on 127.0.0.1:$PG_PORT"
        return 0
    fi
    if pg_accepting; then
        log "postgres: a server not managed by this checkout already listens on 127.0.0.1:$PG_PORT; using it"
        return 0
    fi
    pg_ensure_installed
    pg_prepare_dirs
    pg_init
    pg_write_conf
    log "postgres: starting on 127.0.0.1:$PG_PORT (log: $PG_LOG)"
    if ! pg_as_owner "$PGBIN/pg_ctl" -D "$PG_DATA" -l "$PG_LOG" -w -t 60 -s start </dev/null 9>&-; then
        tail -n 30 "$PG_LOG" >&2 || true
        die "postgres failed to start"
    fi
    pg_ensure_role
    log "postgres: up ($PG_DSN)"
}

pg_down() {
    pg_find_bin || true
    if pg_ours_running; then
        log "postgres: stopping"
        pg_as_owner "$PGBIN/pg_ctl" -D "$PG_DATA" -m fast -w -t 60 -s stop </dev/null
        log "postgres: stopped"
    elif pg_accepting; then
        log "postgres: 127.0.0.1:$PG_PORT is served by a server not managed by this checkout; leaving it"
    else
        log "postgres: not running"
    fi
}

pg_status() {
    pg_find_bin || true
    if pg_ours_running; then
        echo "postgres: up    127.0.0.1:$PG_PORT  pid $(head -n1 "$PG_DATA/postmaster.pid" 2>/dev/null || echo '?')  data $PG_DATA"
    elif pg_accepting; then
        echo "postgres: up    127.0.0.1:$PG_PORT  (not managed by this checkout)"
    else
        echo "postgres: down  127.0.0.1:$PG_PORT"
        return 1
    fi
}

# ---------------------------------------------------------------- Kafka
JAVA=""

k_find_java() {
    if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ]; then JAVA="$JAVA_HOME/bin/java"
    elif command -v java >/dev/null 2>&1; then JAVA="$(command -v java)"
    else
        apt_install openjdk-17-jre-headless
        JAVA="$(command -v java)" || die "java not found after install"
    fi
    local spec
    spec="$("$JAVA" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')"
    case "$spec" in 1.*|9|1[0-6]) die "Kafka 4.x needs Java 17+, $JAVA is Java $spec (set JAVA_HOME)";; esac
}

# Copy the broker's jars from Maven Central into $K_LIB (once per pom content).
k_fetch_jars() {
    local marker
    marker="$K_LIB/.fetched-$(sha256sum "$K_POM" | cut -c1-16)"
    [ -f "$marker" ] && return 0
    command -v mvn >/dev/null 2>&1 || apt_install maven
    log "kafka: fetching jars from Maven Central into $K_LIB"
    local tmp="$K_LIB.tmp"
    rm -rf "$tmp"
    mkdir -p "$tmp"
    mvn -q -B -Dstyle.color=never org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies \
        -DoutputDirectory="$tmp" -DincludeScope=runtime -f "$K_POM" </dev/null >"$K_LOGS/mvn.log" 2>&1 ||
        { sed 's/\x1b\[[0-9;]*m//g' "$K_LOGS/mvn.log" >&2; die "mvn copy-dependencies failed for $K_POM"; }
    ls "$tmp"/kafka_2.13-*.jar >/dev/null 2>&1 || die "no kafka_2.13 jar in $tmp"
    rm -rf "$K_LIB"
    mv "$tmp" "$K_LIB"
    touch "$marker"
}

# A CA, a broker certificate for 127.0.0.1 and a client certificate (once; kept across restarts). The
# broker reads its key and chain as PEM; clients trust tls/ca.crt (GOV_TEST_KAFKA_SSL_CAFILE) and present
# tls/client.crt with tls/client.key on the mutual-TLS listener.
k_make_tls() {
    [ -s "$K_TLS/broker.pem" ] && [ -s "$K_TLS/ca.crt" ] && [ -s "$K_TLS/client.key" ] && return 0
    command -v openssl >/dev/null 2>&1 || apt_install openssl
    local tmp="$K_TLS.tmp"
    rm -rf "$tmp"
    mkdir -p "$tmp"
    log "kafka: making a test CA and broker certificate in $K_TLS"
    {
        openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=gov-platform infra test CA" \
            -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
            -keyout "$tmp/ca.key" -out "$tmp/ca.crt" &&
        openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" -keyout "$tmp/broker.key" -out "$tmp/broker.csr" &&
        printf '%s\n' "basicConstraints=critical,CA:FALSE" "keyUsage=critical,digitalSignature,keyEncipherment" \
            "extendedKeyUsage=serverAuth" "subjectAltName=IP:127.0.0.1,DNS:localhost" \
            "subjectKeyIdentifier=hash" "authorityKeyIdentifier=keyid,issuer" >"$tmp/broker.ext" &&
        openssl x509 -req -in "$tmp/broker.csr" -CA "$tmp/ca.crt" -CAkey "$tmp/ca.key" -CAcreateserial \
            -days 3650 -extfile "$tmp/broker.ext" -out "$tmp/broker.crt" &&
        openssl req -newkey rsa:2048 -nodes -subj "/CN=govtest-mtls" -keyout "$tmp/client.key" -out "$tmp/client.csr" &&
        printf '%s\n' "basicConstraints=critical,CA:FALSE" "keyUsage=critical,digitalSignature,keyEncipherment" \
            "extendedKeyUsage=clientAuth" >"$tmp/client.ext" &&
        openssl x509 -req -in "$tmp/client.csr" -CA "$tmp/ca.crt" -CAkey "$tmp/ca.key" -CAcreateserial \
            -days 3650 -extfile "$tmp/client.ext" -out "$tmp/client.crt"
    } >"$K_LOGS/openssl.log" 2>&1 || { cat "$K_LOGS/openssl.log" >&2; die "openssl could not make the test certificates"; }
    # A PEM key store: the unencrypted PKCS#8 key, then its chain.
    cat "$tmp/broker.key" "$tmp/broker.crt" "$tmp/ca.crt" >"$tmp/broker.pem"
    chmod 600 "$tmp/ca.key" "$tmp/broker.key" "$tmp/broker.pem" "$tmp/client.key"
    rm -rf "$K_TLS"
    mv "$tmp" "$K_TLS"
}

# The broker's configuration, on stdout. The PLAINTEXT listener (most tests) and the controller's are as
# before; SASL and SASLSSL take the SCRAM users (k_ensure_user) and PLAIN (the JAAS user_ entry).
k_props() {
    local jaas_scram="org.apache.kafka.common.security.scram.ScramLoginModule required;"
    local jaas_plain="org.apache.kafka.common.security.plain.PlainLoginModule required user_$KAFKA_SASL_USER=\"$KAFKA_SASL_PASSWORD\";"
    cat <<EOF
# Managed by scripts/infra.sh (rewritten on every start). Single-node KRaft test broker.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$KAFKA_CTRL_PORT
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CTRL_PORT,SASL://127.0.0.1:$KAFKA_SASL_PORT,SASLSSL://127.0.0.1:$KAFKA_SASL_SSL_PORT,MTLS://127.0.0.1:$KAFKA_MTLS_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,SASL://127.0.0.1:$KAFKA_SASL_PORT,SASLSSL://127.0.0.1:$KAFKA_SASL_SSL_PORT,MTLS://127.0.0.1:$KAFKA_MTLS_PORT
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SASL:SASL_PLAINTEXT,SASLSSL:SASL_SSL,MTLS:SSL
inter.broker.listener.name=PLAINTEXT
sasl.enabled.mechanisms=SCRAM-SHA-512,SCRAM-SHA-256,PLAIN
listener.name.sasl.scram-sha-512.sasl.jaas.config=$jaas_scram
listener.name.sasl.scram-sha-256.sasl.jaas.config=$jaas_scram
listener.name.sasl.plain.sasl.jaas.config=$jaas_plain
listener.name.saslssl.scram-sha-512.sasl.jaas.config=$jaas_scram
listener.name.saslssl.scram-sha-256.sasl.jaas.config=$jaas_scram
listener.name.saslssl.plain.sasl.jaas.config=$jaas_plain
listener.name.saslssl.ssl.keystore.type=PEM
listener.name.saslssl.ssl.keystore.location=$K_TLS/broker.pem
listener.name.mtls.ssl.keystore.type=PEM
listener.name.mtls.ssl.keystore.location=$K_TLS/broker.pem
listener.name.mtls.ssl.truststore.type=PEM
listener.name.mtls.ssl.truststore.location=$K_TLS/ca.crt
listener.name.mtls.ssl.client.auth=required
# ACLs enforced as on a production cluster (KRaft's StandardAuthorizer). The PLAINTEXT listener's ANONYMOUS
# principal (most tests, the controller, the broker itself) and the test user are super users, and a
# resource nobody has an ACL on stays open, so only the names tests/deploy/test_k8s.py grants to its own
# per-service users are restricted.
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
super.users=User:ANONYMOUS;User:$KAFKA_SASL_USER
allow.everyone.if.no.acl.found=true
log.dirs=$K_DATA
num.partitions=3
auto.create.topics.enable=true
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
num.network.threads=2
num.io.threads=2
log.retention.hours=24
EOF
}

k_write_props() {
    k_props >"$K_PROPS.tmp"
    mv "$K_PROPS.tmp" "$K_PROPS"
}

# The test user's SCRAM credentials live in the cluster metadata (they outlive restarts); set through the
# PLAINTEXT listener when this checkout's broker was (re)started or the user or password is new.
k_ensure_user() {
    k_our_pid >/dev/null || return 0
    local want p="$KAFKA_SASL_PASSWORD"
    want="$(printf '%s %s %s' "$KAFKA_SASL_USER" "$p" "$(cat "$K_DIR/cluster-id" 2>/dev/null)" | sha256sum | cut -c1-16)"
    if [ "$K_LAUNCHED" != 1 ] && [ "$(cat "$K_USER_MARK" 2>/dev/null)" = "$want" ]; then return 0; fi
    [ -n "$JAVA" ] || k_find_java
    local mechanism
    for mechanism in SCRAM-SHA-512 SCRAM-SHA-256; do  # one per request: the broker refuses two at once
        "$JAVA" -cp "$K_LIB/*" -Dlog4j2.configurationFile="$K_LOG4J" -Dkafka.logs.dir="$K_LOGS/tools" \
            kafka.admin.ConfigCommand --bootstrap-server "$KAFKA_BOOTSTRAP" --alter \
            --add-config "$mechanism=[password=$p]" --entity-type users --entity-name "$KAFKA_SASL_USER" \
            </dev/null >"$K_LOGS/config-command.log" 2>&1 ||
            { tail -n 30 "$K_LOGS/config-command.log" >&2; die "kafka: could not set the $mechanism credentials of $KAFKA_SASL_USER"; }
    done
    printf '%s\n' "$want" >"$K_USER_MARK"
    log "kafka: user $KAFKA_SASL_USER on $KAFKA_SASL_BOOTSTRAP (SASL_PLAINTEXT) and $KAFKA_SASL_SSL_BOOTSTRAP (SASL_SSL)"
}

k_format() {
    [ -f "$K_DATA/meta.properties" ] && return 0
    local cid
    if [ -s "$K_DIR/cluster-id" ]; then
        cid="$(cat "$K_DIR/cluster-id")"
    else
        cid="$("$JAVA" -cp "$K_LIB/*" -Dlog4j2.configurationFile="$K_LOG4J" -Dkafka.logs.dir="$K_LOGS/tools" \
            kafka.tools.StorageTool random-uuid 2>>"$K_LOGS/storage-tool.log" | tail -n1)"
        [ -n "$cid" ] || die "StorageTool random-uuid failed (see $K_LOGS/storage-tool.log)"
        printf '%s\n' "$cid" >"$K_DIR/cluster-id"
    fi
    log "kafka: formatting $K_DATA (cluster id $cid)"
    "$JAVA" -cp "$K_LIB/*" -Dlog4j2.configurationFile="$K_LOG4J" -Dkafka.logs.dir="$K_LOGS/tools" \
        kafka.tools.StorageTool format -t "$cid" -c "$K_PROPS" --ignore-formatted \
        >>"$K_LOGS/storage-tool.log" 2>&1 ||
        { tail -n 30 "$K_LOGS/storage-tool.log" >&2; die "kafka storage format failed"; }
}

# pid of the broker started from this checkout, if it is alive.
k_our_pid() {
    [ -f "$K_PID" ] || return 1
    local pid; pid="$(cat "$K_PID" 2>/dev/null || true)"
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF "kafka.Kafka $K_PROPS" || return 1
    printf '%s\n' "$pid"
}

K_LAUNCHED=0

# Start the broker in the background (does not wait for readiness).
k_launch() {
    K_LAUNCHED=0
    if port_open "$KAFKA_PORT"; then
        if ! k_our_pid >/dev/null; then
            log "kafka: a server not managed by this checkout already listens on $KAFKA_BOOTSTRAP; using it"
            return 0
        fi
        if [ "$(k_props)" = "$(cat "$K_PROPS" 2>/dev/null)" ]; then
            log "kafka: already up on $KAFKA_BOOTSTRAP"
            return 0
        fi
        # E.g. a broker started before the SASL listeners existed: restart it, once, with the new file.
        log "kafka: the running broker's configuration is out of date; restarting it"
        k_down
    fi
    local pid
    if pid="$(k_our_pid)"; then
        # Still starting (e.g. a previous `up` timed out): just wait for it again.
        log "kafka: pid $pid is running but not listening yet; waiting"
        K_LAUNCHED=1
        return 0
    fi
    if port_open "$KAFKA_CTRL_PORT"; then
        die "kafka: controller port 127.0.0.1:$KAFKA_CTRL_PORT is taken by another process"
    fi
    k_find_java
    mkdir -p "$K_DIR" "$K_DATA" "$K_LOGS"
    k_fetch_jars
    k_make_tls
    k_write_props
    k_format
    if [ -f "$K_LOGS/server.log" ]; then mv -f "$K_LOGS/server.log" "$K_LOGS/server.log.prev"; fi
    rm -f "$K_PID"
    log "kafka: starting on $KAFKA_BOOTSTRAP (log: $K_LOGS/server.log)"
    # The inner shell records its own pid and then execs java, so the pid file holds
    # the JVM's pid whether or not setsid had to fork.
    # shellcheck disable=SC2016  # $$ and $@ are for the inner shell
    K_PID="$K_PID" K_DIR="$K_DIR" setsid nohup bash -c 'echo $$ >"$K_PID"; cd "$K_DIR" && exec "$@"' kafka-infra \
        "$JAVA" "${K_HEAP_OPTS[@]}" -Djava.awt.headless=true \
        -Dlog4j2.configurationFile="$K_LOG4J" -Dkafka.logs.dir="$K_LOGS" \
        -cp "$K_LIB/*" kafka.Kafka "$K_PROPS" \
        >"$K_LOGS/stdout.log" 2>&1 </dev/null 9>&- &
    K_LAUNCHED=1
}

k_wait() {
    [ "$K_LAUNCHED" = 1 ] || return 0
    local deadline=$((SECONDS + K_START_TIMEOUT)) pid="" tries=1
    while :; do
        [ -n "$pid" ] || pid="$(cat "$K_PID" 2>/dev/null || true)"
        if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null && [ "$tries" -lt 3 ] &&
            grep -qF "Address already in use" "$K_LOGS/server.log" 2>/dev/null; then
            # The ports lie in the ephemeral range: a client retrying the closed port can hold one for a moment.
            log "kafka: a listener port was busy at startup; starting again"
            tries=$((tries + 1)) pid=""
            rm -f "$K_PID"
            sleep 1
            k_launch
            continue
        fi
        if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
            tail -n 40 "$K_LOGS/stdout.log" "$K_LOGS/server.log" >&2 2>/dev/null || true
            rm -f "$K_PID"
            die "kafka exited during startup (logs in $K_LOGS)"
        fi
        if grep -qF "Kafka Server started" "$K_LOGS/server.log" 2>/dev/null && port_open "$KAFKA_PORT"; then
            log "kafka: up on $KAFKA_BOOTSTRAP (pid $pid)"
            return 0
        fi
        if [ "$SECONDS" -ge "$deadline" ]; then
            tail -n 40 "$K_LOGS/stdout.log" "$K_LOGS/server.log" >&2 2>/dev/null || true
            die "kafka did not start within ${K_START_TIMEOUT}s (pid $pid left running; logs in $K_LOGS)"
        fi
        sleep 0.25
    done
}

k_down() {
    local pid
    if pid="$(k_our_pid)"; then
        log "kafka: stopping pid $pid"
        kill -TERM "$pid" 2>/dev/null || true
        local i
        for ((i = 0; i < 240; i++)); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.25
        done
        if kill -0 "$pid" 2>/dev/null; then
            log "kafka: still alive after 60 s; sending SIGKILL"
            kill -KILL "$pid" 2>/dev/null || true
            sleep 0.5
        fi
        rm -f "$K_PID"
        log "kafka: stopped"
    elif port_open "$KAFKA_PORT"; then
        log "kafka: $KAFKA_BOOTSTRAP is served by a process not started by this checkout; leaving it"
    else
        rm -f "$K_PID"
        log "kafka: not running"
    fi
}

k_status() {
    local pid=""
    pid="$(k_our_pid)" || pid=""
    if port_open "$KAFKA_PORT"; then
        if [ -n "$pid" ]; then
            echo "kafka:    up    $KAFKA_BOOTSTRAP  pid $pid  data $K_DATA"
            if port_open "$KAFKA_SASL_PORT" && port_open "$KAFKA_SASL_SSL_PORT" && port_open "$KAFKA_MTLS_PORT"; then
                echo "kafka:    up    $KAFKA_SASL_BOOTSTRAP (SASL_PLAINTEXT), $KAFKA_SASL_SSL_BOOTSTRAP (SASL_SSL), $KAFKA_MTLS_BOOTSTRAP (mutual TLS)  user $KAFKA_SASL_USER"
            else
                echo "kafka:    down  $KAFKA_SASL_BOOTSTRAP, $KAFKA_SASL_SSL_BOOTSTRAP  (an older configuration: scripts/infra.sh up restarts it)"
                return 1
            fi
        else
            echo "kafka:    up    $KAFKA_BOOTSTRAP  (not managed by this checkout)"
        fi
    elif [ -n "$pid" ]; then
        echo "kafka:    down  $KAFKA_BOOTSTRAP  (pid $pid running but not listening: starting or hung)"
        return 1
    else
        echo "kafka:    down  $KAFKA_BOOTSTRAP"
        return 1
    fi
}

# ---------------------------------------------------------------- S3-compatible object store
# versitygw (Apache-2.0) serving the folders under $S3_DIR/data as buckets. Built once per version from
# the Go module proxy into $VAR/bin (about two minutes on two cores); Debian's Go when the machine has none.
s3_build() {
    [ -x "$S3_BIN" ] && return 0
    command -v go >/dev/null 2>&1 || apt_install golang-go
    log "s3: building versitygw $VGW_VERSION with go install (once)"
    mkdir -p "$VAR/bin" "$S3_DIR"
    local tmp="$VAR/bin/.versitygw-build"
    rm -rf "$tmp"
    GOBIN="$tmp" GOFLAGS=-mod=mod go install "github.com/versity/versitygw/cmd/versitygw@$VGW_VERSION" \
        </dev/null >"$S3_DIR/build.log" 2>&1 || { tail -n 30 "$S3_DIR/build.log" >&2; die "s3: go install versitygw failed"; }
    mv "$tmp/versitygw" "$S3_BIN"
    rm -rf "$tmp"
}

s3_our_pid() {
    [ -f "$S3_PID" ] || return 1
    local pid; pid="$(cat "$S3_PID" 2>/dev/null || true)"
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF "$S3_DIR/data" || return 1
    printf '%s\n' "$pid"
}

s3_up() {
    if port_open "$S3_PORT"; then
        if s3_our_pid >/dev/null; then log "s3: already up on $S3_ENDPOINT"
        else log "s3: a server not managed by this checkout already listens on $S3_ENDPOINT; using it"; fi
        return 0
    fi
    s3_build
    mkdir -p "$S3_DIR/data"
    rm -f "$S3_PID"
    log "s3: starting versitygw on $S3_ENDPOINT (log: $S3_DIR/server.log)"
    # The secret reaches the server through its environment, never its command line (ps shows that).
    # shellcheck disable=SC2016  # $$ and $@ are for the inner shell
    S3_PID="$S3_PID" ROOT_ACCESS_KEY_ID="$S3_ACCESS_KEY" ROOT_SECRET_ACCESS_KEY="$S3_SECRET_KEY" \
        setsid nohup bash -c 'echo $$ >"$S3_PID"; exec "$@"' s3-infra \
        "$S3_BIN" --port "127.0.0.1:$S3_PORT" --quiet posix "$S3_DIR/data" \
        >"$S3_DIR/server.log" 2>&1 </dev/null 9>&- &
    local i
    for ((i = 0; i < 120; i++)); do
        port_open "$S3_PORT" && { log "s3: up on $S3_ENDPOINT"; return 0; }
        s3_our_pid >/dev/null || [ "$i" -lt 4 ] || { tail -n 20 "$S3_DIR/server.log" >&2; die "s3: versitygw exited"; }
        sleep 0.25
    done
    die "s3: versitygw did not listen on $S3_ENDPOINT within 30 s"
}

s3_down() {
    local pid
    if pid="$(s3_our_pid)"; then
        log "s3: stopping pid $pid"
        kill -TERM "$pid" 2>/dev/null || true
        local i
        for ((i = 0; i < 40; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
        kill -KILL "$pid" 2>/dev/null || true
        rm -f "$S3_PID"
        log "s3: stopped"
    else
        rm -f "$S3_PID"
        log "s3: not running (or not managed by this checkout)"
    fi
}

s3_status() {
    if port_open "$S3_PORT"; then
        echo "s3:       up    $S3_ENDPOINT  $(s3_our_pid >/dev/null && echo "data $S3_DIR/data" || echo "(not managed by this checkout)")"
    else
        echo "s3:       down  $S3_ENDPOINT"
        return 1
    fi
}

# ---------------------------------------------------------------- main
usage() {
    sed -n '2,24p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

cmd="${1:-}"
case "$cmd" in
    up)
        take_lock
        k_launch          # the JVM boots in the background while postgres starts
        pg_up
        s3_up
        k_wait
        k_ensure_user
        ;;
    down)
        take_lock
        k_down
        s3_down
        pg_down
        ;;
    s3-stop)
        take_lock
        s3_down
        ;;
    s3-start)
        take_lock
        s3_up
        ;;
    kafka-stop)
        take_lock
        k_down
        ;;
    kafka-start)
        take_lock
        k_launch
        k_wait
        k_ensure_user
        ;;
    status)
        rc=0
        pg_status || rc=1
        k_status || rc=1
        s3_status || rc=1
        exit "$rc"
        ;;
    env)
        echo "export GOV_TEST_PG_DSN=$PG_DSN"
        echo "export GOV_TEST_KAFKA_BOOTSTRAP=$KAFKA_BOOTSTRAP"
        echo "export GOV_TEST_KAFKA_SASL_BOOTSTRAP=$KAFKA_SASL_BOOTSTRAP"
        echo "export GOV_TEST_KAFKA_SASL_SSL_BOOTSTRAP=$KAFKA_SASL_SSL_BOOTSTRAP"
        echo "export GOV_TEST_KAFKA_SASL_USERNAME=$(printf '%q' "$KAFKA_SASL_USER")"
        echo "export GOV_TEST_KAFKA_SASL_PASSWORD=$(printf '%q' "$KAFKA_SASL_PASSWORD")"
        echo "export GOV_TEST_KAFKA_SSL_CAFILE=$(printf '%q' "$K_TLS/ca.crt")"
        echo "export GOV_TEST_KAFKA_MTLS_BOOTSTRAP=$KAFKA_MTLS_BOOTSTRAP"
        echo "export GOV_TEST_KAFKA_SSL_CERTFILE=$(printf '%q' "$K_TLS/client.crt")"
        echo "export GOV_TEST_KAFKA_SSL_KEYFILE=$(printf '%q' "$K_TLS/client.key")"
        echo "export GOV_TEST_S3_ENDPOINT=$S3_ENDPOINT"
        echo "export GOV_TEST_S3_ACCESS_KEY_ID=$(printf '%q' "$S3_ACCESS_KEY")"
        echo "export GOV_TEST_S3_SECRET_ACCESS_KEY=$(printf '%q' "$S3_SECRET_KEY")"
        echo "export GOV_TEST_VERSITYGW=$(printf '%q' "$S3_BIN")"
        ;;
    -h|--help|help)
        usage
        ;;
    *)
        usage >&2
        exit 2
        ;;
esac
