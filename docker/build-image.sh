#!/usr/bin/env bash
# Builds the `retention` runtime image from a binary built on this host, on the local
# debian:bookworm-slim image: no registry and no Rust image needed.
#
#   docker/build-image.sh [BINARY] [TAG]
#
# BINARY defaults to $RETENTION_BIN, then target/release/retention; TAG to $RETENTION_IMAGE,
# then retention:latest; the configuration baked in is config/ (RETENTION_CONFIG_DIR overrides).
# The build context is a temporary directory holding only the binary, the configuration and
# docker/Dockerfile.runtime, so target/ is never sent to the daemon.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bin=${1:-${RETENTION_BIN:-$repo/target/release/retention}}
tag=${2:-${RETENTION_IMAGE:-retention:latest}}
config=${RETENTION_CONFIG_DIR:-$repo/config}

if [[ ! -x $bin ]]; then
    echo "build-image: no executable retention binary at $bin" >&2
    echo "build-image: build one with: cargo build --release -p retention-cli" >&2
    exit 2
fi

context=$(mktemp -d)
trap 'rm -rf "$context"' EXIT
cp "$bin" "$context/retention"
mkdir "$context/config"
if [[ -d $config ]]; then
    cp -R "$config/." "$context/config/"
fi
cp "$repo/docker/Dockerfile.runtime" "$context/Dockerfile"

# The legacy builder: the preinstalled client may have no buildx plugin.
DOCKER_BUILDKIT=0 docker build --quiet --tag "$tag" "$context" >/dev/null
echo "build-image: built $tag from $bin"
