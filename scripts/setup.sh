#!/bin/sh
# Idempotent set-up on a Debian machine: Docker engine, mmdebstrap, and a
# virtual environment with rpmkit and its test tools. A second run with
# everything in place only checks and returns.
set -eu
cd "$(dirname "$0")/.."

say() { printf 'setup: %s\n' "$*"; }
die() { printf 'setup: error: %s\n' "$*" >&2; exit 2; }

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"
    elif command -v sudo >/dev/null 2>&1; then sudo "$@"
    else die "need root to run: $*"; fi
}

# 1. System packages: the Docker engine and CLI, and mmdebstrap for the offline images.
# The tests of other engines start their own: Podman's Docker-compatible service, an
# sshd in front of a second dockerd (TLS certificates from openssl, its bridge's
# forwarding rule with iptables).
missing=""
command -v dockerd >/dev/null 2>&1 || missing="$missing docker.io"
command -v docker >/dev/null 2>&1 || missing="$missing docker.io"
command -v mmdebstrap >/dev/null 2>&1 || missing="$missing mmdebstrap"
# netavark and aardvark-dns (recommended, not required): container names resolve on a network.
command -v podman >/dev/null 2>&1 || missing="$missing podman netavark aardvark-dns"
command -v sshd >/dev/null 2>&1 || [ -x /usr/sbin/sshd ] || missing="$missing openssh-server"
command -v ssh >/dev/null 2>&1 || missing="$missing openssh-client"
command -v openssl >/dev/null 2>&1 || missing="$missing openssl"
command -v iptables >/dev/null 2>&1 || [ -x /usr/sbin/iptables ] || missing="$missing iptables"
if [ -n "$missing" ]; then
    command -v apt-get >/dev/null 2>&1 || die "install$missing with your package manager"
    say "installing$missing"
    as_root apt-get update -qq
    # shellcheck disable=SC2086
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

# 2. A running engine. DOCKER_HOST, if set, names an engine someone else runs.
if ! docker info >/dev/null 2>&1; then
    [ -z "${DOCKER_HOST:-}" ] || die "no engine answers at DOCKER_HOST=$DOCKER_HOST"
    if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
        say "starting docker (systemctl)"
        as_root systemctl start docker || true
    fi
    if ! docker info >/dev/null 2>&1; then
        say "starting dockerd in the background (log: /var/log/rpmkit-dockerd.log)"
        as_root sh -c 'nohup dockerd >/var/log/rpmkit-dockerd.log 2>&1 &'
    fi
    i=0
    until docker info >/dev/null 2>&1; do
        i=$((i + 1))
        [ "$i" -le 120 ] || die "dockerd did not come up in 60 s; see /var/log/rpmkit-dockerd.log"
        sleep 0.5
    done
    say "docker engine is up"
fi

# 2b. On ext4, the engine's layer folders as top directories (chattr +T): each
# container's writable layer then gets its own block group instead of sharing the
# one where removed containers leave freed inodes, which ext4 without a journal
# skips one by one (a package install 3-4 times slower; `rpmkit doctor` explains).
layers="$(docker info --format '{{.DockerRootDir}}' 2>/dev/null)/overlay2"
if [ -z "${DOCKER_HOST:-}" ] && [ -d "$layers" ] && command -v chattr >/dev/null 2>&1 \
    && [ "$(docker info --format '{{.Driver}}' 2>/dev/null)" = overlay2 ] \
    && ! lsattr -d "$layers" 2>/dev/null | cut -d' ' -f1 | grep -q T; then
    if as_root chattr +T "$layers" 2>/dev/null; then
        say "marked $layers a top directory (chattr +T: layers spread over block groups)"
    fi
fi

# 3. The virtual environment, reinstalled only when pyproject.toml changed.
stamp=.venv/.rpmkit-setup
want=$(sha256sum pyproject.toml | cut -c1-64)
if [ ! -x .venv/bin/python ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    say "creating .venv and installing rpmkit with its test extras"
    [ -x .venv/bin/python ] || python3 -m venv .venv
    .venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
    echo "$want" > "$stamp"
fi
say "ready ($(.venv/bin/rpmkit --version))"
