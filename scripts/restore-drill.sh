#!/usr/bin/env bash
# Restore drill: back up a PostgreSQL database, destroy it, restore it to a point in time, and check that
# everything committed before that point is back and nothing after it is.
#
#   scripts/restore-drill.sh            run it; prints what it did and a JSON report as its last line
#
# It runs its own PostgreSQL instance (the Debian binaries scripts/infra.sh uses) on 127.0.0.1:$DRILL_PG_PORT
# (55442) with everything under .var/drill, so the shared test server is never touched. The same steps as
# production (docs/ops/restore.md), where CloudNativePG does them against the object store:
#   1. a primary with WAL archiving (archive_command copies each finished segment to the archive);
#   2. data: applications with JSON forms and an outbox, committed in many transactions;
#   3. a base backup (pg_basebackup), then more transactions; the target time T is taken between two batches;
#   4. disaster: the server is killed (immediate stop) and its data directory deleted;
#   5. restore: the base backup, restore_command from the archive, recovery_target_time = T, promote;
#   6. check: every row committed before T is there with the same content digest, none committed after T.
# Exit status 0 only when the check passes. Works as root (the server runs as `postgres`) or as a user.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
REPO="$(cd "$SCRIPT_DIR/.." && pwd -P)"
DRILL="${DRILL_DIR:-$REPO/.var/drill}"
PORT="${DRILL_PG_PORT:-55442}"
ROWS="${DRILL_ROWS:-5000}"
DATA="$DRILL/data"
BASE="$DRILL/base"
ARCHIVE="$DRILL/wal-archive"
SOCK="$DRILL/run"
LOG="$DRILL/server.log"

log() { printf '[drill] %s %s\n' "$(date +%T)" "$*" >&2; }
die() { printf '[drill] FAILED: %s\n' "$*" >&2; exit 1; }
is_root() { [ "$(id -u)" -eq 0 ]; }

PGBIN="${INFRA_PG_BINDIR:-}"
if [ -z "$PGBIN" ]; then  # the newest installed major version, as scripts/infra.sh picks it
    PGBIN="$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -n1)"
    [ -x "$PGBIN/pg_basebackup" ] || die "no PostgreSQL binaries under /usr/lib/postgresql (scripts/infra.sh up installs them)"
fi

as_owner() {
    if is_root; then (cd "$DRILL" && runuser -u postgres -- "$@"); else "$@"; fi
}
psql_() { as_owner "$PGBIN/psql" -X -q -At -v ON_ERROR_STOP=1 -h "$SOCK" -p "$PORT" -U postgres -d "${DB:-drill}" "$@"; }
pg_ctl_() { as_owner "$PGBIN/pg_ctl" -D "$DATA" -l "$LOG" -w -t 60 -s "$@" </dev/null; }

cleanup() {
    if [ -f "$DATA/postmaster.pid" ]; then as_owner "$PGBIN/pg_ctl" -D "$DATA" -m immediate -s stop >/dev/null 2>&1 || true; fi
}
trap cleanup EXIT

started=$SECONDS
# ------------------------------------------------------------------ 1. a primary with WAL archiving
if [ -f "$DATA/postmaster.pid" ]; then as_owner "$PGBIN/pg_ctl" -D "$DATA" -m immediate -s stop >/dev/null 2>&1 || true; fi
rm -rf "$DRILL"
mkdir -p "$DRILL" "$ARCHIVE" "$SOCK"
if is_root; then
    getent passwd postgres >/dev/null || useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres
    chown -R postgres: "$DRILL"
    chmod 700 "$DRILL"
fi
log "initdb ($PGBIN) on 127.0.0.1:$PORT, data in $DRILL"
as_owner "$PGBIN/initdb" -D "$DATA" -U postgres -E UTF8 --locale=C.UTF-8 --auth=trust --no-sync >"$DRILL/initdb.log" 2>&1 ||
    { cat "$DRILL/initdb.log" >&2; die "initdb"; }
cat >>"$DATA/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $PORT
unix_socket_directories = '$SOCK'
wal_level = replica
archive_mode = on
archive_command = 'test ! -f $ARCHIVE/%f && cp %p $ARCHIVE/%f'
archive_timeout = 60
max_wal_senders = 4
fsync = off
EOF
pg_ctl_ start || { tail -n 30 "$LOG" >&2; die "start the primary"; }
DB=postgres psql_ -c "CREATE DATABASE drill"

