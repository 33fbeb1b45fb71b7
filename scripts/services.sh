#!/usr/bin/env bash
# Starts / stops the daemons the LMS needs: Docker (for the grading sandboxes), Redis, and a private
# PostgreSQL cluster (for the tests, and for the LMS itself with LMS_DATABASE=postgresql).
#   bash scripts/services.sh start [NAME..]  start what is not running, record what we started
#                                            (default: docker, redis, and postgres if LMS_DATABASE=postgresql)
#   bash scripts/services.sh stop [NAME..]   stop what our scripts started (docker, redis, postgres)
#   bash scripts/services.sh postgres-url [DB]  print the SQLAlchemy URL of the private cluster (db: lms)
# A daemon that was already running (started by hand, by systemd, ...) is never touched.
# The record lives in $LMS_VAR/run/started. Can also be sourced (by run.sh and test.sh):
# services_start then fills LMS_STARTED_NOW with what this very invocation started, and
# export_database_url sets LMS_DATABASE_URL from LMS_DATABASE (sqlite, the default, or postgresql).
#   LMS_DOCKERD_ARGS   extra arguments for dockerd (word-split), e.g. for a private test daemon
#   LMS_POSTGRES_PORT  port of the private cluster (5433), always on 127.0.0.1
#   LMS_POSTGRES_DIR   its folder (default: $LMS_VAR/postgres)
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

LMS_STARTED_NOW=()
DOCKERD_PIDFILE="$LMS_RUN_DIR/dockerd.pid"
DOCKERD_CONFIG="$LMS_RUN_DIR/daemon.json"
REDIS_PIDFILE="$LMS_RUN_DIR/redis.pid"

# --- docker ----------------------------------------------------------------
docker_up() { timeout 20 docker info >/dev/null 2>&1; }

write_dockerd_config() {
    if [ -x /usr/bin/runsc ]; then
        cat >"$DOCKERD_CONFIG".tmp <<'EOF'
{
  "runtimes": {
    "runsc": {
      "path": "/usr/bin/runsc",
      "runtimeArgs": ["--network=none", "--platform=ptrace"]
    }
  }
}
EOF
    else
        printf '{}\n' >"$DOCKERD_CONFIG".tmp
    fi
    mv -f "$DOCKERD_CONFIG".tmp "$DOCKERD_CONFIG"
}

start_docker() {
    have_cmd docker || die "docker client not found: run scripts/bootstrap.sh"
    if docker_up; then
        log "docker: already running"
        return 0
    fi
    have_cmd dockerd || die "dockerd not found: run scripts/bootstrap.sh"
    local pid
    pid="$(read_pidfile "$DOCKERD_PIDFILE")"
    if pid_alive "$pid" dockerd; then
        # Ours (its pidfile is in $LMS_VAR) but not answering yet: wait for it below.
        log "docker: dockerd (pid $pid) is starting, waiting for it"
    else
        # dockerd refuses to start over a pidfile whose pid is alive (even a reused one).
        rm -f "$DOCKERD_PIDFILE"
        write_dockerd_config
        log "docker: starting dockerd (log: ${LMS_LOG_DIR#"$LMS_ROOT"/}/dockerd.log)"
        local -a extra=()
        # shellcheck disable=SC2206 # word splitting of the extra arguments is wanted
        [ -n "${LMS_DOCKERD_ARGS:-}" ] && extra=(${LMS_DOCKERD_ARGS})
        printf '\n=== %s dockerd starting\n' "$(date -Is)" >>"$LMS_LOG_DIR/dockerd.log"
        # Detached: own session, and not a child of this shell (run.sh/test.sh source this
        # file and wait for their own children). setsid and nohup exec, so the pid printed
        # is dockerd itself; dockerd writes the pidfile.
        pid="$(setsid nohup dockerd --config-file "$DOCKERD_CONFIG" --pidfile "$DOCKERD_PIDFILE" "${extra[@]}" \
            </dev/null >>"$LMS_LOG_DIR/dockerd.log" 2>&1 9>&- & echo $!)"
        record_started docker
        LMS_STARTED_NOW+=(docker)
    fi
    local i
    for ((i = 0; i < 150; i++)); do
        docker_up && break
        if ! pid_alive "$pid"; then
            tail -n 20 "$LMS_LOG_DIR/dockerd.log" >&2 || true
            forget_started docker
            die "dockerd exited during startup (see ${LMS_LOG_DIR}/dockerd.log)"
        fi
        sleep 0.2
    done
    if ! docker_up; then
        tail -n 20 "$LMS_LOG_DIR/dockerd.log" >&2 || true
        die "dockerd did not answer within 30s (see ${LMS_LOG_DIR}/dockerd.log)"
    fi
    log "docker: up (dockerd pid $pid)"
}

