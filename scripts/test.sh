#!/usr/bin/env bash
# Runs the test suite: sudo bash scripts/test.sh [pytest args]   (default: -q -ra --durations=30)
# bootstrap -> services -> sandbox images -> translations -> pytest. Services this run
# started are stopped at the end. "No tests collected" (pytest exit 5) is a failure.
# Every test that uses the database runs on SQLite and on PostgreSQL (the private cluster of services.sh, or
# the server of LMS_TEST_POSTGRES_URL, whose role may CREATE DATABASE); the headless-browser tests on SQLite only.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "$0")/lib.sh"
require_root "$@"
# shellcheck source=scripts/services.sh
source "$LMS_ROOT/scripts/services.sh"

# shellcheck disable=SC2317 # reached through the trap
on_exit() {
    local rc=$?
    trap '' INT TERM
    set +e
    if [ "${#LMS_STARTED_NOW[@]}" -gt 0 ]; then
        log "stopping the services this run started: ${LMS_STARTED_NOW[*]}"
        services_stop "${LMS_STARTED_NOW[@]}"
    fi
    exit "$rc"
}
trap on_exit EXIT
trap 'printf "\n"; log "interrupted"; exit 130' INT TERM

t0="$(now_ms)"
LMS_WITH_BROWSER=1 bash "$LMS_ROOT/scripts/bootstrap.sh"
if [ -n "${LMS_TEST_POSTGRES_URL:-}" ]; then
    services_start docker redis
else
    services_start docker redis postgres
    LMS_TEST_POSTGRES_URL="$(postgres_url postgres)"
fi
bash "$LMS_ROOT/sandboxes/images/build.sh"
require_venv
compile_translations

export LMS_TEST_REDIS_URL="${LMS_TEST_REDIS_URL:-redis://$LMS_REDIS_HOST:$LMS_REDIS_PORT/15}"
export LMS_TEST_POSTGRES_URL
[ "$#" -gt 0 ] || set -- -q -ra --durations=30
log "setup done in $(elapsed "$t0"); running pytest $*"

t1="$(now_ms)"
rc=0
failed_file="$LMS_VAR/failed-tests.txt"
rm -f "$failed_file"
LMS_FAILED_TESTS_FILE="$failed_file" "$LMS_VENV/bin/python" -m pytest "$@" || rc=$?
# Tests that start containers and kill daemons depend on timing; on a loaded machine one may miss its window.
# Up to LMS_TEST_RERUNS failed tests get one more run, alone; they are listed as flaky and the run stays red
# if any fails again. More failures than that mean something is broken: no rerun.
max_reruns="${LMS_TEST_RERUNS:-3}"
if [ "$rc" -eq 1 ] && [ -s "$failed_file" ]; then
    mapfile -t failed < "$failed_file"
    if [ "${#failed[@]}" -le "$max_reruns" ]; then
        log "rerunning the ${#failed[@]} failed test(s) once: ${failed[*]}"
        rc=0
        LMS_TEST_REPORTS="$LMS_VAR/rerun" "$LMS_VENV/bin/python" -m pytest -q -ra "${failed[@]}" || rc=$?
        if [ "$rc" -eq 0 ]; then
            printf '%s\n' "${failed[@]}" > "$LMS_VAR/flaky-tests.txt"
            log "FLAKY (failed, then passed alone; listed in ${LMS_VAR#"$LMS_ROOT"/}/flaky-tests.txt): ${failed[*]}"
        fi
    else
        log "${#failed[@]} tests failed (more than $max_reruns): no rerun"
    fi
fi
case "$rc" in
    0) log "tests passed in $(elapsed "$t1")" ;;
    5) printf "==> ERROR: pytest collected no tests: counting that as a failure\n" >&2; rc=1 ;;
    *) log "tests FAILED (pytest exit code $rc) after $(elapsed "$t1")" ;;
esac
exit "$rc"
