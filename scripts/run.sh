#!/usr/bin/env bash
# Runs the whole LMS on this machine: sudo bash scripts/run.sh
# bootstrap -> Redis and Docker -> sandbox images -> database and content -> web + grading workers, every
# long-running process under supervisord (Debian's supervisor): one that dies is restarted with backoff and
# logged (var/log/supervisord.log), never a reason to stop the rest. Ctrl-C stops everything this run started.
#   LMS_BIND (127.0.0.1:8000)  LMS_WEB_WORKERS (3)  LMS_WORKERS (2)  LMS_POOL_SIZE (2)
#   LMS_DATABASE (sqlite | postgresql: a private PostgreSQL cluster)  LMS_DATABASE_URL (any database)
#   LMS_ROLE (all | worker): `worker` runs grading workers only, joining a deployment whose Redis and database
#   are elsewhere (LMS_REDIS_URL and LMS_DATABASE_URL required; this machine's own Docker engine).
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "$0")/lib.sh"
require_root "$@"
# shellcheck source=scripts/services.sh
source "$LMS_ROOT/scripts/services.sh"

ROLE="${LMS_ROLE:-all}"
BIND="${LMS_BIND:-127.0.0.1:8000}"
WEB_WORKERS="${LMS_WEB_WORKERS:-3}"
WEB_THREADS="${LMS_WEB_THREADS:-16}"  # threads per web worker: result long-polls wait in them
N_WORKERS="${LMS_WORKERS:-2}"
POOL_SIZE="${LMS_POOL_SIZE:-2}"
WORKER_PREFIX="${LMS_WORKER_PREFIX:-$(hostname -s 2>/dev/null || echo worker)}"
for v in WEB_WORKERS WEB_THREADS N_WORKERS POOL_SIZE; do
    [[ "${!v}" =~ ^[0-9]+$ ]] || die "LMS_${v#N_} must be a number, got '${!v}'"
done
[[ "$WORKER_PREFIX" =~ ^[A-Za-z0-9][A-Za-z0-9_-]{0,40}$ ]] || die "LMS_WORKER_PREFIX must be a short name, got '$WORKER_PREFIX'"
case "$ROLE" in
    all) export LMS_REDIS_URL="${LMS_REDIS_URL:-redis://$LMS_REDIS_HOST:$LMS_REDIS_PORT/0}" ;;
    worker)
        [ -n "${LMS_REDIS_URL:-}" ] && [ -n "${LMS_DATABASE_URL:-}" ] \
            || die "LMS_ROLE=worker joins a deployment: set LMS_REDIS_URL and LMS_DATABASE_URL to its Redis and database"
        [ "$N_WORKERS" -ge 1 ] || die "LMS_ROLE=worker needs LMS_WORKERS >= 1"
        ;;
    *) die "LMS_ROLE must be all or worker, got '$ROLE'" ;;
esac

SUPERVISOR_CONF="$LMS_RUN_DIR/supervisord.conf"
SUPERVISOR_SOCK="$LMS_RUN_DIR/supervisor.sock"
SUPERVISOR_PIDFILE="$LMS_RUN_DIR/supervisord.pid"
SUPERVISED_SERVICES=()  # redis / docker, when this run starts them (under supervisord too)
SUPERVISORD_PID=""

ctl() { supervisorctl -c "$SUPERVISOR_CONF" "$@"; }

on_exit() {
    local rc=$?
    trap '' INT TERM
    set +e
    if [ -n "$SUPERVISORD_PID" ] && pid_alive "$SUPERVISORD_PID"; then
        log "stopping the LMS (supervisord: web, workers${SUPERVISED_SERVICES[*]:+, ${SUPERVISED_SERVICES[*]}})"
        # Workers first (a warm shutdown lets a running job finish), then the rest.
        ctl stop 'workers:*' >/dev/null 2>&1
        ctl shutdown >/dev/null 2>&1 || kill -TERM "$SUPERVISORD_PID" 2>/dev/null
        if ! wait_gone 90 "$SUPERVISORD_PID"; then
            warn "supervisord did not stop in 90 s: killing it and everything it started"
            # Its own session (setsid below), which its programs share: nothing of this run outlives it.
            pkill -KILL -s "$SUPERVISORD_PID" 2>/dev/null
        fi
    fi
    rm -f "$SUPERVISOR_PIDFILE"
    if [ "${#LMS_STARTED_NOW[@]}" -gt 0 ]; then
        log "stopping the services this run started: ${LMS_STARTED_NOW[*]}"
        services_stop "${LMS_STARTED_NOW[@]}"
    fi
    log "stopped"
    exit "$rc"
}
on_signal() { printf '\n'; log "interrupted"; exit 130; }