stop_docker() {
    local pid
    pid="$(read_pidfile "$DOCKERD_PIDFILE")"
    if pid_alive "$pid" dockerd; then
        if docker_up; then
            local ids
            ids="$(docker ps -aq --filter label=lms.sandbox || true)"
            if [ -n "$ids" ]; then
                log "docker: removing $(wc -w <<<"$ids") sandbox container(s)"
                xargs -r docker rm -f <<<"$ids" >/dev/null || true
            fi
        fi
        log "docker: stopping dockerd (pid $pid)"
        stop_pid dockerd "$pid" 30
    else
        log "docker: dockerd not running"
    fi
    rm -f "$DOCKERD_PIDFILE"
    forget_started docker
}

# --- redis -----------------------------------------------------------------
redis_up() {
    [ "$(timeout 5 redis-cli -h "$LMS_REDIS_HOST" -p "$LMS_REDIS_PORT" ping 2>/dev/null || true)" = PONG ]
}

start_redis() {
    have_cmd redis-cli || die "redis-cli not found: run scripts/bootstrap.sh"
    if redis_up; then
        log "redis: already running on $LMS_REDIS_HOST:$LMS_REDIS_PORT"
        return 0
    fi
    have_cmd redis-server || die "redis-server not found: run scripts/bootstrap.sh"
    log "redis: starting redis-server on $LMS_REDIS_HOST:$LMS_REDIS_PORT"
    redis-server --bind "$LMS_REDIS_HOST" --port "$LMS_REDIS_PORT" --daemonize yes \
        --logfile "$LMS_LOG_DIR/redis.log" --pidfile "$REDIS_PIDFILE" --dir "$LMS_REDIS_DIR" \
        --save 60 1 --protected-mode yes 9>&- </dev/null
    record_started redis
    LMS_STARTED_NOW+=(redis)
    local i
    for ((i = 0; i < 100; i++)); do
        redis_up && { log "redis: up (pid $(read_pidfile "$REDIS_PIDFILE"))"; return 0; }
        sleep 0.1
    done
    tail -n 20 "$LMS_LOG_DIR/redis.log" >&2 || true
    die "redis did not answer within 10s (see $LMS_LOG_DIR/redis.log)"
}

stop_redis() {
    local pid
    pid="$(read_pidfile "$REDIS_PIDFILE")"
    if pid_alive "$pid" redis-server; then
        log "redis: stopping redis-server (pid $pid)"
        stop_pid redis-server "$pid" 30
    else
        log "redis: not running"
    fi
    rm -f "$REDIS_PIDFILE"
    forget_started redis
}

# --- postgres --------------------------------------------------------------
# A cluster of our own in $LMS_VAR/postgres (owned by the postgres system user) for the role and database
# `lms`, whose random password is kept in $LMS_POSTGRES_PASSWORD_FILE (0600). TCP on 127.0.0.1 only, with
# scram-sha-256, and no Unix socket: its path would depend on where the checkout lives (and is limited to
# ~100 bytes). The superuser has no password, so nobody logs in as it. The server writes its log through
# the file we open, so the postgres user needs to reach the cluster's folder only.
POSTGRES_ROLE=lms
POSTGRES_LOG="$LMS_LOG_DIR/postgres.log"

