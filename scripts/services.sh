#!/usr/bin/env bash
# Starts / stops the daemons the LMS needs: Docker (for the grading sandboxes) and Redis.
#   bash scripts/services.sh start          start what is not running, record what we started
#   bash scripts/services.sh stop [NAME..]  stop what our scripts started (docker, redis)
# A daemon that was already running (started by hand, by systemd, ...) is never touched.
# The record lives in $LMS_VAR/run/started. Can also be sourced (by run.sh and test.sh):
# services_start then fills LMS_STARTED_NOW with what this very invocation started.
#   LMS_DOCKERD_ARGS   extra arguments for dockerd (word-split), e.g. for a private test daemon
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

# --- entry points ----------------------------------------------------------
# Serialise concurrent start/stop calls (fd 9 is closed for the daemons we spawn).
services_lock() {
    ensure_var_dirs
    exec 9>"$LMS_RUN_DIR/services.lock"
    flock -w 120 9 || die "could not lock $LMS_RUN_DIR/services.lock"
}
services_unlock() { exec 9>&-; }

services_start() {
    services_lock
    start_docker
    start_redis
    services_unlock
}

# services_stop [NAME...]: stop the named services if our scripts started them
# (all recorded ones when no name is given); redis goes before docker.
services_stop() {
    local -a names=("$@")
    if [ "${#names[@]}" -eq 0 ]; then
        mapfile -t names < <(started_services)
    fi
    services_lock
    local name stopped=0
    for name in "${names[@]}"; do
        case "$name" in redis|docker) ;; *) die "unknown service: $name (known: docker, redis)" ;; esac
    done
    for name in redis docker; do
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
        start) require_root "$@"; services_start ;;
        stop)  require_root "$@"; shift; services_stop "$@" ;;
        *) printf 'usage: %s start|stop [docker|redis...]\n' "$0" >&2; exit 2 ;;
    esac
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    services_main "$@"
fi