# Refuse to start twice.
ensure_var_dirs
if pid_alive "$(read_pidfile "$SUPERVISOR_PIDFILE")" supervisord; then
    die "the LMS already runs here (supervisord pid $(read_pidfile "$SUPERVISOR_PIDFILE")): stop it first (Ctrl-C where it runs)"
fi

trap on_exit EXIT
trap on_signal INT TERM

bash "$LMS_ROOT/scripts/bootstrap.sh"
have_cmd supervisord || die "supervisord not found: run scripts/bootstrap.sh"

# --- supervisord's configuration ------------------------------------------------------------------
# Programs get this script's environment (LMS_*, DOCKER_HOST...). Each restart is logged by supervisord; a
# program that dies within `startsecs` of its start is retried with a growing delay (1 s, 2 s, ...).
write_supervisor_conf() {
    local redis_port="$LMS_REDIS_PORT"
    {
        cat <<EOF
; Written by scripts/run.sh at each start: do not edit (production hosts use deploy/systemd/).
[unix_http_server]
file=$SUPERVISOR_SOCK
chmod=0700

[supervisord]
logfile=$LMS_LOG_DIR/supervisord.log
logfile_maxbytes=10MB
pidfile=$SUPERVISOR_PIDFILE
childlogdir=$LMS_LOG_DIR
nodaemon=true
silent=true

[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

[supervisorctl]
serverurl=unix://$SUPERVISOR_SOCK

EOF
        if [[ " ${SUPERVISED_SERVICES[*]} " == *" redis "* ]]; then
            cat <<EOF
[program:redis]
command=redis-server --bind $LMS_REDIS_HOST --port $redis_port --daemonize no --dir $LMS_REDIS_DIR --save "60 1" --protected-mode yes
priority=10
autorestart=true
startsecs=1
startretries=1000
stopwaitsecs=30
redirect_stderr=true
stdout_logfile=$LMS_LOG_DIR/redis.log

EOF
        fi
        if [[ " ${SUPERVISED_SERVICES[*]} " == *" docker "* ]]; then
            cat <<EOF
[program:dockerd]
; dockerd refuses to start over the pid file a killed one left behind
command=bash -c 'rm -f $DOCKERD_PIDFILE; exec dockerd --config-file $DOCKERD_CONFIG --pidfile $DOCKERD_PIDFILE ${LMS_DOCKERD_ARGS:-}'
priority=10
autorestart=true
startsecs=3
startretries=1000
stopwaitsecs=60
redirect_stderr=true
stdout_logfile=$LMS_LOG_DIR/dockerd.log

EOF
        fi
        if [ "$ROLE" = all ]; then
            cat <<EOF
[program:web]
command=$LMS_VENV/bin/gunicorn --workers $WEB_WORKERS --worker-class gthread --threads $WEB_THREADS --bind $BIND --access-logfile $LMS_LOG_DIR/web-access.log --error-logfile - wsgi:app
directory=$LMS_ROOT
autostart=false
autorestart=true
startsecs=2
startretries=1000
stopwaitsecs=20
stopasgroup=true
killasgroup=true
redirect_stderr=true
stdout_logfile=$LMS_LOG_DIR/web.log

EOF
        fi
        if [ "$N_WORKERS" -ge 1 ]; then
            cat <<EOF
[program:worker]
process_name=worker-%(process_num)d
numprocs=$N_WORKERS
numprocs_start=1
command=$LMS_VENV/bin/flask --app wsgi lms worker --name $WORKER_PREFIX-%(process_num)d --pool-size $POOL_SIZE
directory=$LMS_ROOT
autostart=false
autorestart=true
startsecs=3
startretries=1000
; SIGTERM: RQ's warm shutdown (the running job finishes); after that, SIGKILL, and its job is re-run elsewhere
stopwaitsecs=60
stopasgroup=true
killasgroup=true
redirect_stderr=true
stdout_logfile=$LMS_LOG_DIR/worker-%(process_num)d.log

[group:workers]
programs=worker

EOF
        fi
    } >"$SUPERVISOR_CONF.tmp"
    mv -f "$SUPERVISOR_CONF.tmp" "$SUPERVISOR_CONF"
}

# Redis and Docker: left alone when they already run (systemd, by hand, test.sh); else started here, under
# supervisord, so they too come back if they die. A worker-only host uses the deployment's Redis.
if [ "$ROLE" = all ] && ! redis_up; then
    have_cmd redis-server || die "redis-server not found: run scripts/bootstrap.sh"
    SUPERVISED_SERVICES+=(redis)
fi
if ! docker_up; then
    have_cmd dockerd || die "dockerd not found: run scripts/bootstrap.sh"
    rm -f "$DOCKERD_PIDFILE"
    write_dockerd_config
    SUPERVISED_SERVICES+=(docker)
fi
[ "${LMS_DATABASE:-sqlite}" != postgresql ] || services_start postgres
export_database_url

write_supervisor_conf
log "starting supervisord (config: ${SUPERVISOR_CONF#"$LMS_ROOT"/}, log: ${LMS_LOG_DIR#"$LMS_ROOT"/}/supervisord.log)"
# Its own session: Ctrl-C reaches this script only, which then stops everything in order.
setsid supervisord -c "$SUPERVISOR_CONF" </dev/null >>"$LMS_LOG_DIR/supervisord.out" 2>&1 &
SUPERVISORD_PID=$!
for ((i = 0; i < 100; i++)); do
    [ -S "$SUPERVISOR_SOCK" ] && ctl pid >/dev/null 2>&1 && break
    pid_alive "$SUPERVISORD_PID" || die "supervisord exited at start (see $LMS_LOG_DIR/supervisord.out)"
    sleep 0.1
done
for ((i = 0; i < 300; i++)); do
    { [[ " ${SUPERVISED_SERVICES[*]} " != *" redis "* ]] || redis_up; } &&
        { [[ " ${SUPERVISED_SERVICES[*]} " != *" docker "* ]] || docker_up; } && break
    sleep 0.2
done
[[ " ${SUPERVISED_SERVICES[*]} " != *" redis "* ]] || redis_up || die "redis did not come up (see $LMS_LOG_DIR/redis.log)"
[[ " ${SUPERVISED_SERVICES[*]} " != *" docker "* ]] || docker_up || die "dockerd did not come up (see $LMS_LOG_DIR/dockerd.log)"
[ "${#SUPERVISED_SERVICES[@]}" -eq 0 ] || log "under supervisord: ${SUPERVISED_SERVICES[*]}"

bash "$LMS_ROOT/sandboxes/images/build.sh"
require_venv
compile_translations

flask=("$LMS_VENV/bin/flask" --app wsgi)
if [ "$ROLE" = all ]; then
    log "database: flask db upgrade"
    "${flask[@]}" db upgrade
    log "content: flask lms import-content exercises (the bundled demo source; other sources are left as they are)"
    "${flask[@]}" lms import-content exercises
    log "demo users: flask lms demo-users"
    "${flask[@]}" lms demo-users
    log "starting the web server on $BIND ($WEB_WORKERS gunicorn workers x $WEB_THREADS threads)"
    ctl start web >/dev/null
fi
if [ "$N_WORKERS" -ge 1 ]; then
    ctl start 'workers:*' >/dev/null
    log "started $N_WORKERS grading worker(s) ($WORKER_PREFIX-1..$N_WORKERS), pool size $POOL_SIZE each"
fi

rel_log="${LMS_LOG_DIR#"$LMS_ROOT"/}"
if [ "$ROLE" = all ]; then
    url=""
    case "$BIND" in
        unix:*) url="$BIND" ;;
        *)
            host="${BIND%:*}" port="${BIND##*:}"
            case "$host" in ""|0.0.0.0|"[::]"|"$BIND") host=127.0.0.1 ;; esac
            [ "$port" = "$BIND" ] && port=8000
            url="http://$host:$port/"
            up=0
            for ((t = 0; t < 150; t++)); do
                if timeout 1 bash -c ": >/dev/tcp/${host//[][]/}/$port" 2>/dev/null; then up=1; break; fi
                sleep 0.2
            done
            if [ "$up" -ne 1 ]; then
                tail -n 20 "$LMS_LOG_DIR/web.log" >&2 || true
                die "the web server did not come up on $BIND (see ${LMS_LOG_DIR}/web.log)"
            fi
            ;;
    esac
    log "LMS is running: $url"
else
    log "grading workers joined the deployment at ${LMS_REDIS_URL##*@} (this engine: ${DOCKER_HOST:-the local socket})"
fi
log "logs: $rel_log/web.log, $rel_log/worker-<n>.log, $rel_log/supervisord.log (restarts); state: supervisorctl -c ${SUPERVISOR_CONF#"$LMS_ROOT"/} status"
log "press Ctrl-C to stop"

# supervisord restarts what dies; this script only waits for Ctrl-C (or for supervisord itself to end).
wait "$SUPERVISORD_PID" || true
warn "supervisord ended (see $LMS_LOG_DIR/supervisord.log)"
exit 1