# The server binaries: $LMS_POSTGRES_BIN, else the newest of Debian's /usr/lib/postgresql/<version>/bin.
postgres_bin() {
    local dir="${LMS_POSTGRES_BIN:-}"
    [ -n "$dir" ] || dir="$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"
    [ -x "$dir/pg_ctl" ] || die "PostgreSQL server not found in /usr/lib/postgresql/*/bin: run scripts/bootstrap.sh"
    printf '%s\n' "$dir"
}

postgres_password() {
    [ -s "$LMS_POSTGRES_PASSWORD_FILE" ] \
        || die "no $LMS_POSTGRES_PASSWORD_FILE: start the cluster first (bash scripts/services.sh start postgres)"
    cat "$LMS_POSTGRES_PASSWORD_FILE"
}

# postgres_url [DB]: the SQLAlchemy URL (psycopg 3) of database DB (default lms) in the private cluster.
# The role may CREATE DATABASE: the tests make theirs through `postgres_url postgres`.
postgres_url() {
    printf 'postgresql+psycopg://%s:%s@%s:%s/%s\n' "$POSTGRES_ROLE" "$(postgres_password)" \
        "$LMS_POSTGRES_HOST" "$LMS_POSTGRES_PORT" "${1:-lms}"
}

# For run.sh, after services_start: LMS_DATABASE=postgresql selects the private cluster unless an
# LMS_DATABASE_URL is given; sqlite (the default) leaves the app its var/lms.sqlite.
export_database_url() {
    case "${LMS_DATABASE:-sqlite}" in
        sqlite) ;;
        postgresql)
            if [ -z "${LMS_DATABASE_URL:-}" ]; then
                LMS_DATABASE_URL="$(postgres_url)"
                export LMS_DATABASE_URL
            fi
            ;;
        *) die "LMS_DATABASE must be sqlite or postgresql, got '$LMS_DATABASE'" ;;
    esac
}

as_postgres() { runuser -u postgres -- "$@"; }

# The cluster's folder: $LMS_POSTGRES_DIR if set, else $LMS_VAR/postgres; but when the postgres user cannot
# enter $LMS_VAR (a checkout in a private home folder), one in its own home, named after $LMS_VAR.
postgres_dir() {
    if [ -n "${LMS_POSTGRES_DIR:-}" ]; then
        printf '%s\n' "$LMS_POSTGRES_DIR"
    elif ! id postgres >/dev/null 2>&1 || as_postgres test -x "$LMS_VAR"; then
        printf '%s\n' "$LMS_VAR/postgres"
    else
        printf '/var/lib/postgresql/lms-%s\n' "$(printf '%s' "$LMS_VAR" | sha256sum | cut -c1-12)"
    fi
}
postgres_pid() {
    local dir
    dir="$(postgres_dir)"
    [ -f "$dir/postmaster.pid" ] && head -n 1 "$dir/postmaster.pid" | tr -dc '0-9'
    return 0
}
postgres_up() { "$1/pg_isready" -q -h "$LMS_POSTGRES_HOST" -p "$LMS_POSTGRES_PORT" -t 3; }
postgres_psql() {
    local bin="$1"; shift
    PGPASSWORD="$(postgres_password)" "$bin/psql" -X -q -v ON_ERROR_STOP=1 -h "$LMS_POSTGRES_HOST" \
        -p "$LMS_POSTGRES_PORT" -U "$POSTGRES_ROLE" "$@"
}

