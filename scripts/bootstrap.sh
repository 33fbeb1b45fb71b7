#!/usr/bin/env bash
# Installs what the LMS needs on a Debian bookworm machine (system packages and the
# Python virtualenv .venv). Idempotent: a second run only checks and returns.
#   LMS_WITH_RUNSC=0   do not install gVisor (runsc)
#   LMS_WITH_BROWSER=1 also install Chromium and its driver (the browser tests; test.sh sets it)
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "$0")/lib.sh"
require_root "$@"

start_ms="$(now_ms)"

# --- system packages -------------------------------------------------------
packages=(redis-server redis-tools docker.io debootstrap postgresql supervisor python3-venv make ca-certificates tar gzip)
if [ "${LMS_WITH_RUNSC:-1}" != 0 ]; then
    packages+=(runsc)
fi
# npm fetches the sandbox images' pinned npm packages (sandboxes/images/*/npm.txt); a node already installed
# with its own npm (e.g. from another repository) is used as it is.
if ! have_cmd npm; then
    packages+=(npm)
fi
if [ "${LMS_WITH_BROWSER:-0}" = 1 ]; then
    packages+=(chromium chromium-driver)
fi

pkg_installed() {
    [ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null || true)" = installed ]
}

missing=()
for pkg in "${packages[@]}"; do
    pkg_installed "$pkg" || missing+=("$pkg")
done

if [ "${#missing[@]}" -eq 0 ]; then
    log "system packages: all present"
else
    have_cmd apt-get || die "missing packages (${missing[*]}) and no apt-get: install them by hand"
    export DEBIAN_FRONTEND=noninteractive
    log "apt-get update (missing: ${missing[*]})"
    apt-get update -qq
    log "apt-get install ${missing[*]}"
    # Packages must not start their system services (postgresql's main cluster, supervisor's, redis-server...):
    # our scripts start what they need, where they log, and stop it. policy-rc.d says no to invoke-rc.d; one
    # that was already there is left as it was.
    policy=/usr/sbin/policy-rc.d own_policy=0
    if [ ! -e "$policy" ]; then
        printf '#!/bin/sh\n# written by the LMS bootstrap for the length of an apt-get install\nexit 101\n' >"$policy"
        chmod 0755 "$policy"
        own_policy=1
    fi
    rc=0
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null || rc=$?
    [ "$own_policy" -eq 0 ] || rm -f "$policy"
    [ "$rc" -eq 0 ] || die "apt-get install failed (exit $rc)"
fi

# --- Python virtualenv -----------------------------------------------------
have_cmd python3 || die "python3 not found on PATH"
if ! "$LMS_VENV/bin/python" -c 'import sys' >/dev/null 2>&1; then
    if [ -e "$LMS_VENV" ]; then
        log "removing broken virtualenv .venv"
        rm -rf "$LMS_VENV"
    fi
    log "creating virtualenv .venv with $(command -v python3) ($(python3 -V 2>&1))"
    python3 -m venv "$LMS_VENV"
fi

req="$LMS_ROOT/requirements.txt"
stamp="$LMS_VENV/.requirements.sha256"
[ -f "$req" ] || die "requirements.txt not found"
want="$(sha256sum <"$req" | cut -d' ' -f1)"
have="$(cat "$stamp" 2>/dev/null || true)"
if [ "$want" = "$have" ]; then
    log "python requirements: up to date"
else
    log "pip install -r requirements.txt"
    "$LMS_VENV/bin/python" -m pip install -q --disable-pip-version-check -r "$req"
    printf '%s\n' "$want" >"$stamp"
fi

log "bootstrap done in $(elapsed "$start_ms")"
