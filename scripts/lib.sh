# shellcheck shell=bash
# Shared helpers for the operational scripts. Source it, do not run it:
#   source "$(dirname "$0")/lib.sh"      (from scripts/*.sh)
# It sets the repo paths, cds to the repo root and defines the helpers below.

# The calling script, resolved before we change directory (used to re-exec under sudo).
LMS_SELF="$(readlink -f -- "$0")"
LMS_ROOT="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd "$LMS_ROOT" || exit 1

# Everything the running system writes lives under $LMS_VAR.
# shellcheck disable=SC2034 # these are used by the scripts that source this file
{
    LMS_VAR="${LMS_VAR:-$LMS_ROOT/var}"
    case "$LMS_VAR" in /*) ;; *) LMS_VAR="$LMS_ROOT/$LMS_VAR" ;; esac
    export LMS_VAR
    LMS_LOG_DIR="$LMS_VAR/log"
    LMS_RUN_DIR="$LMS_VAR/run"
    LMS_REDIS_DIR="$LMS_VAR/redis"
    LMS_STARTED_FILE="$LMS_RUN_DIR/started"
    LMS_VENV="$LMS_ROOT/.venv"
    LMS_REDIS_HOST=127.0.0.1
    LMS_REDIS_PORT="${LMS_REDIS_PORT:-6379}"
    # The private PostgreSQL cluster (services.sh): its own port, so a system cluster on 5432 is left alone.
    LMS_POSTGRES_PASSWORD_FILE="$LMS_VAR/postgres.password"
    LMS_POSTGRES_HOST=127.0.0.1
    LMS_POSTGRES_PORT="${LMS_POSTGRES_PORT:-5433}"
}

log()  { printf '==> %s\n' "$*"; }
warn() { printf '==> WARNING: %s\n' "$*" >&2; }
die()  { printf '==> ERROR: %s\n' "$*" >&2; exit 1; }
have_cmd() { command -v "$1" >/dev/null 2>&1; }

ensure_var_dirs() {
    mkdir -p "$LMS_LOG_DIR" "$LMS_RUN_DIR" "$LMS_REDIS_DIR"
}

# Re-run the calling script as root through sudo when needed; usage: require_root "$@".
# Keeps PATH (so the same python3 is found) and the LMS_*/CI/DOCKER_* settings.
require_root() {
    [ "$(id -u)" -eq 0 ] && return 0
    have_cmd sudo || die "this script must run as root (and sudo is not installed)"
    local -a keep=("PATH=$PATH")
    local name
    while IFS= read -r name; do
        case "$name" in
            LMS_*|CI|DOCKER_HOST|DOCKER_BUILDKIT) keep+=("$name=${!name}") ;;
        esac
    done < <(compgen -e)
    log "re-running as root: sudo bash ${LMS_SELF#"$LMS_ROOT"/}"
    exec sudo env "${keep[@]}" bash "$LMS_SELF" "$@"
}

# Milliseconds since the epoch, for timings.
now_ms() { date +%s%3N; }
# elapsed START_MS -> "12.3s"
elapsed() {
    local ms=$(( $(now_ms) - $1 ))
    printf '%d.%01ds' $(( ms / 1000 )) $(( (ms % 1000) / 100 ))
}