# Built aside and moved in place when complete, so a half-made cluster is never taken for ours.
init_postgres() {
    local bin="$1" dir="$2" new="$2.new" out
    id postgres >/dev/null 2>&1 || die "no postgres system user: run scripts/bootstrap.sh"
    as_postgres test -x "$(dirname "$dir")" || die "the postgres user cannot enter $(dirname "$dir"): set LMS_POSTGRES_DIR"
    if [ ! -s "$LMS_POSTGRES_PASSWORD_FILE" ]; then
        (umask 077 && head -c 24 /dev/urandom | od -An -vtx1 | tr -d ' \n' >"$LMS_POSTGRES_PASSWORD_FILE.tmp")
        mv -f "$LMS_POSTGRES_PASSWORD_FILE.tmp" "$LMS_POSTGRES_PASSWORD_FILE"
    fi
    log "postgres: creating the cluster in ${dir#"$LMS_ROOT"/}"
    rm -rf "$new"
    install -d -o postgres -g postgres -m 0700 "$new"
    # C.UTF-8: code-point order (as SQLite sorts) with Unicode case mapping.
    as_postgres "$bin/initdb" -D "$new" -U postgres -E UTF8 --locale=C.UTF-8 --auth-local=peer \
        --auth-host=scram-sha-256 >>"$POSTGRES_LOG" 2>&1 || die "initdb failed (see $POSTGRES_LOG)"
    printf '\n# LMS private cluster (scripts/services.sh); the port is given at start.\n%s\n%s\n' \
        "listen_addresses = '127.0.0.1'" "unix_socket_directories = ''" >>"$new/postgresql.conf"
    # Single-user mode, before the first start, so the superuser needs no password. The statement carries
    # the password: never log it. That backend exits 0 even when a statement fails: look for the error.
    out="$(printf "CREATE ROLE %s LOGIN CREATEDB PASSWORD '%s';\n\n" "$POSTGRES_ROLE" "$(postgres_password)" \
        | as_postgres "$bin/postgres" --single -j -c log_min_error_statement=panic -D "$new" postgres 2>&1)"
    if grep -q 'ERROR\|FATAL' <<<"$out"; then
        grep 'ERROR\|FATAL' <<<"$out" >&2
        die "postgres: could not create the role $POSTGRES_ROLE"
    fi
    mv "$new" "$dir"
}

ensure_postgres_database() {
    local bin="$1"
    if [ -z "$(postgres_psql "$bin" -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'lms'")" ]; then
        log "postgres: creating database lms"
        postgres_psql "$bin" -d postgres -c "CREATE DATABASE lms"
    fi
}

start_postgres() {
    local bin dir pid version i
    bin="$(postgres_bin)"
    dir="$(postgres_dir)"
    pid="$(postgres_pid)"
    if pid_alive "$pid" postgres; then
        # Ours (its pid file is in $LMS_VAR), maybe still starting: wait for it below.
        log "postgres: already running (pid $pid)"
    else
        if postgres_up "$bin"; then
            die "another server answers on $LMS_POSTGRES_HOST:$LMS_POSTGRES_PORT: set LMS_POSTGRES_PORT to a free port"
        fi
        [ -d "$dir" ] || init_postgres "$bin" "$dir"
        [ -s "$LMS_POSTGRES_PASSWORD_FILE" ] \
            || die "no $LMS_POSTGRES_PASSWORD_FILE: the cluster in $dir cannot be used (remove it to start afresh)"
        version="$("$bin/postgres" -V | awk '{print $3}' | cut -d. -f1)"
        [ "$(cat "$dir/PG_VERSION")" = "$version" ] \
            || die "the cluster in $dir is PostgreSQL $(cat "$dir/PG_VERSION"), the server $version"
        log "postgres: starting on $LMS_POSTGRES_HOST:$LMS_POSTGRES_PORT (log: ${POSTGRES_LOG#"$LMS_ROOT"/})"
        printf '\n=== %s postgres starting\n' "$(date -Is)" >>"$POSTGRES_LOG"
        record_started postgres
        LMS_STARTED_NOW+=(postgres)
        # pg_ctl starts the server in its own session and returns at once. Without -l the server keeps
        # pg_ctl's output: the log we opened.
        if ! as_postgres "$bin/pg_ctl" start -W -D "$dir" -o "-p $LMS_POSTGRES_PORT" \
                </dev/null >>"$POSTGRES_LOG" 2>&1 9>&-; then
            tail -n 20 "$POSTGRES_LOG" >&2 || true
            forget_started postgres
            die "postgres did not start (see $POSTGRES_LOG)"
        fi
    fi
    for ((i = 0; i < 300; i++)); do
        postgres_up "$bin" && break
        # The pid file appears a moment after pg_ctl returns.
        if [ "$i" -ge 20 ] && ! pid_alive "$(postgres_pid)" postgres; then
            tail -n 20 "$POSTGRES_LOG" >&2 || true
            forget_started postgres
            die "postgres exited during startup (see $POSTGRES_LOG)"
        fi
        sleep 0.1
    done
    if ! postgres_up "$bin"; then
        tail -n 20 "$POSTGRES_LOG" >&2 || true
        die "postgres did not answer on $LMS_POSTGRES_HOST:$LMS_POSTGRES_PORT within 30s (see $POSTGRES_LOG)"
    fi
    ensure_postgres_database "$bin"
    log "postgres: up (pid $(postgres_pid))"
}

