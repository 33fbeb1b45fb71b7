#!/usr/bin/env bash
# Runs the whole LMS on this machine: sudo bash scripts/run.sh
# bootstrap -> services -> sandbox images -> database and content -> web + grading workers.
# Ctrl-C stops the web server and the workers, then the services this run started.
#   LMS_BIND (127.0.0.1:8000)  LMS_WEB_WORKERS (3)  LMS_WORKERS (2)  LMS_POOL_SIZE (2)
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "$0")/lib.sh"
require_root "$@"
# shellcheck source=scripts/services.sh
source "$LMS_ROOT/scripts/services.sh"

BIND="${LMS_BIND:-127.0.0.1:8000}"
WEB_WORKERS="${LMS_WEB_WORKERS:-3}"
WEB_THREADS="${LMS_WEB_THREADS:-16}"  # threads per web worker: result long-polls wait in them
N_WORKERS="${LMS_WORKERS:-2}"
POOL_SIZE="${LMS_POOL_SIZE:-2}"
for v in WEB_WORKERS WEB_THREADS N_WORKERS POOL_SIZE; do
    [[ "${!v}" =~ ^[0-9]+$ ]] || die "LMS_${v#N_} must be a number, got '${!v}'"
done

CHILD_PIDS=()
CHILD_NAMES=()
CHILD_LOGS=()

stop_children() {
    [ "${#CHILD_PIDS[@]}" -gt 0 ] || return 0
    log "stopping web server and workers"
    local pid i
    for pid in "${CHILD_PIDS[@]}"; do
        kill -TERM "$pid" 2>/dev/null || true
    done
    if ! wait_gone 10 "${CHILD_PIDS[@]}"; then
        for i in "${!CHILD_PIDS[@]}"; do
            pid_alive "${CHILD_PIDS[i]}" && warn "${CHILD_NAMES[i]} (pid ${CHILD_PIDS[i]}) did not stop in 10s: killing it"
        done
    fi
    # Each child leads its own process group (setsid): kill what is left of the groups.
    for pid in "${CHILD_PIDS[@]}"; do
        kill -KILL -- "-$pid" 2>/dev/null || true
    done
    wait_gone 5 "${CHILD_PIDS[@]}" || true
    wait "${CHILD_PIDS[@]}" 2>/dev/null || true
    for i in "${!CHILD_NAMES[@]}"; do
        rm -f "$LMS_RUN_DIR/${CHILD_NAMES[i]}.pid"
    done
    CHILD_PIDS=()
}

on_exit() {
    local rc=$?
    trap '' INT TERM
    set +e
    stop_children
    if [ "${#LMS_STARTED_NOW[@]}" -gt 0 ]; then
        log "stopping the services this run started: ${LMS_STARTED_NOW[*]}"
        services_stop "${LMS_STARTED_NOW[@]}"
    fi
    log "stopped"
    exit "$rc"
}
on_signal() { printf '\n'; log "interrupted"; exit 130; }

# start_child NAME LOGFILE CMD...: start CMD in its own session, output appended to LOGFILE.
start_child() {
    local name="$1" logfile="$2"; shift 2
    printf '\n=== %s %s starting\n' "$(date -Is)" "$name" >>"$logfile"
    setsid "$@" </dev/null >>"$logfile" 2>&1 &
    local pid=$!
    printf '%s\n' "$pid" >"$LMS_RUN_DIR/$name.pid"
    CHILD_PIDS+=("$pid")
    CHILD_NAMES+=("$name")
    CHILD_LOGS+=("$logfile")
}

# Refuse to start twice.
ensure_var_dirs
for pidfile in "$LMS_RUN_DIR"/web.pid "$LMS_RUN_DIR"/worker-*.pid; do
    [ -f "$pidfile" ] || continue
    pid="$(read_pidfile "$pidfile")"
    if pid_alive "$pid"; then
        die "the LMS already runs here ($(basename "$pidfile" .pid), pid $pid): stop it first (Ctrl-C where it runs, or kill $pid)"
    fi
    rm -f "$pidfile"
done

trap on_exit EXIT
trap on_signal INT TERM

bash "$LMS_ROOT/scripts/bootstrap.sh"
services_start
bash "$LMS_ROOT/sandboxes/images/build.sh"
require_venv
compile_translations

flask=("$LMS_VENV/bin/flask" --app wsgi)
log "database: flask db upgrade"
"${flask[@]}" db upgrade
log "content: flask lms import-content exercises"
"${flask[@]}" lms import-content exercises
log "demo users: flask lms demo-users"
"${flask[@]}" lms demo-users

log "starting web server on $BIND ($WEB_WORKERS gunicorn workers x $WEB_THREADS threads)"
start_child web "$LMS_LOG_DIR/web.log" \
    "$LMS_VENV/bin/gunicorn" --workers "$WEB_WORKERS" --worker-class gthread --threads "$WEB_THREADS" --bind "$BIND" \
    --access-logfile "$LMS_LOG_DIR/web-access.log" --error-logfile "$LMS_LOG_DIR/web.log" wsgi:app
for ((i = 1; i <= N_WORKERS; i++)); do
    start_child "worker-$i" "$LMS_LOG_DIR/worker-$i.log" \
        "${flask[@]}" lms worker --name "worker-$i" --pool-size "$POOL_SIZE"
done
log "started $N_WORKERS grading worker(s), pool size $POOL_SIZE each"

# Wait for the web server to accept connections.
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
            pid_alive "${CHILD_PIDS[0]}" || break
            sleep 0.2
        done
        if [ "$up" -ne 1 ]; then
            tail -n 20 "$LMS_LOG_DIR/web.log" >&2 || true
            die "the web server did not come up on $BIND (see ${LMS_LOG_DIR}/web.log)"
        fi
        ;;
esac

rel_log="${LMS_LOG_DIR#"$LMS_ROOT"/}"
log "LMS is running: $url"
log "logs: $rel_log/web.log, $rel_log/web-access.log, $rel_log/worker-<n>.log (tail -f $rel_log/*.log)"
log "press Ctrl-C to stop"

# Supervise: any process that dies takes the whole run down.
while :; do
    wait -n || true
    for i in "${!CHILD_PIDS[@]}"; do
        if ! pid_alive "${CHILD_PIDS[i]}"; then
            warn "${CHILD_NAMES[i]} (pid ${CHILD_PIDS[i]}) exited unexpectedly (see ${CHILD_LOGS[i]}): stopping everything"
            tail -n 10 "${CHILD_LOGS[i]}" >&2 || true
            exit 1
        fi
    done
done