# --- Debian mirror ---------------------------------------------------------
# Prints the Debian mirror URI this machine's apt uses (or $LMS_DEBIAN_MIRROR).
# deb822 files (/etc/apt/sources.list.d/*.sources) first: the URIs of a `Types: deb`
# stanza, preferring one whose Suites carry the target suite itself (not -security);
# then one-line `deb` entries of /etc/apt/sources.list (and sources.list.d/*.list).
detect_debian_mirror() {
    local suite="${1:-${LMS_DEBIAN_SUITE:-bookworm}}"
    if [ -n "${LMS_DEBIAN_MIRROR:-}" ]; then
        printf '%s\n' "${LMS_DEBIAN_MIRROR%/}"
        return 0
    fi
    local f uri=""
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] || continue
        uri="$(awk -v suite="$suite" '
            function flush() {
                if (types ~ /(^|[ \t])deb([ \t]|$)/ && enabled !~ /^(no|false)$/ && uri != "") {
                    if (first == "") first = uri
                    if (best == "" && (" " suites " ") ~ (" " suite " ")) best = uri
                }
                types = ""; uri = ""; suites = ""; enabled = ""; key = ""
            }
            /^[ \t]*#/ { next }
            /^[ \t]*$/ { flush(); next }
            /^[A-Za-z][A-Za-z0-9-]*:/ {
                key = tolower($0); sub(/:.*/, "", key)
                val = $0; sub(/^[^:]*:[ \t]*/, "", val)
                if (key == "types") types = val
                else if (key == "uris") { split(val, u, /[ \t]+/); uri = u[1] }
                else if (key == "suites") suites = val
                else if (key == "enabled") enabled = tolower(val)
                next
            }
            END { flush(); if (best != "") print best; else if (first != "") print first }
        ' "$f")"
        [ -n "$uri" ] && break
    done
    if [ -z "$uri" ]; then
        local -a lists=()
        [ -f /etc/apt/sources.list ] && lists+=(/etc/apt/sources.list)
        for f in /etc/apt/sources.list.d/*.list; do [ -f "$f" ] && lists+=("$f"); done
        if [ "${#lists[@]}" -gt 0 ]; then
            uri="$(awk '
                $1 == "deb" {
                    i = 2
                    if ($i ~ /^\[/) { while (i <= NF && $i !~ /\]$/) i++; i++ }
                    if (i <= NF) { print $i; exit }
                }' "${lists[@]}")"
        fi
    fi
    uri="${uri%/}"
    case "$uri" in
        http://*|https://*|file:/*|ftp://*) printf '%s\n' "$uri" ;;
        *) return 1 ;;
    esac
}

# --- record of the services our scripts started (var/run/started) ---------
record_started() {
    ensure_var_dirs
    grep -qx -- "$1" "$LMS_STARTED_FILE" 2>/dev/null || printf '%s\n' "$1" >>"$LMS_STARTED_FILE"
}
was_started() { grep -qx -- "$1" "$LMS_STARTED_FILE" 2>/dev/null; }
forget_started() {
    [ -f "$LMS_STARTED_FILE" ] || return 0
    local rest
    rest="$(grep -vx -- "$1" "$LMS_STARTED_FILE" || true)"
    if [ -n "$rest" ]; then printf '%s\n' "$rest" >"$LMS_STARTED_FILE"; else rm -f "$LMS_STARTED_FILE"; fi
}
started_services() { [ -f "$LMS_STARTED_FILE" ] && cat "$LMS_STARTED_FILE"; return 0; }

# --- processes -------------------------------------------------------------
# pid_alive PID [NAME]: PID runs, and (when NAME is given) its command line mentions NAME.
pid_alive() {
    local pid="$1" name="${2:-}"
    [[ "$pid" =~ ^[0-9]+$ ]] || return 1
    kill -0 "$pid" 2>/dev/null || return 1
    # A zombie is as good as gone.
    [ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" != Z ] || return 1
    [ -z "$name" ] && return 0
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "$name"
}
read_pidfile() { [ -f "$1" ] && tr -dc '0-9' <"$1"; return 0; }

# wait_gone SECONDS PID...: wait until all PIDs are gone; fails if some remain.
wait_gone() {
    local secs="$1"; shift
    local deadline=$(( $(date +%s) + secs )) pid left
    while :; do
        left=0
        for pid in "$@"; do pid_alive "$pid" && left=1; done
        [ "$left" -eq 0 ] && return 0
        [ "$(date +%s)" -ge "$deadline" ] && return 1
        sleep 0.2
    done
}

# stop_pid LABEL PID [SECONDS]: TERM, wait, then KILL.
stop_pid() {
    local label="$1" pid="$2" secs="${3:-10}"
    pid_alive "$pid" || return 0
    kill -TERM "$pid" 2>/dev/null || true
    if ! wait_gone "$secs" "$pid"; then
        warn "$label (pid $pid) still running after ${secs}s: killing it"
        kill -KILL "$pid" 2>/dev/null || true
        wait_gone 5 "$pid" || warn "$label (pid $pid) did not exit"
    fi
}

# --- venv / translations ---------------------------------------------------
require_venv() {
    [ -x "$LMS_VENV/bin/python" ] || die "no virtualenv at .venv: run scripts/bootstrap.sh first"
}

# Compile the gettext catalogs (ignored when lms/translations is missing or has none).
compile_translations() {
    local dir="$LMS_ROOT/lms/translations"
    if [ ! -d "$dir" ]; then
        return 0
    fi
    if [ -z "$(find "$dir" -name '*.po' -print -quit)" ]; then
        log "translations: no catalogs in lms/translations, nothing to compile"
        return 0
    fi
    log "compiling translations"
    "$LMS_VENV/bin/pybabel" -q compile -f -d "$dir"
}