stop_postgres() {
    local pid
    pid="$(postgres_pid)"
    if pid_alive "$pid" postgres; then
        log "postgres: stopping (pid $pid)"
        # Fast shutdown disconnects the clients (a plain TERM would wait for them to leave).
        as_postgres "$(postgres_bin)/pg_ctl" stop -D "$(postgres_dir)" -m fast -w -t 30 \
            >>"$POSTGRES_LOG" 2>&1 || stop_pid postgres "$pid" 10
    else
        log "postgres: not running"
    fi
    forget_started postgres
}

# --- entry points ----------------------------------------------------------
# Serialise concurrent start/stop calls (fd 9 is closed for the daemons we spawn).
services_lock() {
    ensure_var_dirs
    exec 9>"$LMS_RUN_DIR/services.lock"
    flock -w 120 9 || die "could not lock $LMS_RUN_DIR/services.lock"
}
services_unlock() { exec 9>&-; }

check_service_names() {
    local name
    for name in "$@"; do
        case "$name" in docker|redis|postgres) ;; *) die "unknown service: $name (known: docker, redis, postgres)" ;; esac
    done
}

# services_start [NAME...]: start the named services (default: docker and redis, and postgres when
# LMS_DATABASE=postgresql).
services_start() {
    local -a names=("$@")
    if [ "${#names[@]}" -eq 0 ]; then
        names=(docker redis)
        [ "${LMS_DATABASE:-sqlite}" != postgresql ] || names+=(postgres)
    fi
    check_service_names "${names[@]}"
    services_lock
    local name
    for name in docker redis postgres; do
        if [[ " ${names[*]} " == *" $name "* ]]; then "start_$name"; fi
    done
    services_unlock
}

# services_stop [NAME...]: stop the named services if our scripts started them
# (all recorded ones when no name is given); docker goes last.
services_stop() {
    local -a names=("$@")
    if [ "${#names[@]}" -eq 0 ]; then
        mapfile -t names < <(started_services)
    fi
    check_service_names "${names[@]}"
    services_lock
    local name stopped=0
    for name in postgres redis docker; do
        [[ " ${names[*]} " == *" $name "* ]] || continue
        if ! was_started "$name"; then
            log "$name: not started by these scripts, leaving it alone"
            continue
        fi
        "stop_$name"
        stopped=1
    done
    [ "$stopped" -eq 1 ] || log "services: nothing to stop"
    services_unlock
}

services_main() {
    case "${1:-}" in
        start) require_root "$@"; shift; services_start "$@" ;;
        stop)  require_root "$@"; shift; services_stop "$@" ;;
        postgres-url) require_root "$@"; postgres_url "${2:-lms}" ;;
        *) printf 'usage: %s start|stop [docker|redis|postgres...] | postgres-url [DB]\n' "$0" >&2; exit 2 ;;
    esac
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    services_main "$@"
fi
