#!/usr/bin/env bash
# Builds the grading sandbox images, offline: no container registry is needed.
#   bash sandboxes/images/build.sh          base image (if absent) + every runtime image
#   bash sandboxes/images/build.sh base     only the base image
#   bash sandboxes/images/build.sh NAME..   the base image (if absent) + those runtime images (e.g. python web)
# The base image (LMS_BASE_TAG, default lms/base:bookworm-<recipe hash>, also tagged lms/base:bookworm) is
# bootstrapped with debootstrap from the Debian mirror apt uses here (or LMS_DEBIAN_MIRROR) and imported into
# Docker; a change of its package list gives a new tag, so machines holding an older base rebuild it.
# LMS_BASE_IMAGE=<image> uses that image as the base instead (pulled if absent).
# Each sandboxes/images/<runtime>/ with a Dockerfile becomes lms/sandbox-<runtime>:<hash>, the hash covering
# the folder's files, common/ and the base image id, tagged :latest too. It is built from a staged context: the
# folder, common/*.py (entrylib.py...) beside its runtime/entry.py, the host's Debian sources (apt-sources.list, for images
# that install packages), and what its pinned lists name, fetched on the host with the ordinary clients:
#   wheels.txt  pip requirements with --hash (downloaded as wheels for the image's Python into wheels/)
#   npm.txt     lines "<name>@<version> <sha512 integrity>" (npm pack into npm/, the integrity checked)
# Each image's build time and size are printed.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "$0")/../../scripts/lib.sh"
require_root "$@"

IMAGES_DIR="$LMS_ROOT/sandboxes/images"
COMMON_DIR="$IMAGES_DIR/common"
DOWNLOADS="$LMS_VAR/cache/sandbox-downloads"
SUITE="${LMS_DEBIAN_SUITE:-bookworm}"
# libnss-myhostname: sandboxes run with networking disabled, so Docker writes no /etc/hosts (its init layer
# leaves an empty one); glibc's myhostname module still resolves localhost and the container's own hostname.
BASE_PACKAGES="python3,python3-pytest,libnss-myhostname"
BASE_RECIPE="$(printf '%s %s v2' "$SUITE" "$BASE_PACKAGES" | sha256sum | cut -c1-8)"
BASE_REPO="lms/base"
BASE_TAG="${LMS_BASE_TAG:-$BASE_REPO:$SUITE-$BASE_RECIPE}"
# docker.io 20.10 has no buildx: stay on the classic builder, which takes FROM images from
# the local store and never asks a registry. An explicit DOCKER_BUILDKIT is respected.
export DOCKER_BUILDKIT="${DOCKER_BUILDKIT:-0}"

image_exists() { docker image inspect "$1" >/dev/null 2>&1; }
image_id() { docker image inspect --format '{{.Id}}' "$1"; }

ROOTFS=""
cleanup_rootfs() {
    [ -n "$ROOTFS" ] && [ -d "$ROOTFS" ] || return 0
    # debootstrap can leave proc/sys mounted when it fails: never rm through a mount.
    local mnt
    while read -r mnt; do
        umount -l "$mnt" 2>/dev/null || true
    done < <(awk -v root="$ROOTFS" 'index($2, root "/") == 1 { print $2 }' /proc/mounts | sort -r)
    rm -rf --one-file-system "$ROOTFS"
    ROOTFS=""
}
trap cleanup_rootfs EXIT