# ------------------------------------------------------------------ 2. data
psql_ <<'SQL'
CREATE TABLE application (
    id uuid PRIMARY KEY,
    tracking_number text UNIQUE NOT NULL,
    item_code text NOT NULL,
    form jsonb NOT NULL,
    status text NOT NULL,
    batch text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE TABLE outbox_event (
    seq bigserial PRIMARY KEY,
    id uuid NOT NULL UNIQUE,
    topic text NOT NULL,
    type text NOT NULL,
    subject text NOT NULL,
    data jsonb NOT NULL,
    published_at timestamptz
);
SQL
# Transactions of 10 applications each, every application with its event in the same transaction, as a
# service commits them (the state change and its outbox row).
add_batch() {  # name, count (a multiple of 10)
    psql_ -v batch="$1" -v n="$(($2 / 10))" <<'SQL'
SELECT format(
  'WITH a AS (INSERT INTO application (id, tracking_number, item_code, form, status, batch) '
  'SELECT gen_random_uuid(), %L || ''-'' || (%s * 10 + i), ''000112004000450100000011450100MBQH0Y21QM000'', '
  'jsonb_build_object(''business_name'', ''南宁小食店 '' || i, ''area_m2'', i * 7), ''submitted'', %L '
  'FROM generate_series(1, 10) AS i RETURNING id, tracking_number) '
  'INSERT INTO outbox_event (id, topic, type, subject, data) SELECT gen_random_uuid(), ''gov.application.applications'', '
  '''application.submitted'', id::text, jsonb_build_object(''tracking_number'', tracking_number) FROM a',
  :'batch', t, :'batch')
FROM generate_series(0, :n - 1) AS t \gexec
SQL
}
log "loading $ROWS applications before the backup"
add_batch before-backup "$ROWS" >/dev/null

# ------------------------------------------------------------------ 3. base backup, more work, the target time
log "pg_basebackup"
as_owner "$PGBIN/pg_basebackup" -h "$SOCK" -p "$PORT" -U postgres -D "$BASE" -X stream -c fast --no-sync \
    >"$DRILL/basebackup.log" 2>&1 || { cat "$DRILL/basebackup.log" >&2; die "pg_basebackup"; }
add_batch after-backup 500 >/dev/null
psql_ -c "UPDATE outbox_event SET published_at = clock_timestamp() WHERE seq % 3 = 0" # the relay's marks
# The content of everything committed so far, taken while nothing else writes: what must come back.
DIGEST_SQL="SELECT (SELECT count(*) || ':' || md5(string_agg(id::text || tracking_number || form::text || status, ',' ORDER BY id)) FROM application)
  || ' ' || (SELECT count(*) || ':' || count(published_at) || ':' || md5(string_agg(id::text || subject || data::text, ',' ORDER BY seq)) FROM outbox_event)"
expected="$(psql_ -c "$DIGEST_SQL")"
expected_apps="$(psql_ -c "SELECT count(*) FROM application")"
sleep 1.1
TARGET="$(psql_ -c "SELECT clock_timestamp()")"
sleep 1.1
add_batch after-target 300 >/dev/null
# A mistake after T (what a restore to a point in time is for): rows committed before T deleted.
mistake="$(psql_ -c "WITH d AS (DELETE FROM application WHERE batch = 'before-backup' AND tracking_number LIKE '%-1_' RETURNING 1) SELECT count(*) FROM d")"
segment="$(psql_ -c "SELECT pg_walfile_name(pg_switch_wal())")"
# Everything up to the last commit must be in the archive before the disaster.
for ((i = 0; i < 240; i++)); do
    [ "$(psql_ -c "SELECT coalesce(last_archived_wal >= '$segment', false) FROM pg_stat_archiver")" = t ] && break
    sleep 0.25
done
[ -f "$ARCHIVE/$segment" ] || die "segment $segment was not archived"
archived="$(find "$ARCHIVE" -type f | wc -l)"

# ------------------------------------------------------------------ 4. disaster
log "disaster: kill the primary and delete its data directory"
as_owner "$PGBIN/pg_ctl" -D "$DATA" -m immediate -s stop </dev/null
rm -rf "$DATA"

# ------------------------------------------------------------------ 5. restore to T
log "restore the base backup and replay the archive up to $TARGET"
mv "$BASE" "$DATA"
cat >>"$DATA/postgresql.conf" <<EOF
archive_mode = off
restore_command = 'cp $ARCHIVE/%f %p'
recovery_target_time = '$TARGET'
recovery_target_action = 'promote'
EOF
touch "$DATA/recovery.signal"
if is_root; then chown -R postgres: "$DATA"; fi
pg_ctl_ start || { tail -n 30 "$LOG" >&2; die "start the restored server"; }
for ((i = 0; i < 240; i++)); do
    [ "$(DB=postgres psql_ -c "SELECT pg_is_in_recovery()")" = f ] && break
    sleep 0.25
done
[ "$(DB=postgres psql_ -c "SELECT pg_is_in_recovery()")" = f ] || die "the restored server did not finish recovery"

# ------------------------------------------------------------------ 6. check
restored="$(psql_ -c "$DIGEST_SQL")"
restored_apps="$(psql_ -c "SELECT count(*) FROM application")"
restored_after="$(psql_ -c "SELECT count(*) FROM application WHERE batch = 'after-target' OR created_at > '$TARGET'")"
unpaired="$(psql_ -c "SELECT count(*) FROM application a WHERE NOT EXISTS (SELECT 1 FROM outbox_event o WHERE o.subject::uuid = a.id)")"
unpublished="$(psql_ -c "SELECT count(*) FROM outbox_event WHERE published_at IS NULL")"
ok=true
[ "$restored" = "$expected" ] || { log "content differs: expected $expected, restored $restored"; ok=false; }
[ "$restored_apps" = "$expected_apps" ] || { log "expected $expected_apps applications, found $restored_apps"; ok=false; }
[ "$restored_after" = 0 ] || { log "$restored_after rows committed after T came back"; ok=false; }
[ "$unpaired" = 0 ] || { log "$unpaired applications without their event"; ok=false; }
elapsed=$((SECONDS - started))
printf '{"ok": %s, "target_time": "%s", "applications_before_target": %s, "applications_restored": %s, "applications_after_target": 300, "restored_after_target": %s, "deleted_after_target_and_restored": %s, "outbox_unpublished": %s, "wal_segments_archived": %s, "expected_digest": "%s", "restored_digest": "%s", "seconds": %s}\n' \
    "$ok" "$TARGET" "$expected_apps" "$restored_apps" "$restored_after" "$mistake" "$unpublished" "$archived" \
    "$expected" "$restored" "$elapsed"
$ok || die "the restore lost or added data"
log "restored $restored_apps applications committed before $TARGET with the same content (none after); $unpublished outbox events for the relay to send"