# build_base_image TAG: debootstrap a minimal bookworm with BASE_PACKAGES, import it as TAG.
build_base_image() {
    local tag="$1" t0 mirror
    t0="$(now_ms)"
    have_cmd debootstrap || die "debootstrap not found: run scripts/bootstrap.sh"
    mirror="$(detect_debian_mirror "$SUITE")" ||
        die "no Debian mirror found in /etc/apt/sources.list.d/*.sources or /etc/apt/sources.list; set LMS_DEBIAN_MIRROR"
    mkdir -p "$LMS_VAR/tmp"
    ROOTFS="$(mktemp -d "$LMS_VAR/tmp/rootfs.XXXXXX")"
    local dlog="$LMS_LOG_DIR/debootstrap.log"
    ensure_var_dirs
    log "base image $tag: debootstrap $SUITE (minbase + $BASE_PACKAGES) from $mirror"
    if ! debootstrap --variant=minbase --include="$BASE_PACKAGES" \
        "$SUITE" "$ROOTFS" "$mirror" >"$dlog" 2>&1; then
        tail -n 20 "$dlog" >&2 || true
        die "debootstrap failed (full log: $dlog)"
    fi
    log "base image $tag: debootstrap done in $(elapsed "$t0"), shrinking"
    (
        cd "$ROOTFS"
        rm -rf var/lib/apt/lists/* var/cache/apt/* var/cache/debconf/*-old var/log/* \
            usr/share/doc/* usr/share/man/* usr/share/info/* usr/share/lintian \
            usr/share/locale/* tmp/* var/tmp/*
    )
    log "base image $tag: importing ($(du -sh --apparent-size "$ROOTFS" | cut -f1))"
    tar --numeric-owner -C "$ROOTFS" -c . |
        docker import --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
            --change 'ENV LANG=C.UTF-8' --change 'CMD ["/bin/bash"]' - "$tag" >/dev/null
    cleanup_rootfs
    log "base image $tag: built in $(elapsed "$t0")"
}

ensure_base_image() {
    if [ -n "${LMS_BASE_IMAGE:-}" ]; then
        BASE_TAG="$LMS_BASE_IMAGE"
        if ! image_exists "$BASE_TAG"; then
            log "base image $BASE_TAG (LMS_BASE_IMAGE): pulling"
            docker pull "$BASE_TAG" >/dev/null || die "could not pull LMS_BASE_IMAGE=$BASE_TAG"
        fi
    elif ! image_exists "$BASE_TAG"; then
        build_base_image "$BASE_TAG"
    fi
    if [ -z "${LMS_BASE_IMAGE:-}${LMS_BASE_TAG:-}" ]; then
        docker tag "$BASE_TAG" "$BASE_REPO:$SUITE"  # for a hand-run `docker build` of a runtime image
        local old
        while read -r old; do  # bases of older recipes
            [ "$old" = "$BASE_TAG" ] || docker rmi "$old" >/dev/null 2>&1 || true
        done < <(docker image ls --format '{{.Repository}}:{{.Tag}}' "$BASE_REPO" | grep -E ":$SUITE-[0-9a-f]{8}$" || true)
    fi
    log "base image: $BASE_TAG ($(image_id "$BASE_TAG" | cut -d: -f2 | cut -c1-12))"
}

# runtime_hash DIR BASE_ID: first 12 hex chars of the sha256 over the folder's and common/'s files
# (sorted relative names and contents, caches left out) and the base image id.
runtime_hash() {
    local dir="$1" base_id="$2" d
    {
        for d in "$dir" "$COMMON_DIR"; do
            (cd "$d" && find . -type f ! -path '*/__pycache__/*' ! -name '*.pyc' -print0 |
                LC_ALL=C sort -z | xargs -0 -r sha256sum --)
        done
        printf 'base %s\n' "$base_id"
    } | sha256sum | cut -c1-12
}

# apt_sources: the host's Debian sources for the suite and its security updates, one-line format, so that images
# install packages from the mirror this machine uses (and get its security fixes).
apt_sources() {
    local mirror security
    mirror="$(detect_debian_mirror "$SUITE")" || die "no Debian mirror found (set LMS_DEBIAN_MIRROR)"
    printf 'deb %s %s main\n' "$mirror" "$SUITE"
    printf 'deb %s %s-updates main\n' "$mirror" "$SUITE"
    if security="$(detect_debian_mirror "$SUITE-security" 2>/dev/null)" && [ "$security" != "$mirror" ]; then
        printf 'deb %s %s-security main\n' "$security" "$SUITE"
    fi
}

# fetch_wheels LIST DEST: the pinned wheels of LIST (pip's hash-checking mode) for the image's CPython 3.11.
fetch_wheels() {
    local list="$1" dest="$2" cache="$DOWNLOADS/wheels"
    mkdir -p "$cache" "$dest"
    "$LMS_VENV/bin/python" -m pip download -q --disable-pip-version-check --require-hashes --no-deps \
        --only-binary=:all: --python-version 3.11 --implementation cp --abi cp311 \
        --platform manylinux2014_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux1_x86_64 \
        --platform any -d "$cache" -r "$list" >/dev/null || die "pip download of $list failed"
    local spec name
    while read -r spec _; do
        case "$spec" in ''|'#'*) continue ;; esac
        name="${spec%%==*}"
        name="${name//-/_}"
        cp "$cache/${name}-${spec##*==}-"*.whl "$dest/" 2>/dev/null || die "wheel of $spec not found after download"
    done <"$list"
}

# fetch_npm LIST DEST: npm pack each "<name>@<version> <integrity>" line, refusing a tarball of another integrity.
fetch_npm() {
    local list="$1" dest="$2" cache="$DOWNLOADS/npm" spec integrity file got
    have_cmd npm || die "npm not found: run scripts/bootstrap.sh"
    mkdir -p "$cache" "$dest"
    while read -r spec integrity _; do
        case "$spec" in ''|'#'*) continue ;; esac
        file="$cache/$(printf '%s' "${spec%@*}" | tr -d '@' | tr '/' '-')-${spec##*@}.tgz"
        if [ ! -f "$file" ]; then
            (cd "$cache" && npm pack -q "$spec" >/dev/null 2>"$LMS_LOG_DIR/npm-pack.log") ||
                die "npm pack $spec failed (see $LMS_LOG_DIR/npm-pack.log)"
        fi
        got="sha512-$("$LMS_VENV/bin/python" -c 'import base64, hashlib, sys
print(base64.b64encode(hashlib.sha512(open(sys.argv[1], "rb").read()).digest()).decode())' "$file")"
        if [ "$got" != "$integrity" ]; then
            rm -f "$file"
            die "$spec: integrity $got, expected $integrity"
        fi
        cp "$file" "$dest/${spec%@*}.tgz"
    done <"$list"
}

# stage_context DIR STAGE: the build context of a runtime folder (see the header).
stage_context() {
    local dir="$1" stage="$2"
    rm -rf "$stage"
    mkdir -p "$stage"
    cp -a "$dir/." "$stage/"
    find "$stage" -name __pycache__ -prune -exec rm -rf {} +
    if [ -d "$stage/runtime" ]; then
        cp "$COMMON_DIR"/*.py "$stage/runtime/"
    fi
    apt_sources >"$stage/apt-sources.list"
    mkdir -p "$stage/wheels" "$stage/npm"
    [ -f "$dir/wheels.txt" ] && fetch_wheels "$dir/wheels.txt" "$stage/wheels"
    [ -f "$dir/npm.txt" ] && fetch_npm "$dir/npm.txt" "$stage/npm"
    return 0
}

build_runtime_image() {
    local dir="$1" runtime base_id hash repo tag t0
    runtime="$(basename "$dir")"
    repo="lms/sandbox-$runtime"
    base_id="$(image_id "$BASE_TAG")"
    hash="$(runtime_hash "$dir" "$base_id")"
    tag="$repo:$hash"
    if image_exists "$tag"; then
        log "$tag: up to date"
    else
        t0="$(now_ms)"
        log "$tag: building (log: ${LMS_LOG_DIR#"$LMS_ROOT"/}/build-$runtime.log)"
        ensure_var_dirs
        local stage="$LMS_VAR/tmp/context-$runtime"
        stage_context "$dir" "$stage"
        # The host's network for the build's apt-get only (the mirror the host uses); sandboxes get none.
        if ! docker build --network host --build-arg "BASE_IMAGE=$BASE_TAG" \
            -t "$tag" "$stage" >"$LMS_LOG_DIR/build-$runtime.log" 2>&1; then
            tail -n 30 "$LMS_LOG_DIR/build-$runtime.log" >&2 || true
            die "docker build of $tag failed"
        fi
        rm -rf "$stage"
        log "$tag: built in $(elapsed "$t0")"
    fi
    log "$tag: size $(docker image inspect --format '{{.Size}}' "$tag" | awk '{ printf "%.0f MB", $1 / 1e6 }')"
    docker tag "$tag" "$repo:latest"
    # Drop older content-hash tags of this runtime (other tags, e.g. :dev, are kept).
    local old
    while read -r old; do
        [ "$old" = "$tag" ] && continue
        docker rmi "$old" >/dev/null 2>&1 || true
    done < <(docker image ls --format '{{.Repository}}:{{.Tag}}' "$repo" | grep -E ":[0-9a-f]{12}$" || true)
    BUILT+=("$tag" "$repo:latest")
}

main() {
    local t0 what="${1:-all}"
    t0="$(now_ms)"
    have_cmd docker || die "docker not found: run scripts/bootstrap.sh"
    docker info >/dev/null 2>&1 ||
        die "Docker daemon not reachable: start it with 'bash scripts/services.sh start'"
    case "$what" in
        base) ensure_base_image ;;
        all)
            ensure_base_image
            BUILT=()
            local df
            for df in "$IMAGES_DIR"/*/Dockerfile; do
                [ -f "$df" ] || continue
                build_runtime_image "$(dirname "$df")"
            done
            [ "${#BUILT[@]}" -gt 0 ] || warn "no sandboxes/images/<runtime>/Dockerfile found"
            log "images: $BASE_TAG ${BUILT[*]}"
            ;;
        *)
            ensure_base_image
            BUILT=()
            local name
            for name in "$@"; do
                [ -f "$IMAGES_DIR/$name/Dockerfile" ] || die "no sandboxes/images/$name/Dockerfile"
                build_runtime_image "$IMAGES_DIR/$name"
            done
            log "images: ${BUILT[*]}"
            ;;
    esac
    log "images ready in $(elapsed "$t0")"
}

main "$@"
